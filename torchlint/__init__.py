"""torchlint: static analysis with auto-fixes for PyTorch training code."""

import os as _os

__version__ = "0.1.0"

# Installed, rules/ and fixers/ are subpackages of torchlint (see pyproject.toml's
# package-dir).  In a bare source checkout they sit beside this directory, so let
# `torchlint.rules` / `torchlint.fixers` be found there too.
_checkout_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(_os.path.dirname(__file__), "rules")) and _os.path.isfile(
    _os.path.join(_checkout_root, "rules", "__init__.py")
):
    __path__.append(_checkout_root)  # type: ignore[name-defined]
