"""Bundled files, installed as the package ``savsr_resources``: ``models/`` (the default model and its
card), ``sample/`` (the sample clip and its credits), ``icons/``. Read them through engine.resources."""
