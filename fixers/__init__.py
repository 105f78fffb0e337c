"""One module per fixer, named like the rule module it fixes (see torchlint/registry.py)."""
