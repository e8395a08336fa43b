"""The layers of lsat_core: the engine (specs, sample sets, families, workbench, configs) is what
strategies build on, the runner (period loop, work plan, assembly) what looks them up by name.
Imports inside functions count too: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lsat_core

PACKAGE = Path(lsat_core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every absolute module `path` imports, at any depth of its tree."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            assert node.module is not None
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imports_of(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """Files of `package` that import a module under one of `forbidden`, with those modules."""
    offending = {}
    for path in sorted((PACKAGE / package).rglob("*.py")):
        bad = sorted(
            m
            for m in imported_modules(path)
            if any(m == f or m.startswith(f + ".") for f in forbidden)
        )
        if bad:
            offending[str(path.relative_to(PACKAGE))] = bad
    return offending


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("engine", ("lsat_core.strategies", "lsat_core.runner")),
        ("strategies", ("lsat_core.runner",)),
    ],
)
def test_a_layer_imports_nothing_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    assert imports_of(package, forbidden) == {}


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from lsat_core.strategies import registry\n")
    assert "lsat_core.strategies.registry" in imported_modules(module)
