"""The render queue: jobs as data and their saved file, the table model, the dock panel, and the
runner that renders one job at a time on a background thread."""
