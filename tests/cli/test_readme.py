"""README's tour stays true: every command it shows exists, with every option it uses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cabledesk.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def tour_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("cabledesk "):
                lines.append(line)
    return lines


def test_the_readme_has_a_tour() -> None:
    assert len(tour_lines()) >= 15


@pytest.mark.parametrize("line", tour_lines())
def test_tour_command_and_its_options_exist(runner: CliRunner, line: str) -> None:
    words = shlex.split(line)[1:]
    path = []
    for w in words:  # the command path: leading words that name (sub)commands
        probe = runner.invoke(app, [*path, w, "--help"])
        if probe.exit_code == 0 and not w.startswith("-") and w not in path:
            path.append(w)
        else:
            break
    assert path, f"no such command: {line}"
    help_text = runner.invoke(app, [*path, "--help"]).stdout
    for opt in (w.split("=")[0] for w in words if w.startswith("--")):
        assert opt in help_text, f"{line}: {opt} is not an option of `cabledesk {' '.join(path)}`"
