"""A function's source block as the cache fingerprints it: read without tokenizing when the
code object's positions show where the block ends, the same block ``inspect.getblock`` finds."""

from __future__ import annotations

import ast
import importlib
import inspect
import linecache
import os
import re
import textwrap
import types

import pytest

from zenrun import sources

TRICKY = '''
import functools

def plain(x):
    return x + 1

@functools.lru_cache
def decorated(
    x: int,
    y: int = 2,
) -> int:
    total = x + y
    return (
        total
        * 2
    )

def ends_with_pass(x):
    x = x + 1
    pass

def ends_with_a_comment(x):
    return x
    # a comment at the block's depth

def ends_with_a_docstring_like_string():
    value = 1
    """not compiled"""

def with_nested():
    def inner(a):
        if a:
            return [
                a,
            ]
    return inner

async def coroutine(x):
    await x

class Holder:
    def method(self):
        return self

    @staticmethod
    def static():
        return 3

def after_the_class():
\treturn 4

def unreachable_generator():
    return 1
    yield
'''


def _functions(module: types.ModuleType):
    seen: set[int] = set()
    stack = list(vars(module).values())
    while stack:
        obj = stack.pop()
        if isinstance(obj, type) and obj.__module__ == module.__name__ and id(obj) not in seen:
            seen.add(id(obj))
            stack.extend(vars(obj).values())
            continue
        func = getattr(obj, "__func__", getattr(obj, "__wrapped__", obj))
        if isinstance(func, types.FunctionType) and id(func) not in seen:
            seen.add(id(func))
            yield func


def _compare(module: types.ModuleType) -> tuple[int, int]:
    """(functions compared, of which the fast path read): every fast read parses to the
    same AST as inspect.getblock's block."""
    compared = fast = 0
    for func in _functions(module):
        code = func.__code__
        lines = linecache.getlines(code.co_filename)
        start = code.co_firstlineno - 1
        if not lines or start >= len(lines):
            continue
        while start > 0 and not re.match(sources._DEF_LINE, lines[start]):
            start -= 1
        expected = ast.dump(ast.parse(textwrap.dedent("".join(inspect.getblock(lines[start:])))))
        compared += 1
        block = sources._block_by_positions(lines, start, code)
        if block is not None:
            fast += 1
            assert ast.dump(ast.parse(textwrap.dedent("".join(block)))) == expected, func.__qualname__
        assert ast.dump(ast.parse(textwrap.dedent(sources.function_source(func) or ""))) == expected
    return compared, fast


def test_tricky_blocks_read_as_getblock_reads_them(tmp_path, monkeypatch):
    (tmp_path / "tricky_blocks.py").write_text(TRICKY)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("tricky_blocks")
    compared, fast = _compare(module)
    assert compared == 11
    # the unreachable yield compiles to nothing: that block asks getblock
    assert fast == 10


@pytest.mark.parametrize(
    "name", ["zenrun.execution", "zenrun.cache", "zenrun.compose", "argparse", "logging", "inspect"]
)
def test_the_blocks_of_real_modules_read_as_getblock_reads_them(name):
    compared, fast = _compare(importlib.import_module(name))
    assert compared > 20 and fast > compared * 0.9


def test_real_path_resolves_as_realpath_with_each_folder_once(tmp_path, monkeypatch):
    """Linked folders, a linked file, a link changed after its folder was resolved (the
    file's own link is looked at every time), relative paths, '..' and a trailing slash."""
    from zenrun.sources import real_path

    (tmp_path / "real" / "pkg").mkdir(parents=True)
    (tmp_path / "real" / "pkg" / "mod.py").write_text("")
    (tmp_path / "elsewhere.py").write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "pkg" / "alias.py").symlink_to(tmp_path / "elsewhere.py")
    monkeypatch.chdir(tmp_path / "real")
    paths = [
        str(tmp_path / "linked" / "pkg" / "mod.py"),
        str(tmp_path / "linked" / "pkg" / "alias.py"),
        str(tmp_path / "linked" / "pkg"),
        str(tmp_path / "linked" / "pkg") + "/",
        str(tmp_path / "linked" / "pkg" / ".."),
        "pkg/mod.py",
        "mod.py",
        str(tmp_path / "missing" / "x.py"),
    ]
    for path in paths + paths:  # the second time from the folders resolved the first
        assert real_path(path) == os.path.realpath(path), path
    (tmp_path / "real" / "pkg" / "alias.py").unlink()
    (tmp_path / "real" / "pkg" / "alias.py").symlink_to(tmp_path / "real" / "pkg" / "mod.py")
    assert real_path(paths[1]) == str(tmp_path / "real" / "pkg" / "mod.py")


