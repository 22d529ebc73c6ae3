"""The Qt binding must survive a long session: PySide6 6.12.0 on Python 3.11 dropped a reference to
``True`` at every signal emitted from Python and aborted the process after about a thousand (a long
render reports progress that often). Run in a child process, so a binding with that fault fails this
test instead of killing the test run."""
import subprocess
import sys

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
