"""Where step code lives, independent of how its module was imported.

Two facts cache keys need, found without walking ``sys.modules``:

- :func:`canonical_module`: a project module's name by its file's place
  under the rootdir. ``pipelines/pipeline_diabetes.py`` is
  ``pipelines.pipeline_diabetes`` whether a script imported it as that, or
  ``zenrun`` as ``pipeline_diabetes``, or it runs as ``__main__``; a notebook,
  the CLI and ``-n`` workers agree, and moving the project directory changes
  nothing. Modules outside the rootdir (installed packages) keep their
  import name.
- :func:`real_function`: the function a decorated one wraps, for where it is defined.
- :func:`function_source`: a function's source lines, read from its code
  object's file through ``linecache``. ``inspect.getsource`` asks
  ``inspect.getmodule``, which for a code object visits every module in
  ``sys.modules`` (measured: 16 ms a function with scikit-learn imported).
"""

from __future__ import annotations
import __future__

import ast
import inspect
import linecache
import os
import re
import sys
import textwrap
import threading
import types
from typing import Any

_root: str | None = None
_real_root: str | None = None
#: (module name, its file, rootdir) -> canonical name
_canonical: dict[tuple[str, str | None, str | None], str] = {}
_lock = threading.Lock()
_MEMO_LIMIT = 20_000


def remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    """``memo[key] = value`` under the memos' lock, the memo emptied first once it holds
    :data:`_MEMO_LIMIT` entries (a notebook redefining functions for days)."""
    with _lock:
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        memo[key] = value


#: The line a function's source starts on, as ``inspect.findsource`` finds it.
# compiled on first use (re caches them): zenrun --help needs neither
_INSTALLED = r"[\\/](site|dist)-packages[\\/]"
_DEF_LINE = r"^(\s*def\s)|(\s*async\s+def\s)|(.*(?<!\w)lambda(:|\s))|^(\s*@)"


#: folder -> its os.path.realpath (see real_path)
_real_folders: dict[str, str] = {}


def prepare() -> None:
    """Compile now the patterns the first look at a function's source compiles (a session
    does as it starts, not in its first run)."""
    re.compile(_INSTALLED)
    re.compile(_DEF_LINE)


def real_function(fn: Any) -> Any:
    """``fn`` without its decorators' wrappers (``__wrapped__``, as pytest's ``get_real_func``):
    where the function a user wrote is defined, not a decorator's ``def wrapper`` in another
    file; ``fn`` itself when unwrapping fails (a cycle, an object whose attributes raise)."""
    try:
        return inspect.unwrap(fn)
    except Exception:
        return fn


def real_path(path: str) -> str:
    """``os.path.realpath(path)``, each folder resolved once per process: telling the
    project's modules from the libraries' looks at every imported module (1,800 of them
    with scikit-learn), and ``realpath`` takes an ``lstat`` per component of each path."""
    folder, base = os.path.split(path)
    if base in ("", ".", "..") or not os.path.isabs(folder):  # (relative: the cwd may change)
        return os.path.realpath(path)
    real = _real_folders.get(folder)
    if real is None:
        if len(_real_folders) > _MEMO_LIMIT:
            _real_folders.clear()
        real = _real_folders[folder] = os.path.realpath(folder)
    resolved = os.path.join(real, base)
    return os.path.realpath(resolved) if os.path.islink(resolved) else resolved


def set_rootdir(path: str | os.PathLike[str] | None) -> None:
    """Name project modules relative to ``path`` from now on (None: by import name)."""
    global _root, _real_root
    if path is None:
        _root = _real_root = None
        return
    root = os.path.abspath(os.fspath(path))
    if root != _root:
        _root, _real_root = root, os.path.realpath(root)


def rootdir() -> str | None:
    return _root


def canonical_module(name: str | None) -> str:
    """``name``'s module named by its file's path under the rootdir, or ``name`` itself."""
    if not name:
        return str(name)
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None) if module is not None else None
    if not isinstance(file, str) or _root is None:
        return name
    key = (name, file, _root)
    known = _canonical.get(key)
    if known is not None:
        return known
    relative = _relative(file)
    canonical = name if relative is None else _dotted(relative)
    remember(_canonical, key, canonical)
    return canonical


