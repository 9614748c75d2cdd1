"""Type-check a snippet with the project's mypy config and compare with its own markers.

A line ending in ``# E`` must be a mypy error; ``reveal_type(...)  # T: <type>`` must reveal
exactly that type; every other line must pass. The cache lives under the test's ``tmp_path``
(no state shared with other runs). Shared by the typing tests (``test_list_typing``,
``test_error_typing``).
"""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]


def expected(snippet: str) -> tuple[set[int], dict[int, str]]:
    """The line numbers marked ``# E`` and the types marked ``# T: ...``."""
    errors, reveals = set(), {}
    for number, line in enumerate(snippet.splitlines(), 1):
        if line.endswith("# E"):
            errors.add(number)
        elif "# T: " in line:
            reveals[number] = line.rpartition("# T: ")[2]
    return errors, reveals


def check_snippet(snippet: str, tmp_path: Path, name: str) -> None:
    """Run mypy on ``snippet`` (written to ``tmp_path/<name>.py``) and assert its markers."""
    path = tmp_path / f"{name}.py"
    path.write_text(snippet, encoding="utf-8")
    out, err, _ = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--show-error-codes",
            "--no-error-summary",
            str(path),
        ]
    )
    found_errors: set[int] = set()
    found_reveals: dict[int, str] = {}
    other: list[str] = []
    for line in out.splitlines():
        m = re.match(rf".*{re.escape(name)}\.py:(\d+): (error|note): (.*)$", line)
        if m is None:
            other.append(line)
            continue
        number, kind, text = int(m[1]), m[2], m[3]
        if kind == "error":
            found_errors.add(number)
        elif text.startswith("Revealed type is "):
            found_reveals[number] = text.removeprefix("Revealed type is ").strip('"')
    errors, reveals = expected(snippet)
    lines = snippet.splitlines()
    report = out + err
    assert not other, report
    assert sorted(found_errors - errors) == [], [lines[n - 1] for n in sorted(found_errors - errors)]
    assert sorted(errors - found_errors) == [], [lines[n - 1] for n in sorted(errors - found_errors)]
    assert found_reveals == reveals, report
