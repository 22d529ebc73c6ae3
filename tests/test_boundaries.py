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
    code = ("import sys, engine, engine.cli, engine.models.checkpoint; "
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ENGINE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages=("engine", "savsr_app")) -> dict[str, set[str]]:
    """Module -> project modules it imports (at any depth in the file, lazy imports included)."""
    files = {module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[:len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                continue
            deps |= {t for t in targets if t in files and t != name}
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    """No module reaches itself through imports, lazy ones included, except a package and the
    submodules its ``__init__`` gathers (they import siblings, never the package)."""
    graph = import_graph(ENGINE.parent)
    for name in graph:  # importing a package's own __init__ from inside is what makes a circle
        graph[name] = {d for d in graph[name] if not (name.startswith(d + ".") and d != name)}
    assert cycles(graph) == []


def test_cycle_finder_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# ---- house order: rooms, small modules, no training history in the tree ------------------------
ROOT = ENGINE.parent
ENTRY_MODULES = {"__init__.py", "__main__.py", "main.py"}
WEIGHT_SUFFIXES = (".pt", ".pth", ".safetensors", ".onnx", ".ckpt", ".bin")


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        import pytest
        pytest.skip("needs a git checkout")
    return out.splitlines()


def test_few_modules_lie_loose_at_a_package_root():
    for package in ("engine", "savsr_app"):
        loose = sorted(p.name for p in (ROOT / package).glob("*.py") if p.name not in ENTRY_MODULES)
        assert len(loose) <= 8, f"{package}/ has {len(loose)} loose modules: {loose}"


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for package in ("engine", "savsr_app") for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert not long, long


def test_weights_are_tracked_only_where_they_belong():
    """Bundled models, test fixtures, and at most one active training run (its checkpoint and export)."""
    weights = [f for f in tracked_files() if f.endswith(WEIGHT_SUFFIXES)]
    stray = [f for f in weights if not f.startswith(("resources/models/", "tests/fixtures/", "training/active/"))]
    assert not stray, stray
    runs = {f.split("/")[2] for f in weights if f.startswith("training/active/")}
    assert len(runs) <= 1, f"more than one active run is tracked: {sorted(runs)}"
    per_run = [f for f in weights if f.startswith("training/active/")]
    assert len(per_run) <= 2, per_run


def test_test_helpers_are_a_package():
    assert (ROOT / "tests" / "helpers" / "__init__.py").is_file()
    conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    assert "sys.path.insert" not in conftest
