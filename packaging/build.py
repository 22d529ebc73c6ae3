"""Build the SAVSR Studio bundle with PyInstaller, then prove it by running what was built.

    .venv/bin/python packaging/build.py [--variant cpu|cuda] [--dist DIR] [--work DIR] [--no-verify]

1. checks that what the bundle must contain is there (bundled model, sample clip, icons);
2. runs PyInstaller on ``packaging/savsr_studio.spec`` (one folder, two programs);
3. makes every file readable by all users (an installer run as root must not ship 0600 files);
4. runs the *built* programs (offscreen, no display, from an empty folder and with the build
   environment's Python variables removed, so nothing can be imported from the checkout or the
   venv): ``savsr --help``; ``savsr-app`` itself, which must still be running after a minute (its
   window came up; settings go to a temporary folder); and ``savsr-app --selftest``. On Linux it
   first checks that no bundled library needs one the bundle lacks;
5. prints the build time, the bundle size and its biggest contributors, and the self-test line.

Exit status 0 only if the build and every check succeeded. The last lines of output are
``key: value`` pairs (``bundle:``, ``build_seconds:``, ``bundle_mb:``, ``selftest_line:``, ``result:``)
for CI logs and release notes. tests/packaging/test_bundle.py builds with ``--no-verify`` and runs
the same checks itself, one test each (``run_built``, ``gui_stays_up``, ``missing_libraries``).
"""
from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "savsr_studio.spec"
EXE_SUFFIX = ".exe" if sys.platform.startswith("win") else ""
SELFTEST_TIMEOUT_S = 1800   # a few frames on a busy 2-core CPU can take minutes
HELP_TIMEOUT_S = 300
GUI_SMOKE_S = 60.0          # the app must still be running this long after start (no crash on start-up)


def dist_name(variant: str) -> str:
    return "savsr-studio" if variant == "cpu" else "savsr-studio-cuda"


def preflight() -> list[str]:
    """What is missing for a complete bundle (empty if nothing)."""
    sys.path.insert(0, str(ROOT))
    from engine.resources import DEFAULT_MODEL_NAME, default_model_path, resources_dir, sample_clip_path
    problems = []
    if default_model_path() is None:
        problems.append(f"bundled model missing: {resources_dir() / 'models' / DEFAULT_MODEL_NAME}")
    if sample_clip_path() is None:
        problems.append(f"sample clip missing: no .mp4/.mkv/.mov in {resources_dir() / 'sample'}")
    icons = ROOT / "resources" / "icons"
    if not all((icons / f"savsr_studio{ext}").is_file() for ext in (".png", ".ico", ".icns")):
        problems.append(f"app icons missing in {icons}: run packaging/make_icons.py")
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        problems.append(f"PyInstaller is not installed in {sys.prefix}: pip install -e '.[packaging]'")
    return problems


def run_pyinstaller(variant: str, dist: Path, work: Path) -> float:
    env = dict(os.environ, SAVSR_VARIANT=variant)
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    print("build: " + " ".join(cmd), flush=True)
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return time.monotonic() - t0


def write_bundle_notices(bundle: Path) -> bool:
    """Rewrite THIRD_PARTY_NOTICES.txt from what was collected; False if a library is unidentified."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from notices import default_out, write_notices
    out = default_out(bundle)
    libs = write_notices(out, bundle)
    unknown = [lib.path for lib in libs if lib.component == "UNIDENTIFIED"]
    print(f"notices: {out.relative_to(bundle)} lists {len(libs)} shared libraries"
          + (f"; UNIDENTIFIED: {', '.join(unknown)}" if unknown else ", all identified"))
    gpl = sorted({lib.path.rsplit("/", 1)[-1] for lib in libs if lib.licence.startswith("GPL-2.0")})
    if gpl:
        print(f"licence: NOT FOR RELEASE -- GPL-only libraries in the bundle ({', '.join(gpl)}) next to torch's "
              "MKL: see packaging/README.md, 'Licences in the bundle'")
    return not unknown


def make_readable(folder: Path):
    """``a+rX``: files readable by everyone, folders and programs enterable/executable by everyone."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        extra = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        if path.is_dir() or mode & stat.S_IXUSR:
            extra |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        if mode & extra != extra:
            path.chmod(mode | extra)


