import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from utils.checkpoint import load_checkpoint


def worker(rank, args, model):
    dist.init_process_group("nccl", rank=rank, world_size=args.world_size)
    start_epoch = load_checkpoint(model, args.resume)
    return start_epoch


if __name__ == "__main__":
    mp.spawn(worker, nprocs=torch.cuda.device_count())
