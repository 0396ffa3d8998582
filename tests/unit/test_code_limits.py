"""The package stays easy to read: no module over 400 lines, no function over 60, no folder over 12 modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "communicator_escalation"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_FOLDER_MODULES = 12


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def test_the_package_is_read() -> None:
    assert len(MODULES) > 100
    assert {path.parent for path in MODULES} >= {PACKAGE / "agent", PACKAGE / "cli", PACKAGE / "store"}


def test_no_module_over_400_lines() -> None:
    sizes = {_name(path): len(path.read_text(encoding="utf-8").splitlines()) for path in MODULES}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_over_60_lines() -> None:
    """Counted from the `def` line (decorators aside) to the function's last line, docstring included."""
    long: dict[str, int] = {}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{_name(path)}:{node.lineno} {node.name}"] = lines
    assert long == {}


def test_no_folder_over_12_modules() -> None:
    """`__init__.py` counts: it is a module a reader opens too."""
    counts: dict[str, int] = {}
    for path in MODULES:
        folder = _name(path.parent) if path.parent != PACKAGE else "."
        counts[folder] = counts.get(folder, 0) + 1
    assert {folder: n for folder, n in counts.items() if n > MAX_FOLDER_MODULES} == {}
