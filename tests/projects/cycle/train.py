from a import make_loader


def main(args, dataset):
    loader = make_loader(dataset)
    for epoch in range(args.epochs):
        for batch in loader:
            pass
