"""The Qt binding: the app reaches it through one module (``savsr_app/qt.py``), and it must survive a
long session: PySide6 6.12.0 on Python 3.11 dropped a reference to ``True`` at every signal emitted
from Python and aborted the process after about a thousand (a long render reports progress that
often). That test runs in a child process, so a binding with the fault fails it instead of killing
the test run."""
import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "savsr_app"

CODE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Emitter(QObject):
    progress = Signal(int, bool)
e, seen = Emitter(), []
e.progress.connect(lambda n, done: seen.append(n))
before = sys.getrefcount(True)
for i in range(5000):
    e.progress.emit(i, True)
print(len(seen), sys.getrefcount(True) - before)
"""


def test_five_thousand_signals_leave_reference_counts_alone():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-500:]
    emitted, drift = map(int, result.stdout.split())
    assert emitted == 5000 and abs(drift) < 50


def test_qt_is_imported_only_through_the_qt_module():
    offenders = []
    for path in APP.rglob("*.py"):
        if path.name == "qt.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("PySide6", "qtawesome")]
    assert not offenders, offenders
