"""THIRD_PARTY_NOTICES.txt names every shared library we ship (issue 16, item 10), and the Linux
installer declares the system libraries Qt's xcb plugin needs.

The notices come from packaging/notices.py over this environment (what a bundle collects from it): a
normal test, about 30 s. The bundle's own notices are checked in test_bundle.py (marked ``packaging``).
"""
from __future__ import annotations

import importlib.metadata as md
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _notices_module():
    spec = importlib.util.spec_from_file_location("savsr_packaging_notices", ROOT / "packaging" / "notices.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module           # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def notices(tmp_path_factory):
    pytest.importorskip("piplicenses")
    module = _notices_module()
    out = tmp_path_factory.mktemp("notices") / module.NAME
    libs = module.write_notices(out)
    return module, libs, out.read_text(encoding="utf-8")


def test_every_library_of_pyav_is_in_the_notices_with_its_licence(notices):
    module, _libs, text = notices
    av_libs = [f for f in md.distribution("av").files if module.SHARED.search(f.name) and "libs" in f.parts[0]]
    assert av_libs, "PyAV ships its FFmpeg in a vendored folder (av.libs / .dylibs)"
    for f in av_libs:
        line = next((ln for ln in text.splitlines() if ln.startswith(f.as_posix())), None)
        assert line is not None, f"{f} is not in the notices"
        assert "UNIDENTIFIED" not in line
    assert re.search(r"libx264\S*\s+x264: GPL-2.0-or-later", text) and re.search(r"libx265\S*\s+x265: GPL", text)
    assert "GPL-only components: x264, x265" in text


def test_every_shared_library_of_the_runtime_is_in_the_notices(notices):
    module, libs, text = notices
    shipped = [f.as_posix() for d in module.runtime_distributions() for f in d.files or []
               if module.SHARED.search(f.name)]
    assert len(libs) == len(shipped) and shipped
    listed = {ln.split()[0] for ln in text.splitlines() if ln and not ln.startswith((" ", "=", "-"))}
    assert [p for p in shipped if p not in listed] == []
    assert [lib.path for lib in libs if lib.component == "UNIDENTIFIED"] == []


def test_the_python_distributions_come_with_their_licence_texts(notices):
    module, _libs, text = notices
    for dist in ("torch", "av", "numpy", "PySide6_Essentials", "QtAwesome"):
        assert re.search(rf"^{re.escape(dist)} \S+: ", text, re.MULTILINE | re.IGNORECASE), dist
    assert "GNU GENERAL PUBLIC LICENSE" in text or "gnu.org/licenses" in text


def test_the_linux_installer_declares_the_xcb_libraries():
    from savsr_app.support.platform_check import XCB_LIBRARIES
    script = (ROOT / "packaging" / "linux" / "install.sh").read_text()
    declared = re.search(r'DEBIAN_PACKAGES="([^"]*)"', script).group(1).split()
    sonames = re.search(r'SONAMES="([^"]*)"', script).group(1).split()
    assert declared == list(dict.fromkeys(XCB_LIBRARIES.values())) and sonames == list(XCB_LIBRARIES)
    assert "apt install " + " ".join(declared[:3]) in (ROOT / "docs" / "app.md").read_text().replace("\\\n    ", "")
