"""The documentation's examples run, so the pages cannot drift from the code.

Each page of ``docs/`` is a script read top to bottom, in one temporary
project (the ``zenrunner`` fixture):

* a fenced block with a ``title="PATH"`` attribute is a file of the project,
  written when it appears (a later block with the same title replaces it);
* a ``console`` block is run: each ``$ zenrun ARGS`` or ``$ python FILE``
  line is a command, the lines under it are its expected output (matched in
  order, as pytester's ``fnmatch_lines``; other lines may come between);
  ``$ echo $?`` gives the expected exit code of the command before it
  (otherwise 0); ``$ pip ...`` lines are shown, not run;
* ``<!-- docs-test: copy PATH ... -->`` (invisible on the site) copies files
  of this repository into the project, ``<!-- docs-test: new-project -->``
  starts from an empty one.

In expected output, ``...`` matches anything, durations (``0.41s``) and
versions (``3.11.7``) match any, runs of spaces or of ``=``, ``-`` and ``_``
match any length, and ``/home/you/NAME`` is the project's directory.
Blocks of other languages (``bash``, ``python`` without a title) are only
shown. The pages run are Getting started, the user guide and the "Coming
from" pages; ``docs/plugins.md`` has its own test (``tests/plugin_contract``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PROJECT = re.compile(r"/home/you/[\w.-]+")  # how the pages spell the project's directory

FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)(?P<attrs>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
DIRECTIVE = re.compile(r"<!-- docs-test: (?P<words>.*?) -->")
TITLE = re.compile(r'title="(?P<title>[^"]+)"')


def executed_pages() -> list[str]:
    """Getting started, the user guide and the "coming from" pages, relative to docs/."""
    paths = [DOCS / "getting-started.md", *sorted((DOCS / "guide").glob("*.md"))]
    paths += sorted(DOCS.glob("coming-from-*.md"))
    return [path.relative_to(DOCS).as_posix() for path in paths]


def parse(text: str) -> list[tuple[str, ...]]:
    """The page's actions in order: ("file", path, body), ("command", line, expected, exit code),
    ("copy", *paths), ("new-project",)."""
    events: list[tuple[int, tuple[str, ...]]] = []
    for match in DIRECTIVE.finditer(text):
        words = match["words"].split()
        events.append((match.start(), tuple(words)))
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "\n".join(line[indent:] for line in match["body"].splitlines()) + "\n"
        title = TITLE.search(match["attrs"])
        if title:
            events.append((match.start(), ("file", title["title"], body)))
        elif match["lang"] == "console":
            for command in parse_console(body):
                events.append((match.start(), command))
    events.sort(key=lambda event: event[0])
    return [action for _, action in events]


def parse_console(body: str) -> list[tuple[str, ...]]:
    commands: list[list] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            commands.append([line[2:].strip(), []])
        elif commands:
            commands[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"console block starting with output: {line!r}")
    actions = []
    for index, (command, output) in enumerate(commands):
        if command == "echo $?" or command.startswith("pip "):
            continue
        following = commands[index + 1] if index + 1 < len(commands) else None
        code = "0"
        if following and following[0] == "echo $?":
            code = following[1][0].strip()
        actions.append(("command", command, "\n".join(output), code))
    return actions


def pattern(line: str, project: str) -> re.Pattern[str]:
    """The regular expression an expected output line stands for (a ``plugins:`` line: those
    plugins among the installed ones, whatever else a reader has installed)."""
    if line.startswith("plugins: "):
        entries = [pattern(entry, project).pattern for entry in line.removeprefix("plugins: ").split(", ")]
        return re.compile("plugins: " + "".join(f"(?=(?:.*, )?{entry}(?:, |$))" for entry in entries) + ".*")
    parts = []
    for piece in re.split(r"(\.\.\.|/home/you/[\w.-]+|\d+\.\d+\.\d+|\d+\.\d+s\b| +|={3,}|-{3,}|_{3,})", line):
        if not piece:
            continue
        if piece == "...":
            parts.append(".*")
        elif PROJECT.fullmatch(piece):
            parts.append(re.escape(project))
        elif re.fullmatch(r"\d+\.\d+\.\d+", piece):
            parts.append(r"\d+\.\d+\.\d+\S*")
        elif re.fullmatch(r"\d+\.\d+s", piece):
            parts.append(r"\d+\.\d+s")
        elif piece.isspace():
            parts.append(" +")
        elif piece[0] in "=-_" and len(set(piece)) == 1:
            parts.append(re.escape(piece[0]) + "+")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def match_lines(output: str, expected: str, project: str, report: str) -> None:
    lines = [line.rstrip() for line in output.splitlines()]
    position = 0
    for wanted in expected.splitlines():
        if not wanted.strip():
            continue
        regex = pattern(wanted.rstrip(), project)
        for index in range(position, len(lines)):
            if regex.fullmatch(lines[index]):
                position = index + 1
                break
        else:
            pytest.fail(f"no output line matches {wanted!r} (after line {position})\n{report}")


class Runner:
    """Runs a page's actions in a zenrunner project (and in fresh ones after ``new-project``)."""

    def __init__(self, zenrunner, tmp_path_factory) -> None:
        self.project = zenrunner
        self.tmp_path_factory = tmp_path_factory
        # The pages' projects find their rootdir themselves (a pyproject.toml, or the directory).
        (self.project.path / "zenrun.toml").unlink()

    def new_project(self) -> None:
        from zenrun.testing import ZenrunProject

        self.project = ZenrunProject(self.tmp_path_factory.mktemp("docs-project"), REPO)
        (self.project.path / "zenrun.toml").unlink()

    def env(self) -> dict[str, str]:
        return {"COLUMNS": "80", "LINES": "24", "ZENRUN_ADDOPTS": ""}

    def run(self, action: tuple[str, ...]) -> None:
        kind = action[0]
        if kind == "new-project":
            self.new_project()
        elif kind == "copy":
            for name in action[1:]:
                source = REPO / name
                target = self.project.path / name
                if source.is_dir():
                    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(source, target)
        elif kind == "file":
            target = self.project.path / action[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(action[2])
            # A rewritten module must not be imported from a stale .pyc (same size, same second).
            shutil.rmtree(target.parent / "__pycache__", ignore_errors=True)
        elif kind == "command":
            self.command(*action[1:])
        else:
            raise AssertionError(f"unknown docs-test directive {kind!r}")

    def command(self, line: str, expected: str, code: str) -> None:
        args = shlex.split(line, comments=True)
        if args[0] == "zenrun":
            if any(a in ("-n", "--numprocesses") or a.startswith("--orchestrator") for a in args):
                # worker processes: a real subprocess, as a user runs it
                result = self.project.run(*args[1:], env=self.env())
            else:
                result = self.project.runzenrun_inprocess(*args[1:], env=self.env())
        elif args[0] == "python":
            proc = subprocess.run(
                [sys.executable, *args[1:]],
                cwd=self.project.path,
                env=self.project.env(**self.env()),
                capture_output=True,
                text=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
            )
            from zenrun.testing import RunResult

            result = RunResult(args, proc.returncode, proc.stdout, proc.stderr, 0.0)
        else:
            raise AssertionError(f"the docs test cannot run {line!r}: use a bash block for it")
        report = f"$ {line}\n{result._report()}"
        assert str(result.ret) == code, f"exit code {result.ret}, the page says {code}\n{report}"
        match_lines(result.stdout.str() + result.stderr.str(), expected, str(self.project.path), report)


@pytest.mark.parametrize("page", executed_pages())
def test_page_examples_run(page, zenrunner, tmp_path_factory):
    text = (DOCS / page).read_text()
    if "sklearn" in text:
        pytest.importorskip("sklearn")
    runner = Runner(zenrunner, tmp_path_factory)
    for action in parse(text):
        runner.run(action)


def test_pattern_rules():
    regex = pattern("wine      0.73s     0/3     accuracy=0.9815", "/p")
    assert regex.fullmatch("wine  10.06s  0/3  accuracy=0.9815")
    assert not regex.fullmatch("wine  0.06s  0/3  accuracy=0.9")
    regex = pattern("======= 1 passed in 1.76s =======", "/p")
    assert regex.fullmatch("=== 1 passed in 12.01s ===")
    assert pattern("rootdir: /home/you/project", "/tmp/x").fullmatch("rootdir: /tmp/x")
    assert pattern("Pipeline run wine-... has finished in 0.060s.", "/p").fullmatch(
        "Pipeline run wine-05_Dec_26-01_11_22_618453 has finished in 0.888s."
    )


def test_parse_reads_files_commands_and_exit_codes():
    text = (
        '<!-- docs-test: copy pipelines -->\n```python title="pipeline_a.py"\nx = 1\n```\n'
        "```console\n$ zenrun -q\n1 passed\n$ zenrun -k nothing\n$ echo $?\n5\n```\n"
        "```bash\nzenrun --view\n```\n"
    )
    assert parse(text) == [
        ("copy", "pipelines"),
        ("file", "pipeline_a.py", "x = 1\n"),
        ("command", "zenrun -q", "1 passed", "0"),
        ("command", "zenrun -k nothing", "", "5"),
    ]


def test_every_cli_option_is_documented():
    """Each option and ``[tool.zenrun]`` key of ``zenrun --help`` appears in the CLI reference."""
    reference = (DOCS / "reference" / "cli.md").read_text()
    own = ["-p", "dask", "-p", "viewer", "-p", "mlflow", "-p", "postgres"]  # not a reader's other plugins
    help_text = subprocess.run(
        [sys.executable, "-m", "zenrun", *own, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"},
    ).stdout
    options_text, _, ini_text = help_text.partition("\n[zenrun] configuration options in the first")
    options = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", options_text))
    keys = set(re.findall(r"^  (\w+) ", ini_text, re.M))
    assert "pipelinepaths" in keys
    missing = sorted(name for name in options | keys if f"`{name}" not in reference)
    assert not missing, f"docs/reference/cli.md does not document {missing}"


def test_coming_from_pytest_zenrunner_example(zenrunner):
    """The ``zenrunner`` test shown in coming-from-pytest.md passes as written."""
    text = (DOCS / "coming-from-pytest.md").read_text()
    block = next(m["body"] for m in FENCE.finditer(text) if "def test_" in m["body"])
    namespace: dict = {}
    exec(compile(block, "coming-from-pytest.md", "exec"), namespace)
    tests = [fn for name, fn in namespace.items() if name.startswith("test_")]
    assert tests
    for test in tests:
        test(zenrunner)
