from datasets import *


def main(cfg, dataset, model):
    train_loader = build_dataloader(dataset, cfg.batch_size)
    for epoch in range(cfg.epochs):
        for batch in train_loader:
            model(batch)
