from tqdm import trange

from loader_utils import make_loader, make_sampler


def main(args, dataset, step):
    sampler = make_sampler(dataset)
    loader = make_loader(dataset, sampler)
    train_iterator = trange(int(args.num_train_epochs), desc="Epoch")
    for _ in train_iterator:
        for batch in loader:
            step(batch)
