"""Port of pytest's ``testing/test_session.py`` (pytest-dev/pytest).

Outcomes of a session (pass, fail, import and syntax errors, ``-x``,
``--maxfail``), broken ``__repr__`` in failure reports, a collection hook
that skips, ``-p``, ``--ignore`` / ``--ignore-glob`` / ``--deselect``,
``--rootdir`` and the working directory at ``zenrun_sessionfinish``. pytest's
``inline_run`` outcome lists are read here from the closing line and the
report. Test sources are written as pytest writes them and turned into
pipelines by ``porting.pipelines`` (the assertion runs in the ``check`` step).

Not ported: the test-class parts (``TestClass``, ``TestBrokenClass``, the
class half of ``test_order_of_execution``), ``pytest.raises`` (zenrun has no
``zenrun.raises``: ``test_raises_output``), ``--keep-duplicates`` and the
``<Dir>`` / ``<Module>`` tree of ``--co`` (zenrun lists pipelines),
``session.shouldfail`` / ``shouldstop`` (pytest's private session flags).
"""

from __future__ import annotations

import pytest
from porting import module_name, pipelines


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


def test_basic_testitem_events(zenrunner) -> None:
    write(
        zenrunner,
        """
def test_one():
    pass
def test_one_one():
    assert 0
def test_other():
    raise ValueError(23)
""",
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(passed=1, failed=2)
    name = module_name(zenrunner)
    result.stdout.fnmatch_lines([f"FAILED {name}.py::test_one_one - *", f"FAILED {name}.py::test_other - *"])


def test_nested_import_error(zenrunner) -> None:
    write(
        zenrunner,
        """
import import_fails
def test_this():
    assert import_fails.a == 1
""",
    )
    zenrunner.makepyfile(import_fails="import does_not_work\na = 1\n")
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*does_not_work*"])
    assert result.ret == 2


def test_syntax_error_module(zenrunner) -> None:
    zenrunner.makepyfile("this is really not python")
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*not python*"])


def test_exit_first_problem(zenrunner) -> None:
    write(zenrunner, "def test_one(): assert 0\ndef test_two(): assert 0\n")
    zenrunner.runzenrun_inprocess("-p", "no:results", "--exitfirst").assert_outcomes(failed=1)


def test_maxfail(zenrunner) -> None:
    write(zenrunner, "def test_one(): assert 0\ndef test_two(): assert 0\ndef test_three(): assert 0\n")
    zenrunner.runzenrun_inprocess("-p", "no:results", "--maxfail=2").assert_outcomes(failed=2)


def test_broken_repr(zenrunner) -> None:
    zenrunner.makepyfile(
        """
import zenrun
from zenrun import pipeline, step

class reprexc(BaseException):
    def __str__(self):
        return "Ha Ha fooled you, I'm a broken repr()."

class BrokenRepr1(object):
    foo=0
    def __repr__(self):
        raise reprexc

@step
def implicit_bad_repr1():
    t = BrokenRepr1()
    assert t.foo == 1

@pipeline
def test_implicit_bad_repr1():
    implicit_bad_repr1()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*<[[]reprexc() raised in repr()[]] BrokenRepr1*"])


def test_broken_repr_with_showlocals_verbose(zenrunner) -> None:
    zenrunner.makepyfile(
        """
from zenrun import pipeline, step

class ObjWithErrorInRepr:
    def __repr__(self):
        raise NotImplementedError

@step
def repr_error():
    x = ObjWithErrorInRepr()
    assert x == "value"

@pipeline
def test_repr_error():
    repr_error()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--showlocals", "-vv")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["x          = <[[]NotImplementedError() raised in repr()[]] ObjWithErrorInRepr*"]
    )


def test_skip_file_by_conftest(zenrunner) -> None:
    zenrunner.makeconftest(
        """
import zenrun
def zenrun_collect_file():
    zenrun.skip("intentional")
"""
    )
    write(zenrunner, pipeline_file="def test_one(): pass")
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    # as pytest: the directory being collected is skipped, once (Session, Dir)
    result.stdout.fnmatch_lines(["collected 0 pipelines / 1 skipped"])
    assert result.ret == 5


def test_order_of_execution(zenrunner) -> None:
    write(
        zenrunner,
        """
values = []
def test_1():
    values.append(1)
def test_2():
    values.append(2)
def test_3():
    assert values == [1,2]
""",
    )
    zenrunner.runzenrun_inprocess("-p", "no:results").assert_outcomes(passed=3)


def test_collect_only_with_various_situations(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_one="""
def test_one():
    raise ValueError()
def test_two():
    pass
""",
    )
    zenrunner.makepyfile(pipeline_three="xxxdsadsadsadsa", __init__="")
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--collect-only")
    result.stdout.fnmatch_lines(["*<Pipeline test_one>", "*<Pipeline test_two>"])
    result.stdout.fnmatch_lines(["*ERROR collecting pipeline_three.py*"])
    result.stdout.no_fnmatch_line("*passed*")
    assert result.ret == 2


def test_minus_x_import_error(zenrunner) -> None:
    zenrunner.makepyfile(__init__="", pipeline_one="xxxx", pipeline_two="yyyy")
    zenrunner.runzenrun_inprocess("-p", "no:results", "-x").assert_outcomes(errors=1)


def test_minus_x_overridden_by_maxfail(zenrunner) -> None:
    zenrunner.makepyfile(__init__="", pipeline_one="xxxx", pipeline_two="yyyy", pipeline_third="zzz")
    zenrunner.runzenrun_inprocess("-p", "no:results", "-x", "--maxfail=2").assert_outcomes(errors=2)


def test_plugin_specify(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-p", "nqweotexistent")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*nqweotexistent*"])


