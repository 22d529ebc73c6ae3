"""The engine must stay usable without Qt: nothing under engine/ imports PySide6 or the app."""
import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
FORBIDDEN = ("PySide6", "shiboken6", "savsr_app", "qtawesome")


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_engine_sources_do_not_import_qt():
    offenders = [f"{p.relative_to(ENGINE.parent)}: {m}"
                 for p in ENGINE.rglob("*.py") for m in imported_modules(p)
                 if m.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_importing_the_engine_loads_no_qt():
    code = ("import sys, engine, engine.cli, engine.checkpoint; "
            "bad = [m for m in sys.modules if m.split('.')[0] in %r]; print(bad); sys.exit(1 if bad else 0)"
            % (FORBIDDEN,))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ENGINE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
