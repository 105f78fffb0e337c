"""Finds the rules: every module in torchlint.rules, paired with torchlint.fixers by name.

Adding a rule is adding a module; there is no list to edit.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from typing import Dict, Iterable, List

from torchlint.rule import Rule

INTERNAL_CODE = "TL000"  # could not analyse a file: never selectable away


@cache
def all_rules() -> Dict[str, Rule]:
    from torchlint import fixers, rules

    fixer_names = {info.name for info in pkgutil.iter_modules(fixers.__path__)}
    found: Dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(rules.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"torchlint.rules.{info.name}")
        classes = [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, Rule) and obj is not Rule
            and obj.__module__ == module.__name__
        ]  # fmt: skip
        for cls in classes:
            rule = cls()
            if info.name in fixer_names:
                rule.fixer = importlib.import_module(f"torchlint.fixers.{info.name}")
            if rule.code in found:
                raise RuntimeError(f"duplicate rule code {rule.code} in {module.__name__}")
            found[rule.code] = rule
    return dict(sorted(found.items()))


class UnknownCodeError(ValueError):
    pass


def _matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def check_selectors(selectors: Iterable[str], option: str) -> None:
    rules = all_rules()
    for selector in selectors:
        if selector == INTERNAL_CODE:
            continue
        if not any(_matches(code, selector) for code in rules):
            raise UnknownCodeError(f"{option}: unknown rule code or prefix {selector!r}")


def select_rules(select=None, extend_select=(), ignore=()) -> List[Rule]:
    """The rules to run: `select` (or the defaults) plus `extend_select`, minus `ignore`."""
    rules = all_rules()
    if select is None:
        chosen = {code for code, rule in rules.items() if rule.default}
    else:
        chosen = {code for code in rules if any(_matches(code, s) for s in select)}
    chosen |= {code for code in rules if any(_matches(code, s) for s in extend_select)}
    chosen = {code for code in chosen if not any(_matches(code, s) for s in ignore)}
    return [rules[code] for code in sorted(chosen)]
