from b import make_loader

__all__ = ["make_loader"]
