import torch.distributed as dist

import checkpoint


def main(args, model):
    dist.init_process_group("nccl")
    if dist.get_rank() == 0:
        checkpoint.load_checkpoint(model, args.pretrained)  # only the first rank loads