def _module_answer(code: types.CodeType, monkeypatch: pytest.MonkeyPatch) -> bool:
    """What compiling the whole module says of ``code``."""
    with monkeypatch.context() as patched:
        patched.setattr(sources, "_block_is_current", lambda code, lines: False)
        return sources.source_is_current(code)


def _block_answers(module: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """(top-level functions, of which their own block said current); a block says current
    only of code its whole module's text still holds."""
    top = current = 0
    for func in _functions(module):
        code = func.__code__
        lines = linecache.getlines(code.co_filename)
        if code.co_qualname == code.co_name:
            top += 1
        if sources._block_is_current(code, lines):
            current += 1
            assert _module_answer(code, monkeypatch), func.__qualname__
    return top, current


def test_a_top_level_function_is_checked_against_its_own_block(tmp_path, monkeypatch):
    (tmp_path / "tricky_current.py").write_text(TRICKY)
    monkeypatch.syspath_prepend(str(tmp_path))
    top, current = _block_answers(importlib.import_module("tricky_current"), monkeypatch)
    # all but the unreachable yield's (its block is read by getblock: the module is compiled)
    assert (top, current) == (9, 8)


@pytest.mark.parametrize("name", ["argparse", "logging", "inspect", "json.decoder", "textwrap"])
def test_the_blocks_of_real_modules_say_what_their_modules_say(name, monkeypatch):
    top, current = _block_answers(importlib.import_module(name), monkeypatch)
    assert top > 3 and current > top * 0.8


FUTURE = """from __future__ import annotations

if True:
    def guarded(x: Missing) -> Missing:
        def inner(y: AlsoMissing) -> None:
            return None
        return inner
"""


def test_a_block_compiles_with_its_module_future_imports_and_indentation(tmp_path, monkeypatch):
    (tmp_path / "future_block.py").write_text(FUTURE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("future_block")
    code = module.guarded.__code__
    assert sources._block_is_current(code, linecache.getlines(code.co_filename))
    assert sources.source_is_current(code)


def test_a_function_edited_after_import_is_not_current(tmp_path, monkeypatch):
    path = tmp_path / "edited_block.py"
    path.write_text("def step(x):\n    return x + 1\n\n\ndef other():\n    return 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("edited_block")
    code = module.step.__code__
    assert sources.source_is_current(code)
    path.write_text("def step(x):\n    return x + 2\n\n\ndef other():\n    return 2\n")
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    linecache.checkcache(str(path))
    assert not sources._block_is_current(code, linecache.getlines(str(path)))
    assert not sources.source_is_current(code)
    assert sources.source_is_current(module.other.__code__)


CONTEXT = "{first}\n{second}\n\n\ndef step(x):\n    def inner(y: Missing) -> None:\n        return None\n    return os.getcwd()\n"


@pytest.mark.parametrize(
    "before, after",
    [
        # os.getcwd() of an imported name compiles to other instructions than of another value
        (("import os", "# nothing"), ("os = __import__('os')", "# nothing")),
        # a nested function's annotations compile otherwise without the future import
        (("from __future__ import annotations", "import os"), ("# no future import", "import os")),
    ],
)
def test_a_module_line_the_function_compiles_with_edited_after_import(tmp_path, monkeypatch, before, after):
    path = tmp_path / f"context_{len(before[0])}.py"
    path.write_text(CONTEXT.format(first=before[0], second=before[1]))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(path.stem)
    code = module.step.__code__
    assert sources._block_is_current(code, linecache.getlines(str(path)))
    path.write_text(CONTEXT.format(first=after[0], second=after[1]))  # the same lines for step
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    linecache.checkcache(str(path))
    assert not sources._block_is_current(code, linecache.getlines(str(path)))
    assert not sources.source_is_current(code)
