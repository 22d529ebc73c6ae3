"""The package list; everything else is in pyproject.toml.

``resources/`` (bundled model, sample clip, icons) installs as the package ``savsr_resources``, read
through ``importlib.resources`` (engine/resources.py). pyproject.toml's ``packages.find`` only finds
packages under their folder names, so the list that adds the renamed one lives here.
"""
from setuptools import find_namespace_packages, setup

setup(packages=find_namespace_packages(include=["engine", "engine.*", "savsr_app", "savsr_app.*"],
                                          exclude=["*.__pycache__"])
      + ["savsr_resources"])
