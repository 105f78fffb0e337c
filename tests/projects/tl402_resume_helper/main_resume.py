import torch
import torch.nn as nn

from src.utils import restart_from_checkpoint


def main(args, net, optimizer):
    model = nn.parallel.DistributedDataParallel(net.cuda(), device_ids=[args.gpu])
    to_restore = {"epoch": 0}
    restart_from_checkpoint("checkpoint.pth", run_variables=to_restore, state_dict=model, optimizer=optimizer)
    for epoch in range(to_restore["epoch"], args.epochs):
        save_dict = {"epoch": epoch + 1, "state_dict": model.state_dict(), "optimizer": optimizer.state_dict()}
        torch.save(save_dict, "checkpoint.pth")
