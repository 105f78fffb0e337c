from .builder import *
from .transforms import *
