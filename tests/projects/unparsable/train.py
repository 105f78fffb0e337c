from data import build_loader


def main(args, dataset):
    loader = build_loader(dataset)
    for epoch in range(args.epochs):
        for batch in loader:
            pass
