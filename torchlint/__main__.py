import os
import sys

# `python -m torchlint` puts the working directory first on sys.path, so a `libcst.py` (or
# `torch.py`...) there would be imported instead of the real package.  Drop that entry (what
# `python -P` does); torchlint itself is already imported by now.
if sys.path and not getattr(sys.flags, "safe_path", False):
    try:
        if os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
            del sys.path[0]
    except OSError:  # the working directory is gone
        pass

from torchlint.cli import main  # noqa: E402

raise SystemExit(main())
