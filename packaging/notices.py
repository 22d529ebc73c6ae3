"""Write THIRD_PARTY_NOTICES.txt: every Python distribution and every shared library we ship, with licences.

    .venv/bin/python packaging/notices.py --bundle dist/savsr-studio   # -> dist/savsr-studio/_internal/...
    .venv/bin/python packaging/notices.py                              # -> build/THIRD_PARTY_NOTICES.txt

With ``--bundle`` the shared libraries are the ones PyInstaller collected into the built folder; without
it they are the ones the app's runtime distributions install (PyAV's ``av.libs``, ``numpy.libs``,
``torch/lib``, Qt, the extension modules), i.e. what a bundle would collect from this environment. The
spec writes the environment's version into the bundle; build.py then rewrites it from the bundle itself.

Sources of truth, not hand-kept lists: the Python distributions and their licence texts come from
pip-licenses (the runtime dependency closure of ``savsr-studio``); a library inside a wheel's vendored
folder (``av.libs``: FFmpeg, x264, ...) is named by :data:`VENDORED` and the wheel's own licence files;
a library PyInstaller took from the system is named by ``dpkg -S`` and its Debian copyright file. A
library nothing identifies is listed as such (the packaging test fails on it).
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata as md
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "THIRD_PARTY_NOTICES.txt"
SHARED = re.compile(r"\.(so(\.[\d.]+)?|dylib|dll|pyd)$", re.IGNORECASE)
HASHED = re.compile(r"^(?P<stem>.+?)(?:-[0-9a-f]{8})+\.(so|dylib|dll)")     # auditwheel/delocate names
COMMON_LICENCES = Path("/usr/share/common-licenses")

# Libraries vendored inside wheels (auditwheel/delocate/delvewheel folders): stem -> (component, licence).
# FFmpeg's own libraries report "LGPL version 3 or later" (avcodec_license()), but PyAV's build links
# libx264 and libx265, which are GPL-2.0-or-later: see packaging/README.md, "Licences in the bundle".
VENDORED = {
    "libavcodec": ("FFmpeg", "LGPL-3.0-or-later (as built; linked with GPL x264/x265)"),
    "libavdevice": ("FFmpeg", "LGPL-3.0-or-later (as built)"),
    "libavfilter": ("FFmpeg", "LGPL-3.0-or-later (as built)"),
    "libavformat": ("FFmpeg", "LGPL-3.0-or-later (as built)"),
    "libavutil": ("FFmpeg", "LGPL-3.0-or-later (as built)"),
    "libswresample": ("FFmpeg", "LGPL-3.0-or-later (as built)"),
    "libswscale": ("FFmpeg", "LGPL-3.0-or-later (as built)"),
    "libx264": ("x264", "GPL-2.0-or-later"), "libx265": ("x265", "GPL-2.0-or-later"),
    "libSvtAv1Enc": ("SVT-AV1", "BSD-3-Clause-Clear with the AOMedia patent licence"),
    "libdav1d": ("dav1d", "BSD-2-Clause"), "libvpx": ("libvpx", "BSD-3-Clause"), "libopus": ("Opus", "BSD-3-Clause"),
    "libmp3lame": ("LAME", "LGPL-2.0-or-later"), "libopencore-amrnb": ("opencore-amr", "Apache-2.0"),
    "libopencore-amrwb": ("opencore-amr", "Apache-2.0"), "libwebp": ("libwebp", "BSD-3-Clause"),
    "libwebpmux": ("libwebp", "BSD-3-Clause"), "libsharpyuv": ("libwebp", "BSD-3-Clause"),
    "libvpl": ("oneVPL dispatcher", "MIT"), "libgnutls": ("GnuTLS", "LGPL-2.1-or-later"),
    "libnettle": ("Nettle", "LGPL-3.0-or-later or GPL-2.0-or-later"),
    "libhogweed": ("Nettle", "LGPL-3.0-or-later or GPL-2.0-or-later"),
    "libgmp": ("GMP", "LGPL-3.0-or-later or GPL-2.0-or-later"),
    "libunistring": ("libunistring", "LGPL-3.0-or-later or GPL-2.0-or-later"),
    "libasound": ("alsa-lib", "LGPL-2.1-or-later"), "libdrm": ("libdrm", "MIT"), "libXau": ("libXau", "MIT"),
    "libxcb": ("libxcb", "MIT"), "libxcb-shape": ("libxcb", "MIT"), "libxcb-shm": ("libxcb", "MIT"),
    "libxcb-xfixes": ("libxcb", "MIT"),
    "libscipy_openblas64_": ("OpenBLAS", "BSD-3-Clause"), "libscipy_openblas": ("OpenBLAS", "BSD-3-Clause"),
    "libgfortran": ("GCC runtime (libgfortran)", "GPL-3.0-or-later with the GCC Runtime Library Exception"),
    "libquadmath": ("GCC runtime (libquadmath)", "LGPL-2.1-or-later"),
    "libgomp": ("GCC runtime (libgomp)", "GPL-3.0-or-later with the GCC Runtime Library Exception"),
}
# Components linked *statically* into a shipped library: (file glob, marker bytes, component, licence).
STATIC = [("libtorch_cpu*", b"mkl_serv_", "Intel oneMKL (statically linked into libtorch_cpu)",
           "Intel Simplified Software License (proprietary, redistributable; not GPL-compatible)")]
GPL_ONLY = ("x264", "x265")


@dataclass
class Library:
    path: str            # relative to the scanned folder
    component: str
    licence: str
    source: str          # the distribution or system package it came from


def runtime_distributions(root: str = "savsr-studio") -> list[md.Distribution]:
    """The installed distributions the app needs at run time (the closure of ``root``'s requirements)."""
    from packaging.requirements import Requirement
    seen, todo, out = set(), [root], []
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if name != root:
            out.append(dist)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(out, key=lambda d: d.metadata["Name"].lower())


def owners(dists) -> dict[str, str]:
    """Top-level folder or file name inside site-packages -> distribution name."""
    table = {}
    for dist in dists:
        for f in dist.files or []:
            top = f.parts[0]
            if not top.endswith((".dist-info", ".data")) and top != "..":
                table.setdefault(top, dist.metadata["Name"])
    return table


def classify(rel: str, owner: str | None, system_pkg: str | None) -> Library:
    name = Path(rel).name
    m = HASHED.match(name)
    stem = m.group("stem") if m else re.split(r"\.(so|dylib|dll|pyd)", name, flags=re.IGNORECASE)[0]
    if stem in VENDORED:
        comp, lic = VENDORED[stem]
        return Library(rel, comp, lic, owner or system_pkg or "?")
    if owner:
        return Library(rel, owner, "as the distribution (section 3)", owner)
    if system_pkg:
        return Library(rel, system_pkg, system_licence(system_pkg), f"Debian package {system_pkg}")
    if stem.startswith("libpython") or rel.startswith(("lib-dynload/", "python3")):
        return Library(rel, "Python", "PSF-2.0", "the Python interpreter")
    return Library(rel, "UNIDENTIFIED", "unknown", "?")


def dpkg_owners(names: list[str]) -> dict[str, str]:
    """File name -> Debian package that installed a file of that name (empty off Debian)."""
    if not names:
        return {}
    try:
        out = subprocess.run(["dpkg", "-S", *names], capture_output=True, text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    table = {}
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        table.setdefault(Path(path.strip()).name, pkgs.split(",")[0].split(":")[0].strip())
    return table


def system_licence(pkg: str) -> str:
    copyright_file = Path("/usr/share/doc") / pkg / "copyright"
    try:
        found = re.findall(r"^License:\s*(\S.*)$", copyright_file.read_text(errors="replace"), re.MULTILINE)
    except OSError:
        return "see the package's copyright file"
    return ", ".join(dict.fromkeys(found[:6])) or "see the package's copyright file"


def scan(folder: Path) -> tuple[list[Library], set[str]]:
    """Every shared library under a bundle's ``folder``, and the installed distributions they come from.

    A library in a package folder belongs to the distribution that installed that folder; one that
    PyInstaller put at the top (Qt, ICU, libpython, system libraries) to the distribution that
    installed a file of that name, else to the Debian package that did.
    """
    everything = [d for d in md.distributions() if d.metadata["Name"]]
    table = owners(everything)
    by_name: dict[str, str] = {}
    for dist in everything:
        for f in dist.files or []:
            if SHARED.search(f.name):
                by_name.setdefault(f.name, dist.metadata["Name"])
    files = sorted(p for p in folder.rglob("*") if p.is_file() and SHARED.search(p.name))
    top_level = [p.name for p in files if p.parent == folder and p.name not in by_name]
    system = dpkg_owners(top_level) if sys.platform.startswith("linux") else {}
    libs, used = [], set()
    for p in files:
        rel = p.relative_to(folder).as_posix()
        owner = table.get(rel.split("/")[0]) if "/" in rel else by_name.get(p.name)
        if owner:
            used.add(owner)
        libs.append(classify(rel, owner, system.get(p.name) if owner is None else None))
    return libs, used


def environment_libraries(dists) -> tuple[Path, list[Library]]:
    """The shared libraries the runtime distributions install (no bundle built)."""
    site = Path(md.distribution("av").locate_file(""))
    table = owners(dists)
    libs = []
    for dist in dists:
        for f in dist.files or []:
            if SHARED.search(f.name):
                libs.append(classify(f.as_posix(), table.get(f.parts[0]), None))
    return site, sorted(libs, key=lambda lib: lib.path)


def static_components(folder: Path, libs: list[Library]) -> list[tuple[str, str, str]]:
    found = []
    for pattern, marker, comp, lic in STATIC:
        for lib in libs:
            if Path(lib.path).match(pattern) and _contains(folder / lib.path, marker):
                found.append((lib.path, comp, lic))
    return found


def _contains(path: Path, marker: bytes, chunk: int = 1 << 24) -> bool:
    try:
        with open(path, "rb") as fh:
            tail = b""
            while block := fh.read(chunk):
                if marker in tail + block:
                    return True
                tail = block[-len(marker):]
    except OSError:
        pass
    return False


def pip_licenses(names: list[str]) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "piplicenses", "--from=mixed", "--format=json", "--with-urls",
                          "--with-license-file", "--with-notice-file", "--no-license-path", "--packages", *names],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def render(where: str, libs: list[Library], static, packages: list[dict], bundle: bool) -> str:
    from engine import __version__
    tool = f"pip-licenses {md.version('pip-licenses')}"
    gpl = sorted({lib.component for lib in libs if lib.component in GPL_ONLY})
    lines = [f"SAVSR Studio {__version__} -- third-party notices", "",
             f"Generated by packaging/notices.py on {datetime.date.today()} from {where}, with {tool}.",
             "SAVSR Studio itself and its bundled model: Apache-2.0. The sample clip: CC BY 3.0 (its CREDITS.txt).",
             f"{len(packages)} Python distributions, {len(libs)} shared libraries"
             + (f"; GPL-only components: {', '.join(gpl)} (see 'Source code' at the end)." if gpl else "."), "",
             "=" * 100, "1. Shared libraries" + (" in this bundle" if bundle else " the app's distributions install"),
             "=" * 100]
    width = min(64, max((len(lib.path) for lib in libs), default=10))
    lines += [f"{lib.path:<{width}}  {lib.component}: {lib.licence} [{lib.source}]" for lib in libs]
    lines += ["", "=" * 100, "2. Components linked statically into the libraries above", "=" * 100]
    lines += [f"{path}: {comp}: {lic}" for path, comp, lic in static] or ["(none found)"]
    lines += ["See also section 3: torch's licence lists the third-party code compiled into libtorch."]
    lines += ["", "=" * 100, "3. Python distributions", "=" * 100]
    lines += [f"{p['Name']} {p['Version']}: {p['License']}  {p.get('URL', '')}" for p in packages]
    lines += ["", "=" * 100, "4. Licence and notice texts of the Python distributions", "=" * 100]
    for p in packages:
        lines += ["", "-" * 100, f"{p['Name']} {p['Version']} ({p['License']})", "-" * 100,
                  _text(p.get("LicenseText")) or "(no licence file in the distribution)"]
        if _text(p.get("NoticeText")):
            lines += ["", "NOTICE:", _text(p["NoticeText"])]
    lines += ["", "=" * 100, "5. Licence texts of the shared libraries' licences", "=" * 100]
    for name in ("GPL-2", "GPL-3", "LGPL-2.1", "LGPL-3"):
        text = _text((COMMON_LICENCES / name).read_text()) if (COMMON_LICENCES / name).is_file() else ""
        lines += ["", "-" * 100, name, "-" * 100, text or f"(see https://www.gnu.org/licenses/ for {name})"]
    lines += ["", "=" * 100, "Source code", "=" * 100,
              "FFmpeg, x264 and x265 as shipped come from the PyAV wheel (https://github.com/PyAV-Org/PyAV, its",
              "build scripts name the exact source releases). For the GPL and LGPL components above, the",
              "corresponding source is available from the SAVSR Studio project on request for three years",
              "from the release, at no more than the cost of distribution; Qt's source: https://download.qt.io/."]
    return "\n".join(lines) + "\n"


def _text(value) -> str:
    return "" if value in (None, "UNKNOWN") else str(value).strip()


def write_notices(out: Path, bundle: Path | None = None) -> list[Library]:
    """Write the notices file; returns the shared libraries it lists."""
    sys.path.insert(0, str(ROOT))
    dists = runtime_distributions()
    names = {d.metadata["Name"] for d in dists}
    if bundle is not None:
        folder = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
        (libs, used), where = scan(folder), f"the bundle {bundle.name}/"
        names |= used               # what the bundle really holds: optional extras the analysis found too
    else:
        folder, libs = environment_libraries(dists)
        where = "the build environment (no bundle)"
    packages = pip_licenses(sorted(names, key=str.lower))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(where, libs, static_components(folder, libs), packages, bundle is not None),
                   encoding="utf-8")
    return libs


def default_out(bundle: Path | None) -> Path:
    if bundle is None:
        return ROOT / "build" / NAME
    return (bundle / "_internal" if (bundle / "_internal").is_dir() else bundle) / NAME


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", type=Path, help="the built folder (dist/savsr-studio); default: the environment")
    ap.add_argument("--out", type=Path, help=f"the file to write (default: <bundle>/_internal/{NAME} or build/{NAME})")
    args = ap.parse_args(argv)
    out = args.out or default_out(args.bundle)
    libs = write_notices(out, args.bundle)
    unknown = [lib.path for lib in libs if lib.component == "UNIDENTIFIED"]
    print(f"notices: {out} ({len(libs)} shared libraries, {len(unknown)} unidentified"
          + (f": {', '.join(unknown[:5])}" if unknown else "") + ")")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
