"""The examples in fragmap's docstrings run as tests (issue #16): an example that no longer
matches the code fails here, not in a planner's notebook.

An example marked ``# doctest: +SKIP`` (it needs a project on disk) may show a call, never an
output: an output nobody checks is a placeholder that drifts from the code.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import fragmap

ROOT = Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    return ["fragmap"] + sorted(i.name for i in pkgutil.walk_packages(fragmap.__path__, "fragmap."))


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # an optional extra (the desk's web stack) is not installed
        pytest.skip(f"{name}: {exc}")


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _import(name)
    monkeypatch.chdir(ROOT)  # examples name files of the repository (data/reference/...)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples fail (details above)"


@pytest.mark.parametrize("name", _module_names())
def test_skipped_examples_show_no_output(name: str) -> None:
    module = _import(name)
    fake = [f"{t.name}: {e.source.strip()}" for t in doctest.DocTestFinder().find(module, name)
            for e in t.examples if e.options.get(doctest.SKIP) and e.want.strip()]
    assert not fake, "skipped examples with an unchecked output (make them run or drop the output):\n" + "\n".join(fake)


def test_the_runner_catches_a_wrong_example() -> None:
    bad = ModuleType("bad")
    bad.__doc__ = ">>> 1 + 1\n3\n"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(bad, "bad"):
        runner.run(test, out=lambda _: None)
    assert runner.summarize(verbose=False).failed == 1
