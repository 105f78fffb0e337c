"""TL702 cudnn-benchmark-with-deterministic: benchmarking left on in deterministic setups, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL702"]

POSITIVES = {
    "same-block": """
        import torch

        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = True
    """,
    "cudnn-alias-in-a-function": """
        import torch.backends.cudnn as cudnn

        def setup(seed):
            cudnn.benchmark = True
            cudnn.deterministic = True
    """,
    "from-import-and-other-function": """
        from torch.backends import cudnn

        def set_seed(seed):
            cudnn.deterministic = True

        def main():
            set_seed(0)
            cudnn.benchmark = True
    """,
    "false-before-true-after": """
        import torch

        def setup():
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = True
    """,
}

NEGATIVES = {
    "benchmark-false": """
        import torch

        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    """,
    "exclusive-branches": """
        import torch.backends.cudnn as cudnn

        def setup(args):
            if args.deterministic:
                cudnn.deterministic = True
                cudnn.benchmark = False
            else:
                cudnn.benchmark = True
    """,
    "exclusive-branches-no-false": """
        import torch.backends.cudnn as cudnn

        def setup(args):
            if args.seed is not None:
                cudnn.deterministic = True
            else:
                cudnn.benchmark = True
    """,
    "seed-helper-turns-benchmark-off": """
        import torch

        def set_seed(seed):
            torch.manual_seed(seed)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

        torch.backends.cudnn.benchmark = True
    """,
    "benchmark-only": """
        import torch

        torch.backends.cudnn.benchmark = True
    """,
    "deterministic-false": """
        import torch

        torch.backends.cudnn.deterministic = False
        torch.backends.cudnn.benchmark = True
    """,
    "computed-values": """
        import torch

        def setup(args):
            torch.backends.cudnn.deterministic = args.deterministic
            torch.backends.cudnn.benchmark = not args.deterministic
    """,
    "not-torch-cudnn": """
        import mylib.cudnn as cudnn

        cudnn.deterministic = True
        cudnn.benchmark = True
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL702"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_reports_the_benchmark_line():
    (finding,) = lint(POSITIVES["cudnn-alias-in-a-function"], SELECT)
    assert finding.line == 5
    assert "torch.use_deterministic_algorithms" in finding.message
    assert len(finding.message) <= 160


def test_fix_same_scope():
    assert fix(POSITIVES["cudnn-alias-in-a-function"], SELECT, unsafe=True) == dedent("""
        import torch.backends.cudnn as cudnn

        def setup(seed):
            cudnn.benchmark = False
            cudnn.deterministic = True
    """)
    fixed = fix(POSITIVES["false-before-true-after"], SELECT, unsafe=True)
    assert "benchmark = True" not in fixed


def test_fix_after_a_conditional_deterministic_follows_it():
    code = """
        import torch
        import torch.backends.cudnn as cudnn

        def main(args):
            if args.seed is not None:
                torch.manual_seed(args.seed)
                cudnn.deterministic = True
            cudnn.benchmark = True
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        import torch
        import torch.backends.cudnn as cudnn

        def main(args):
            if args.seed is not None:
                torch.manual_seed(args.seed)
                cudnn.deterministic = True
            cudnn.benchmark = not cudnn.deterministic
    """)
    assert fix(POSITIVES["same-block"], SELECT, unsafe=True) == dedent("""
        import torch

        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = not torch.backends.cudnn.deterministic
    """)
    before = """
        import torch.backends.cudnn as cudnn

        def main(args):
            cudnn.benchmark = True
            if args.seed is not None:
                cudnn.deterministic = True
    """
    assert "cudnn.benchmark = False" in fix(before, SELECT, unsafe=True)


def test_no_fix_across_functions():
    (finding,) = lint(POSITIVES["from-import-and-other-function"], SELECT)
    assert finding.fix is None


def test_fix_is_unsafe():
    assert fix(POSITIVES["same-block"], SELECT) == dedent(POSITIVES["same-block"])
