"""TL001 unused-noqa: unused and unknown TL codes in `# noqa:` comments (opt-in, engine-level)."""

from tests.helpers import lint

VIEW = "y = x.permute(0, 2, 1).view(-1)"


def found(code, select=("TL001", "TL301")):
    return [(f.line, f.code, f.message.split(":")[0]) for f in lint(code, list(select))]


def test_unused_code_is_reported_at_the_comment():
    [finding] = lint("import torch\ny = x.reshape(-1)  # noqa: TL301\n", ["TL001", "TL301"])
    assert (finding.line, finding.column, finding.code) == (2, 20, "TL001")
    assert finding.message.startswith("unused `noqa` code TL301")


def test_used_code_and_prefix_are_not_reported():
    assert found(f"import torch\n{VIEW}  # noqa: TL301\n") == []
    assert found(f"import torch\n{VIEW}  # noqa: TL3\n") == []
    assert found(f"import torch\n{VIEW}  # NOQA:TL301,E501\n") == []


def test_unknown_code_is_reported_even_when_no_rule_ran():
    [(line, code, message)] = found("x = 1  # noqa: TL3\ny = 2  # noqa: TL999\n", ["TL001"])
    assert (line, code, message) == (2, "TL001", "unknown code TL999 in `noqa` comment; remove it or fix the code")


def test_codes_of_unselected_rules_and_other_tools_and_bare_noqa_are_left_alone():
    assert found("import torch\ny = x.reshape(-1)  # noqa: TL501\n", ["TL001", "TL301"]) == []
    assert found("import os  # noqa: F401\nz = 1  # noqa\n") == []


def test_noqa_tl001_keeps_a_comment():
    assert found("import torch\ny = x.reshape(-1)  # noqa: TL301, TL001\n") == []


def test_opt_in_and_tl000_stays_unselectable():
    from torchlint import registry

    assert registry.all_rules()["TL001"].default is False
    assert "TL001" not in [r.code for r in registry.select_rules()]
    assert "TL000" not in registry.all_rules()


def test_noqa_text_inside_a_string_is_not_a_directive():
    assert found('import torch\nDOC = """\n    y = x  # noqa: TL999\n"""\n') == []
