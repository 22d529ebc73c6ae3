"""Fine-tuning on the user's footage: the advanced panel, its form, footage list, loss plot, model
library, the worker thread, the gate that keeps it and the render queue apart, and its mounting."""
