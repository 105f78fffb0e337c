from data import make_loader
from utils.train_utils import train_one_epoch


def main(args, dataset, model, optimizer):
    loader = make_loader(dataset, args.batch_size)
    for epoch in range(args.epochs):
        train_one_epoch(model, loader, optimizer, epoch)  # the loader leaves the file
