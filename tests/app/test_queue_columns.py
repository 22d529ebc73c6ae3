"""The queue's columns show their text whole at 1280x800 ("done: 25 frames in 83.4 s, CPU · OpenVINO bf16",
not "done: 25..."); only an overlong message is cut, and the row's tooltip says it all."""
from __future__ import annotations

from savsr_app.qt import QApplication, Qt
from savsr_app.queue.jobs import DONE, FAILED, RUNNING, QueueEntry
from savsr_app.queue.model import OUTPUT_COLUMN, STATE_COLUMN
from savsr_app.queue.panel import OUTPUT_ROOM

DONE_MESSAGE = "25 frames in 83.4 s, CPU · OpenVINO bf16"
FULL_DISK = ("could not write {out}: No space left on device; the 12 finished frames are kept for a resume "
             "(--resume, or Retry in the app)")


def entry(clip, out, state, **fields):
    from engine.render.job import RenderJob
    return QueueEntry(job=RenderJob(input=str(clip), output=str(out)), out_size=(640, 270), frames=25, state=state,
                      **fields)


def needed(table, row: int, col: int) -> int:
    """Pixels the cell's text (and icon) need, as the view's delegate measures them."""
    return table.sizeHintForIndex(table.model().index(row, col)).width()


def test_every_column_shows_its_text_whole_at_1280x800(qtbot, window, clip, tmp_path):
    window.resize(1280, 800)
    out = tmp_path / "big_buck_bunny_320x180_savsr_640x270.mp4"
    model, table = window.queue_model, window.queue_panel.table
    model.add(entry(clip, out, DONE, done=25, message=DONE_MESSAGE))
    model.add(entry(clip, out, RUNNING, done=3, fps=0.3, message="CPU · torch fp32"))
    QApplication.processEvents()
    for row in range(2):
        for col in range(OUTPUT_COLUMN):
            assert table.columnWidth(col) >= needed(table, row, col), (row, col, model.index(row, col).data())
    assert model.index(0, STATE_COLUMN).data() == f"done: {DONE_MESSAGE}"

    model.add(entry(clip, out, FAILED, message=FULL_DISK.format(out=out)))      # too long to show whole
    QApplication.processEvents()
    assert table.columnWidth(STATE_COLUMN) < needed(table, 2, STATE_COLUMN)
    assert table.columnWidth(STATE_COLUMN) >= needed(table, 0, STATE_COLUMN)   # the done row still reads whole
    assert table.columnWidth(OUTPUT_COLUMN) >= OUTPUT_ROOM
    assert FULL_DISK.format(out=out) in model.index(2, STATE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
