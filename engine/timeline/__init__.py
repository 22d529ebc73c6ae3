"""Timelines (OpenTimelineIO, an optional extra): conform an edit to upscaled media.

| module | what it does |
| --- | --- |
| `ranges.py` | which parts of which media files a timeline's video clips use, with handles |
| `conform.py` | render those parts (resumable), write the timeline again pointing at them |
"""
