"""TL502 local-rank-parse: the default passed as int()'s base, look-alikes that are fine, the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL502"]

POSITIVES = {
    "getenv-local-rank": """
        import os
        local_rank = int(os.getenv("LOCAL_RANK"), -1)
    """,
    "environ-get-rank": """
        import os
        rank = int(os.environ.get("RANK"), -1)
    """,
    "from-os-import-environ": """
        from os import environ
        world_size = int(environ.get("WORLD_SIZE"), -1)
    """,
    "from-os-import-getenv-as": """
        from os import getenv as env
        local_rank = int(env("LOCAL_RANK"), -1)
    """,
    "import-os-path-binds-os": """
        import os.path
        local_rank = int(os.environ.get("LOCAL_RANK"), -1)
    """,
    "base-keyword": """
        import os
        local_rank = int(os.getenv("LOCAL_RANK"), base=-1)
    """,
    "any-env-name": """
        import os
        port = int(os.getenv("MASTER_PORT"), 1)
    """,
    "any-value-base-one": """
        n = int(text, 1)
    """,
    "base-too-large": """
        n = int(text, 37)
    """,
}

NEGATIVES = {
    "default-inside-getenv": """
        import os
        local_rank = int(os.getenv("LOCAL_RANK", -1))
    """,
    "default-inside-environ-get": """
        import os
        local_rank = int(os.environ.get("LOCAL_RANK", "-1"))
    """,
    "hex": """
        n = int(x, 16)
    """,
    "base-zero": """
        n = int(x, 0)
    """,
    "base-36": """
        n = int(x, 36)
    """,
    "base-from-variable": """
        n = int(x, base)
    """,
    "int-rebound": """
        from numpy import int64 as int
        n = int(x, -1)
    """,
    "not-int": """
        import os
        local_rank = max(os.getenv("LOCAL_RANK"), -1)
    """,
    "computed-base": """
        n = int(x, 0 - 1)
    """,
    "single-argument": """
        import os
        local_rank = int(os.environ["LOCAL_RANK"])
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL502"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_message_quotes_the_error_and_the_intended_code():
    (finding,) = lint(POSITIVES["getenv-local-rank"], SELECT)
    assert "int() base must be >= 2 and <= 36, or 0" in finding.message
    assert 'int(os.getenv("LOCAL_RANK", -1))' in finding.message
    assert len(finding.message) <= 160


def test_fix_moves_the_default_into_getenv():
    assert fix(POSITIVES["getenv-local-rank"], SELECT) == dedent("""
        import os
        local_rank = int(os.getenv("LOCAL_RANK", -1))
    """)
    assert fix(POSITIVES["from-os-import-environ"], SELECT) == dedent("""
        from os import environ
        world_size = int(environ.get("WORLD_SIZE", -1))
    """)
    assert fix(POSITIVES["base-keyword"], SELECT) == dedent("""
        import os
        local_rank = int(os.getenv("LOCAL_RANK", -1))
    """)


def test_other_bad_bases_are_reported_without_a_fix():
    (finding,) = lint(POSITIVES["any-value-base-one"], SELECT)
    assert finding.fix is None
    assert fix(POSITIVES["any-value-base-one"], SELECT) == dedent(POSITIVES["any-value-base-one"])


def test_fix_keeps_comments():
    code = """
        import os
        local_rank = int(os.getenv("LOCAL_RANK"), -1)  # set by torchrun
    """
    assert fix(code, SELECT) == dedent("""
        import os
        local_rank = int(os.getenv("LOCAL_RANK", -1))  # set by torchrun
    """)