def clean_env() -> dict:
    """The environment a user's shell would give: no Python variables of the build, no display."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA", "QT_", "PYTEST"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PATH"] = os.defpath if not sys.platform.startswith("win") else os.environ.get("PATH", "")
    return env


def run_built(program: Path, args: list[str], timeout: float) -> tuple[int, str, float]:
    with tempfile.TemporaryDirectory(prefix="savsr-bundle-check-") as cwd:
        t0 = time.monotonic()
        proc = subprocess.run([str(program), *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                              timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - t0


def missing_libraries(bundle: Path) -> list[str]:
    """Linux: shared libraries some bundled file needs that are neither in the bundle nor ones PyInstaller
    leaves to the system on purpose (glibc, libGL, ...). Catches a library dropped by the spec's
    filters while something kept still needs it. Empty elsewhere or without ``readelf``."""
    if not sys.platform.startswith("linux") or not shutil.which("readelf"):
        return []
    from PyInstaller.depend import dylib
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    present = {p.name for p in bundle.rglob("*")}
    problems = []
    for path in files:
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if "(NEEDED)" not in line:
                continue
            name = line.rsplit("[", 1)[-1].rstrip("]")
            if name not in present and not name.startswith("ld-linux") and dylib.include_library(name):
                problems.append(f"{path.relative_to(bundle)} needs {name}")
    return problems


def gui_stays_up(program: Path, seconds: float = GUI_SMOKE_S) -> tuple[bool, str]:
    """Start the built app offscreen with a fresh settings folder; it must still be running after
    ``seconds`` (imports, Qt plugins, fonts and the main window all worked) with no traceback."""
    with tempfile.TemporaryDirectory(prefix="savsr-bundle-gui-") as home:
        env = dict(clean_env(), SAVSR_STUDIO_HOME=home)
        proc = subprocess.Popen([str(program)], cwd=home, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = proc.communicate(timeout=seconds)
            return False, f"exited with status {proc.returncode} within {seconds:.0f} s:\n{out[-3000:]}"
        except subprocess.TimeoutExpired:
            maps = Path(f"/proc/{proc.pid}/maps")
            # Linux: the offscreen platform plugin is loaded only once the QApplication exists
            qt_up = "libqoffscreen" in maps.read_text(errors="replace") if maps.exists() else True
            proc.terminate()
            try:
                out, _ = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
        if "Traceback" in out:
            return False, f"printed a traceback:\n{out[-3000:]}"
        if not qt_up:
            return False, (f"no Qt platform plugin loaded after {seconds:.0f} s "
                           f"(stuck before the QApplication):\n{out[-3000:]}")
        return True, ""


def verify(bundle: Path) -> tuple[bool, str]:
    """Run the built programs; returns (success, the self-test's summary line)."""
    ok = True
    cli, app = bundle / f"savsr{EXE_SUFFIX}", bundle / f"savsr-app{EXE_SUFFIX}"
    for program in (cli, app):
        if not program.is_file():
            print(f"verify: FAILED -- {program} was not built")
            return False, ""
    missing = missing_libraries(bundle)
    if missing:
        ok = False
        print("verify: libraries missing from the bundle FAILED:\n  " + "\n  ".join(missing[:20]))
    elif sys.platform.startswith("linux"):
        print("verify: every library a bundled file needs is in the bundle or left to the system on purpose")
    code, out, secs = run_built(cli, ["--help"], HELP_TIMEOUT_S)
    if code == 0 and "usage: savsr" in out and "upscale" in out:
        print(f"verify: savsr --help OK ({secs:.1f} s to start, print help and exit)")
    else:
        ok = False
        print(f"verify: savsr --help FAILED (exit {code}):\n{out[-3000:]}")
    up, why = gui_stays_up(app)
    if up:
        print(f"verify: savsr-app starts its window offscreen and keeps running ({GUI_SMOKE_S:.0f} s)")
    else:
        ok = False
        print(f"verify: savsr-app start FAILED: {why}")
    code, out, secs = run_built(app, ["--selftest"], SELFTEST_TIMEOUT_S)
    lines = [ln for ln in out.splitlines() if ln.startswith("selftest:")]
    line = lines[-1] if lines else ""
    if code == 0 and line.startswith("selftest: OK"):
        print(f"verify: savsr-app --selftest OK ({secs:.1f} s)")
    else:
        ok = False
        print(f"verify: savsr-app --selftest FAILED (exit {code}):\n{out[-3000:]}")
    return ok, line


def sizes(bundle: Path, top: int = 12) -> tuple[int, list[tuple[int, str]], list[tuple[int, str]]]:
    """Total bytes, the biggest files, and the biggest groups (a package folder under ``_internal``)."""
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    biggest = sorted(((p.stat().st_size, str(p.relative_to(bundle))) for p in files), reverse=True)[:top]
    groups: dict[str, int] = {}
    for p in files:
        parts = p.relative_to(bundle).parts
        if parts[0] == "_internal" and len(parts) > 2:
            key = "/".join(parts[:3]) if parts[1] in ("torch", "PySide6") and len(parts) > 3 else "/".join(parts[:2])
        else:
            key = "/".join(parts[:2]) if parts[0] == "_internal" else parts[0]
        groups[key] = groups.get(key, 0) + p.stat().st_size
    return total, biggest, sorted(((v, k) for k, v in groups.items()), reverse=True)[:top]


def mb(n: int) -> str:
    return f"{n / 2 ** 20:.1f} MB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build and verify the SAVSR Studio bundle.")
    parser.add_argument("--variant", choices=("cpu", "cuda"), default="cpu",
                        help="cpu (default): the CPU build of torch must be installed; cuda: a CUDA build")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder (default: build/pyinstaller/)")
    parser.add_argument("--no-verify", action="store_true", help="build only; do not run the built programs")
    args = parser.parse_args(argv)

    problems = preflight()
    if problems:
        for p in problems:
            print(f"build: cannot build: {p}")
        return 2
    bundle = args.dist.resolve() / dist_name(args.variant)
    try:
        seconds = run_pyinstaller(args.variant, args.dist.resolve(), args.work.resolve())
    except subprocess.CalledProcessError as exc:
        print(f"build: PyInstaller failed (exit {exc.returncode})")
        return 1
    notices_ok = write_bundle_notices(bundle)
    make_readable(bundle)
    total, biggest, groups = sizes(bundle)
    print(f"\nbundle {bundle}: {mb(total)} in {sum(1 for _ in bundle.rglob('*'))} entries")
    print("biggest parts:")
    for n, name in groups:
        print(f"  {mb(n):>10}  {name}")
    print("biggest files:")
    for n, name in biggest:
        print(f"  {mb(n):>10}  {name}")
    ok, line = (True, "(not run: --no-verify)") if args.no_verify else verify(bundle)
    ok = ok and notices_ok
    if shutil.which("du"):
        du = subprocess.run(["du", "-sh", str(bundle)], capture_output=True, text=True).stdout.split()
        print(f"on disk (du -sh): {du[0] if du else '?'}")
    print(f"\nbundle: {bundle}")
    print(f"build_seconds: {seconds:.0f}")
    print(f"bundle_mb: {total / 2 ** 20:.0f}")
    print(f"selftest_line: {line}")
    print(f"result: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
