"""Previews for the app: the render's own tiles and a whole frame's bicubic (no Qt)."""
