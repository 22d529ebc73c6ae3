"""Model files: checkpoints and their formats, the bundled models and ``auto``'s choice, the artifact detector."""
