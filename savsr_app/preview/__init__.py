"""The preview: before/after panes, the viewport they share, the worker that computes them, and the
frame transport (slider, in/out points)."""