def test_plugin_already_exists(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-p", "terminal")
    assert result.ret == 5


def test_exclude(zenrunner) -> None:
    zenrunner.makepyfile(
        **{"hello/pipeline_hello": "x y syntaxerror", "hello2/pipeline_hello2": "x y syntaxerror"}
    )
    write(zenrunner, pipeline_ok="def test_pass(): pass")
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--ignore=hello", "--ignore=hello2")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_exclude_glob(zenrunner) -> None:
    zenrunner.makepyfile(
        **{
            "hello/pipeline_hello": "x y syntaxerror",
            "hello2/pipeline_hello2": "x y syntaxerror",
            "hallo3/pipeline_hello3": "x y syntaxerror",
            "sub/pipeline_hello4": "x y syntaxerror",
        }
    )
    write(zenrunner, pipeline_ok="def test_pass(): pass")
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--ignore-glob=*h[ea]llo*")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_deselect(zenrunner) -> None:
    write(
        zenrunner,
        pipeline_a="""
import pytest

def test_a1(): pass

@pytest.mark.parametrize('b', range(3))
def test_a2(b): pass

def test_c1(): pass

def test_c2(): pass
""",
    )
    result = zenrunner.runzenrun_inprocess(
        "-p",
        "no:results",
        "-v",
        "--deselect=pipeline_a.py::test_a2[1]",
        "--deselect=pipeline_a.py::test_a2[2]",
        "--deselect=pipeline_a.py::test_c1",
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*3 passed, 3 deselected*"])
    for line in result.stdout.lines:
        assert not line.startswith(("pipeline_a.py::test_a2[1]", "pipeline_a.py::test_a2[2]"))


def test_sessionfinish_with_start(zenrunner) -> None:
    zenrunner.makeconftest(
        """
import os
values = []
def zenrun_sessionstart():
    values.append(os.getcwd())
    os.chdir("..")

def zenrun_sessionfinish():
    assert values[0] == os.getcwd()
"""
    )
    res = zenrunner.runzenrun_inprocess("--collect-only")
    assert res.ret == 5


def test_collection_args_do_not_duplicate_modules(zenrunner) -> None:
    write(zenrunner, **{"d/pipeline_it": "def test_1(): pass\ndef test_2(): pass\n"})
    result = zenrunner.runzenrun_inprocess(
        "--collect-only", "d/pipeline_it.py::test_1", "d/pipeline_it.py::test_2"
    )
    result.stdout.fnmatch_lines(["*<Pipeline test_1>", "*<Pipeline test_2>"])
    assert result.stdout.str().count("<Pipeline test_1>") == 1
    assert result.stdout.str().count("<Module pipeline_it.py>") == 1


@pytest.mark.parametrize("path", ["root", "{relative}/root", "{environment}/root"])
def test_rootdir_option_arg(zenrunner, monkeypatch, path: str) -> None:
    monkeypatch.setenv("PY_ROOTDIR_PATH", str(zenrunner.path))
    path = path.format(relative=str(zenrunner.path), environment="$PY_ROOTDIR_PATH")
    rootdir = zenrunner.path / "root" / "tests"
    rootdir.mkdir(parents=True)
    write(zenrunner, "import os\ndef test_one():\n    assert 1\n")
    result = zenrunner.runzenrun_inprocess("-p", "no:results", f"--rootdir={path}")
    result.stdout.fnmatch_lines([f"*rootdir: {zenrunner.path}/root", "*1 passed*"])


def test_rootdir_wrong_option_arg(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--rootdir=wrong_dir")
    result.stderr.fnmatch_lines(["*Directory *wrong_dir* not found. Check your '--rootdir' option.*"])
