"""The output panel's Delivery field (issue 27 items 3 and 4): a preset sets the fields and the size
rule, a later edit says "(modified)", jobs take what the fields show; user presets saved, renamed and
deleted through the file the CLI reads; all of it, and the output folder, back after a restart; a
missing folder is offered to be created; a damaged presets file is one notification."""
from __future__ import annotations

import json
from pathlib import Path

from helpers.app_clips import open_clip
from helpers.fields import wheel

from engine.cli import main
from engine.video.delivery_store import FILE_NAME


def choose(window, text: str):
    """Pick ``text`` in the Delivery combo as a user does (a click on the item)."""
    combo = window.delivery.field.combo
    combo.showPopup()                      # the list is read again as it opens
    combo.hidePopup()
    i = combo.findText(text)
    assert i >= 0, [combo.itemText(n) for n in range(combo.count())]
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def test_a_preset_sets_the_fields_and_an_edit_shows_it_modified(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    panel, combo = window.output_panel, window.delivery.field.combo
    choose(window, "ProRes 422 HQ master")
    assert (panel.current_codec(), panel.extension(), combo.currentText()) == ("prores", ".mov", "ProRes 422 HQ master")
    job = window.make_job()
    assert (job.codec, job.pix_fmt, Path(job.output).suffix) == ("prores", "yuv422p10le", ".mov")
    panel.container.setCurrentIndex(panel.container.findData(".mkv"))
    assert combo.currentText() == "ProRes 422 HQ master (modified)"
    assert Path(window.make_job().output).suffix == ".mkv"               # the job takes what the fields show
    panel.container.setCurrentIndex(panel.container.findData(".mov"))
    assert combo.currentText() == "ProRes 422 HQ master"
    choose(window, "Web H.265")                # 1920x1080 is beyond x4 for a 96x64 clip: said, factors kept
    assert (panel.current_codec(), panel.crf.value(), window.state.scale.w) == ("h265", 22, 2.0)
    assert "1920 x 1080 needs a factor outside 1 to 4" in window.notifier.text()
    assert combo.currentText() == "Web H.265 (modified)"
    panel.crf.setValue(22)
    wheel(combo)                               # the wheel over the unfocused combo changes nothing
    assert combo.currentText() == "Web H.265 (modified)"


def test_user_presets_round_trip_through_the_file_the_cli_reads(qtbot, window, clip, app_home, capsys):
    open_clip(qtbot, window, clip)
    delivery, panel = window.delivery, window.output_panel
    window.scale_panel.apply_preset("size", (256, 144))     # a 96x64 clip fits 256x144 at x2.25: 216x144
    panel.set_fields("h264", 20, ".mkv", None, "medium")
    delivery.ask_name = lambda *_a: "Client small"
    delivery.save_as()
    assert delivery.field.combo.currentText() == "Client small"
    saved = json.loads((app_home / "config" / FILE_NAME).read_text())["presets"]
    assert saved == [{"name": "Client small", "codec": "h264", "container": ".mkv", "size": "256x144", "crf": 20,
                      "pix_fmt": None, "speed": "medium"}]
    assert main(["presets"]) == 0
    assert "Client small          fit 256x144" in capsys.readouterr().out      # the CLI sees it
    assert main(["presets", "save", "From the CLI", "--codec", "ffv1"]) == 0
    choose(window, "From the CLI")                                           # the app sees the CLI's
    assert (panel.current_codec(), panel.extension()) == ("ffv1", ".mkv")
    choose(window, "Client small")
    assert window.state.output_size() == (216, 144) and window.make_job().crf == 20
    delivery.ask_name = lambda *_a: "Client 144p"
    delivery.rename()
    assert main(["presets"]) == 0 and "Client 144p" in capsys.readouterr().out
    delivery.ask = lambda *_a: True
    delivery.delete()
    assert [p["name"] for p in json.loads((app_home / "config" / FILE_NAME).read_text())["presets"]] == \
        ["From the CLI"]
    assert delivery.field.combo.currentText() == "None"
    choose(window, "FFV1 archive")
    assert not delivery.field.delete_action.isEnabled()                     # built in: no rename or delete


def test_preset_fields_and_folder_are_back_after_a_restart(qtbot, make_window, clip, tmp_path):
    window = make_window()
    choose(window, "DNxHR HQ for Avid")
    window.output_panel.folder.setText(str(tmp_path / "renders"))
    window.close()
    window = make_window()
    panel = window.output_panel
    assert window.delivery.field.combo.currentText() == "DNxHR HQ for Avid"
    assert (panel.current_codec(), panel.extension(), panel.folder.text()) == ("dnxhr-hq", ".mxf",
                                                                               str(tmp_path / "renders"))
    assert window.state.output.pix_fmt == "yuv422p"
    panel.crf.setValue(30)                     # no CRF for DNxHR: not a change of the preset
    panel.codec.setCurrentIndex(panel.codec.findData("dnxhr-sq"))
    window.close()
    window = make_window()
    assert window.delivery.field.combo.currentText() == "DNxHR HQ for Avid (modified)"
    assert window.output_panel.current_codec() == "dnxhr-sq"
    choose(window, "Web H.265")                 # no clip open: its size waits for the next clip
    assert window.state.target == (1920, 1080)
    window.close()
    window = make_window()
    assert (window.delivery.field.combo.currentText(), window.state.target) == ("Web H.265", (1920, 1080))
    window.scale_panel.set_factors(3.0, 3.0)    # factors chosen instead: the size rule is gone, and stays gone
    assert window.delivery.field.combo.currentText() == "Web H.265 (modified)"
    window.close()
    window = make_window()
    assert (window.delivery.field.combo.currentText(), window.state.target) == ("Web H.265 (modified)", None)


def test_a_missing_folder_is_created_on_yes_and_proc_is_said_plainly(qtbot, window, clip, tmp_path):
    open_clip(qtbot, window, clip)
    window.runner.set_running(False)            # queued only: nothing renders
    folder = tmp_path / "new" / "renders"
    window.output_panel.folder.setText(str(folder))
    asked = []
    window.delivery.ask = lambda title, question: asked.append(question) or False
    assert window.add_to_queue() is None and not folder.exists()           # No: refused, as before
    assert "output folder does not exist" in window.notifier.text()
    window.delivery.ask = lambda title, question: asked.append(question) or True
    entry = window.add_to_queue()
    assert folder.is_dir() and Path(entry.job.output).parent == folder
    assert asked == [f"The output folder {folder} does not exist. Create it?"] * 2
    window.output_panel.folder.setText("/proc")
    assert window.add_to_queue() is None
    assert window.notifier.text() == ("Cannot queue this render: cannot write in /proc: /proc is a system folder "
                                      "that does not hold files; choose another output folder")


def test_a_damaged_presets_file_is_one_notification(qtbot, app_home, settings, make_window):
    file = app_home / "config" / FILE_NAME
    file.write_text("{damaged")
    window = make_window()
    assert window.notifier.text() == (f"Delivery presets: user presets ignored: {file} is damaged "
                                      "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))")
    choose(window, "FFV1 archive")                                          # the built-ins work
    assert window.output_panel.current_codec() == "ffv1" and file.read_text() == "{damaged"
