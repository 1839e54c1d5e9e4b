"""The sandbox and prelude lose their comment lines before every context runs them.

engine/context.py strips the lines that hold only a // comment
(strip_comment_lines): V8 then scans less on every context build. That is
only safe while neither file has a template literal or a string continued on
the next line, where such a line could be part of a string.
"""

from pathlib import Path

import pytest

from engine.context import _CORE, _SANDBOX, strip_comment_lines

ENGINE = Path(__file__).parents[2] / "engine"


@pytest.mark.parametrize("name", ["sandbox.js", "prelude.js"])
def test_stripping_comment_lines_is_safe_for_the_engines_own_js(name):
    code_lines = [
        line
        for line in (ENGINE / name).read_text().split("\n")
        if not line.lstrip().startswith("//")
    ]

    assert not [line for line in code_lines if "`" in line]
    assert not [line for line in code_lines if line.rstrip().endswith("\\")]


def test_what_contexts_run_has_no_comment_lines_and_all_the_code():
    source = (ENGINE / "prelude.js").read_text()

    assert not [line for line in _CORE.split("\n") if line.lstrip().startswith("//")]
    assert not [line for line in _SANDBOX.split("\n") if line.lstrip().startswith("//")]
    assert len(_CORE) < 0.9 * len(source)
    assert [
        line for line in source.split("\n") if "__sh" in line and "//" not in line
    ] == [line for line in _CORE.split("\n") if "__sh" in line and "//" not in line]


def test_only_whole_comment_lines_go():
    js = 'const a = "x // y";\n  // gone\nlet b = 1; // kept\n'

    assert strip_comment_lines(js) == 'const a = "x // y";\nlet b = 1; // kept\n'
