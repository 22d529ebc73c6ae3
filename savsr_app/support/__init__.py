"""Qt plumbing shared by the app: background calls, throttling, a table model, platform checks."""
