"""One module per rule; the registry discovers them (see torchlint/registry.py)."""
