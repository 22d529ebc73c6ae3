"""On a busy CPU torch's threads wait asleep instead of spinning (a frame took 20 s instead of about 1 s at a
load of 13-17 on 2 cores); an idle machine and a user's own setting are left as they are."""
from __future__ import annotations

import os
import subprocess
import sys

import engine


def test_a_busy_machine_gets_the_passive_policy_an_idle_one_and_a_users_choice_are_kept(monkeypatch):
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: (float(cores), 0.0, 0.0))
    busy: dict = {}
    assert engine._wait_passively_when_busy(busy) and busy == {"OMP_WAIT_POLICY": "PASSIVE"}
    for users in ({"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "10000"}):
        assert not engine._wait_passively_when_busy(dict(users))
    monkeypatch.setattr(os, "getloadavg", lambda: (cores / 4, 0.0, 0.0))
    idle: dict = {}
    assert not engine._wait_passively_when_busy(idle) and idle == {}


def test_the_policy_is_in_place_before_torch_loads_openmp():
    """Set as ``engine`` is imported, before torch (OpenMP reads it once, at load), so a render and its
    worker processes use it."""
    code = ("import os, sys; os.getloadavg = lambda: (1000.0, 0.0, 0.0); import engine; "
            "print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    probe = ("import builtins, os; real = builtins.__import__\n"
             "def imp(name, *a, **k):\n"
             "    if name == 'torch' and 'OMP_WAIT_POLICY' not in os.environ: raise SystemExit('torch first')\n"
             "    return real(name, *a, **k)\n"
             "builtins.__import__ = imp\n")
    out = subprocess.run([sys.executable, "-c", probe + code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.split() == ["PASSIVE", "True"]
