from a import make_loader

from a import *