def _relative(file: str) -> str | None:
    """``file`` relative to the rootdir, or None outside it (symlinks resolved only if needed)."""
    assert _root is not None and _real_root is not None
    path = os.path.abspath(file)
    if re.search(_INSTALLED, path):  # a virtualenv inside the project: installed all the same
        return None
    for root, candidate in ((_root, path), (_real_root, None)):
        if candidate is None:
            candidate = os.path.realpath(path)
        if candidate.startswith(root + os.sep):
            return candidate[len(root) + 1 :]
    return None


def _dotted(relative: str) -> str:
    stem = relative
    for suffix in (".py", ".pyc", ".pyw"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    parts = [p for p in stem.split(os.sep) if p]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def function_source(fn: types.FunctionType) -> str | None:
    """The source of ``fn``'s own code (never what it wraps), or None when it has none.

    The same block ``inspect.getsource`` returns, without ``inspect.getmodule``:
    the lines of ``fn.__code__.co_filename`` (``linecache``, which asks the
    module's loader when the file is not on disk), from the ``def`` or
    decorator line at ``co_firstlineno``.
    """
    code = fn.__code__
    filename = code.co_filename
    if not filename:
        return None
    if not (filename.startswith("<") and filename.endswith(">")):
        linecache.checkcache(filename)  # a notebook may have edited the file since
    globals_ = getattr(fn, "__globals__", None)
    lines = linecache.getlines(filename, globals_ if isinstance(globals_, dict) else None)
    if not lines:
        return None
    start = code.co_firstlineno - 1
    if start < 0 or start >= len(lines):
        return None
    def_line = re.compile(_DEF_LINE)
    while start > 0 and not def_line.match(lines[start]):
        start -= 1
    block = _block_by_positions(lines, start, code)
    if block is not None:
        return "".join(block)
    try:
        return "".join(inspect.getblock(lines[start:]))
    except (IndexError, SyntaxError):  # pragma: no cover - a file edited under us
        return None


#: file -> (the linecache lines compiled, {(qualified name, first line): [code objects]})
_compiled: dict[str, tuple[list[str], dict[tuple[str, int], list[types.CodeType]]]] = {}
#: id(code) -> (code, the linecache lines whose block of it compiles to it): see _block_is_current
_current_blocks: dict[int, tuple[types.CodeType, list[str]]] = {}


def source_is_current(code: types.CodeType, globals_: dict[str, Any] | None = None) -> bool:
    """Whether the file ``code`` was compiled from still holds its source: what it compiles
    to now has the same code at the same line. False once the file was edited after the
    code was loaded (a session that imported it still runs the code as it was): its source
    is not the code that runs. True for code without a file (``exec``, a notebook cell)."""
    filename = code.co_filename
    if not filename or (filename.startswith("<") and filename.endswith(">")):
        return True
    lines = linecache.getlines(filename, globals_)
    if not lines:
        return True  # no source at all: fingerprinted by its code instead
    if _block_is_current(code, lines):
        return True
    known = _compiled.get(filename)
    if known is None or known[0] is not lines:
        index: dict[tuple[str, int], list[types.CodeType]] = {}
        try:
            _index_code(compile("".join(lines), filename, "exec", dont_inherit=True), index)
        except (SyntaxError, ValueError):
            pass  # an edit under way: nothing in it is the loaded code
        known = (lines, index)
        remember(_compiled, filename, known)
    return any(_same_code(code, other) for other in known[1].get((code.co_qualname, code.co_firstlineno), ()))


def _block_is_current(code: types.CodeType, lines: list[str]) -> bool:
    """Whether the lines of ``code``'s own block, in ``lines``, still compile to ``code``: a
    function defined at the top of its module, whose block alone compiles as it does in its
    module. False for any other (a method, a nested function: alone, their closure's
    variables would read as globals), and when the block does not compile to it: then the
    whole module is compiled, as before.

    Compiling a module took 17 ms for one of 1,700 lines, compiling one of its functions 1
    ms; fingerprinting checks each step function and each project function it calls, in
    each session, and again in each run when its file's lines were read again.
    """
    known = _current_blocks.get(id(code))
    if known is not None and known[0] is code and known[1] is lines:
        return True  # this code against these very lines (linecache's): checked already
    if code.co_qualname != code.co_name or code.co_name == "<lambda>":
        return False
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return False
    block = _block_by_positions(lines, start, code)
    if block is None:
        return False
    text = "".join(block)
    if text[:1] in (" ", "\t"):  # defined under an ``if`` or ``try`` of the module
        text = textwrap.dedent(text)
    # The module's imports, made on the lines before the block: the compiler reads a method
    # of an imported name (``np.array(...)``) with other instructions than one of another
    # value, and its ``from __future__`` imports change what it compiles. Names missed or
    # wrongly taken for imports only make the code differ (then the module is compiled).
    imported, future = _module_imports(lines)
    if imported and not start:
        return False
    head = f"import {', '.join(imported)}\n" + "\n" * (start - 1) if imported else "\n" * start
    try:
        module = compile(head + text, code.co_filename, "exec", flags=future, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    index: dict[tuple[str, int], list[types.CodeType]] = {}
    _index_code(module, index)
    if not any(_same_code(code, other) for other in index.get((code.co_qualname, code.co_firstlineno), ())):
        return False
    remember(_current_blocks, id(code), (code, lines))
    return True


#: file lines -> what their module's top-level imports bind, and its future flags
_imports: dict[int, tuple[list[str], tuple[str, ...], int]] = {}


def _module_imports(lines: list[str]) -> tuple[tuple[str, ...], int]:
    """The names the ``import`` and ``from ... import`` statements at the start of lines of
    ``lines`` bind (``import a.b`` binds ``a``, ``import a as b`` and ``from m import a as
    b`` bind ``b``; ``*`` imports none), and the compiler flags of its ``from __future__``
    imports."""
    known = _imports.get(id(lines))
    if known is not None and known[0] is lines:
        return known[1], known[2]
    names: dict[str, None] = {}
    future = 0
    pending: list[str] | None = None  # the names of a ``from m import (`` still open
    for line in lines:
        line = line.split("#", 1)[0].strip() if pending is not None else line.split("#", 1)[0].rstrip()
        if pending is not None:
            done = ")" in line
            pending.extend(line.split(")", 1)[0].split(","))
            if done:
                _bind(names, pending, aliases_only=False)
                pending = None
            continue
        if line.startswith("import "):
            _bind(names, line[len("import ") :].split(","), aliases_only=True)
        elif line.startswith("from ") and " import " in line:
            module, _, imported = line[len("from ") :].partition(" import ")
            if module.strip() == "__future__":
                for feature in imported.strip("() ").split(","):
                    found = getattr(__future__, feature.split(" as ")[0].strip(), None)
                    future |= getattr(found, "compiler_flag", 0)
                continue
            imported = imported.strip()
            if imported.startswith("("):
                if ")" in imported:
                    _bind(names, imported[1:].split(")", 1)[0].split(","), aliases_only=False)
                else:
                    pending = imported[1:].split(",")
            else:
                _bind(names, imported.split(","), aliases_only=False)
    found = tuple(names)
    remember(_imports, id(lines), (lines, found, future))
    return found, future


def _bind(names: dict[str, None], clauses: list[str], aliases_only: bool) -> None:
    """Add the name each ``a``, ``a.b`` or ``a as b`` clause binds (``import`` statements
    bind the first part of a dotted name, ``from`` ones the name itself)."""
    for clause in clauses:
        words = clause.split()
        if len(words) == 3 and words[1] == "as":
            name = words[2]
        elif len(words) == 1:
            name = words[0].split(".")[0] if aliases_only else words[0]
        else:
            continue
        if name.isidentifier() and name != "*":
            names[name] = None


def _index_code(code: types.CodeType, index: dict[tuple[str, int], list[types.CodeType]]) -> None:
    index.setdefault((code.co_qualname, code.co_firstlineno), []).append(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _index_code(const, index)


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """The same instructions, names and constants (nested code alike), at the same lines."""
    if (
        a.co_code != b.co_code
        or a.co_firstlineno != b.co_firstlineno
        or a.co_flags != b.co_flags  # *args, **kwargs, generator, coroutine
        or a.co_argcount != b.co_argcount
        or a.co_posonlyargcount != b.co_posonlyargcount
        or a.co_kwonlyargcount != b.co_kwonlyargcount
        or a.co_names != b.co_names
        or a.co_varnames != b.co_varnames
        or a.co_freevars != b.co_freevars
        or a.co_cellvars != b.co_cellvars
        or len(a.co_consts) != len(b.co_consts)
    ):
        return False
    for x, y in zip(a.co_consts, b.co_consts, strict=True):
        if isinstance(x, types.CodeType) or isinstance(y, types.CodeType):
            if not (isinstance(x, types.CodeType) and isinstance(y, types.CodeType) and _same_code(x, y)):
                return False
        elif not _same_constant(x, y):
            return False
    return True


def _same_constant(x: object, y: object) -> bool:
    """Equal constants of one type; by repr, so that 0.0 is not -0.0 and NaN is NaN (a
    frozenset by content: its repr's order varies)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, frozenset):
        return x == y
    return repr(x) == repr(y)


def _block_by_positions(lines: list[str], start: int, code: types.CodeType) -> list[str] | None:
    """``inspect.getblock(lines[start:])`` for a ``def`` without tokenizing: the block ends
    at the last line any instruction of ``code`` (or of a function nested in it) spans,
    when the next line of code after it is indented no deeper than the ``def``. Else None
    (a last statement that compiles to nothing, a ``pass``, a lambda): ask ``getblock``.

    Why: ``getblock`` tokenizes, and compiling the tokenizer's pattern costs a process
    4 ms, more than the first 40 steps of a run.
    """
    first = lines[start].expandtabs()
    head = first.lstrip()
    if not head.startswith(("def ", "async ", "@")):
        return None
    end = _last_line(code)
    if end <= start + 1 or end > len(lines):
        return None
    indent = len(first) - len(head)
    for line in lines[end:]:
        text = line.expandtabs()
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(text) - len(text.lstrip()) > indent:
            return None  # the block goes on with something that compiled to no instruction
        break
    return lines[start:end]


#: id(code) -> (code, its last line): a function's block is found twice, for its normalized
#: source and for the check that its file still holds it (code objects never change)
_last_lines: dict[int, tuple[types.CodeType, int]] = {}


def _last_line(code: types.CodeType) -> int:
    """The last line (1-based) any instruction of ``code`` or of its nested code spans."""
    known = _last_lines.get(id(code))
    if known is not None and known[0] is code:
        return known[1]
    last = _spanned(code)
    remember(_last_lines, id(code), (code, last))
    return last


def _spanned(code: types.CodeType) -> int:
    last = 0
    for _, end, _, _ in code.co_positions():
        if end is not None and end > last:
            last = end
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            last = max(last, _spanned(const))
    return last


#: file -> (the linecache lines parsed, {class qualname: (first line, last line)})
_class_spans: dict[str, tuple[list[str], dict[str, tuple[int, int]]]] = {}


def class_source(cls: type) -> str | None:
    """The source of class ``cls`` (decorators included), found by its qualified name in
    its module's file, as ``inspect.getsource`` finds it but without ``inspect.getmodule``;
    None when it has none (defined in a notebook cell, by ``exec``, in a nested function)."""
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    if not isinstance(filename, str) or "<locals>" in cls.__qualname__:
        return None
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, module.__dict__)
    if not lines:
        return None
    known = _class_spans.get(filename)
    if known is None or known[0] is not lines:
        try:
            tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            return None
        spans: dict[str, tuple[int, int]] = {}
        _find_classes(tree, "", spans)
        known = (lines, spans)
        remember(_class_spans, filename, known)
    span = known[1].get(cls.__qualname__)
    if span is None:
        return None
    return "".join(lines[span[0] - 1 : span[1]])


def _find_classes(node: ast.AST, prefix: str, spans: dict[str, tuple[int, int]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.ClassDef):
            name = f"{prefix}{child.name}"
            start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
            spans.setdefault(name, (start, child.end_lineno or child.lineno))
            _find_classes(child, f"{name}.", spans)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _find_classes(child, f"{prefix}{child.name}.<locals>.", spans)
        elif isinstance(child, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            _find_classes(child, prefix, spans)  # a class defined under a condition
