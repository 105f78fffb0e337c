"""The reliability audit of issue 14 as a test: no crash, no hang, nothing lost outside a fix, idempotent.

    TORCHLINT_FUZZ_SECONDS=600 python -m pytest -m fuzz tests/fuzz
"""

import os
import sys

import pytest

pytestmark = pytest.mark.fuzz
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))


def test_audit_finds_no_failures(tmp_path):
    pytest.importorskip("hypothesmith")
    import fuzz_audit

    seconds = os.environ.get("TORCHLINT_FUZZ_SECONDS", "60")
    corpus = os.environ.get("TORCHLINT_FUZZ_CORPUS", "/work/corpus")
    status = fuzz_audit.main(["--seconds", seconds, "--corpus", corpus, "--save-failures", str(tmp_path)])
    assert status == 0, f"failing programs saved in {tmp_path}"
