"""The README's `jobs` session, replayed command by command against a real server: each exits
as its comment says (0 without one) and prints the lines shown, compared by their first word
(ids, headers and field names; ages and times differ from run to run)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from jobscheduler.cli.main import build_parser
from jobscheduler.jobtypes import build_registry

README = Path(__file__).resolve().parents[2] / "README.md"

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT")
_EXIT = re.compile(r"#\s*exit (\d+)")


def session() -> list[tuple[str, int, list[str]]]:
    """(command, exit code, output lines) of the console block of "The `jobs` command"."""
    text = README.read_text()
    section = text[text.index("## The `jobs` command") :]
    block = section[section.index("```console\n") + len("```console\n") :]
    block = block[: block.index("```\n")]
    steps: list[tuple[str, int, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            code = _EXIT.search(line)
            steps.append((line[2:], int(code.group(1)) if code else 0, []))
        else:
            steps[-1][2].append(line)
    return steps


def first_words(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines if line.strip()]


def test_every_command_of_the_jobs_session_runs_as_shown(target: str, tmp_path: Path) -> None:
    steps = session()
    assert len(steps) > 10
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSCHEDULER_")}
    env |= {"JOBSCHEDULER_SERVER": target, "JOBSCHEDULER_CONFIG": str(tmp_path / "none.toml")}
    for command, expected_code, shown in steps:
        argv = shlex.split(command, comments=True)
        assert argv[0] == "jobscheduler"
        result = subprocess.run(
            [sys.executable, "-m", "jobscheduler", *argv[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert result.returncode == expected_code, (command, result.stdout, result.stderr)
        if any(_TIMESTAMP.match(line) for line in shown):
            # A watch prints one line per change, as many as the run had.
            assert all(_TIMESTAMP.match(line) for line in result.stdout.splitlines()), command
            continue
        assert first_words(result.stdout.splitlines()) == first_words(shown), command


def test_every_jobs_flag_is_in_the_readme() -> None:
    """Each flag of every `jobs` command is documented in the README."""
    text = README.read_text()
    section = text[text.index("## The `jobs` command") : text.index("## Python client")]
    parser = build_parser()
    jobs = next(
        action.choices["jobs"]
        for action in parser._actions
        if getattr(action, "choices", None) and "jobs" in action.choices
    )
    commands = next(a for a in jobs._actions if getattr(a, "choices", None)).choices
    missing = set()
    for name, command in commands.items():
        assert f"jobs {name}" in section or name == "get" or name in section, name
        for action in command._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag not in ("--help",) and flag not in section:
                    missing.add(flag)
    assert not missing - _TYPE_FLAGS, sorted(missing - _TYPE_FLAGS)


# The job types' own flags are described with the types (see "Job types").
_TYPE_FLAGS = {
    name
    for handler in build_registry()
    for flag in handler.cli_flags
    for name in (flag.option, *flag.aliases)
    if name
}
