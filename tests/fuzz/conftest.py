"""Fuzz tests run only when asked for: `python -m pytest -m fuzz tests/fuzz`.

Deselected otherwise, whatever other -m expression is given (so `-m "not harness"` does not
start them either).
"""


def pytest_collection_modifyitems(config, items):
    if "fuzz" in (config.getoption("markexpr") or ""):
        return
    keep = [item for item in items if item.get_closest_marker("fuzz") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("fuzz")])
        items[:] = keep
