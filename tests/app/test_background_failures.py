"""Any exception in a background call reaches the user: a message with its type, and the call ends.

A RuntimeError (torch's usual complaint) used to escape the ``SavsrError``/``OSError``/``ValueError``
handlers: neither ``done`` nor ``failed`` fired, the thread never quit and "Opening..." stayed forever.
"""
from __future__ import annotations


def _raiser(message):
    def fail(*_args, **_kwargs):
        raise RuntimeError(message)
    return fail


def test_opening_a_clip_that_makes_the_probe_raise_says_so_and_ends(qtbot, window, clip, monkeypatch):
    import savsr_app.panels.clip_panel
    monkeypatch.setattr(savsr_app.panels.clip_panel, "probe_clip", _raiser("decoder state is corrupt"))
    with qtbot.waitSignal(window.openFailed, timeout=30000) as failed:
        window.open_path(str(clip))
    assert failed.args[0] == "RuntimeError: decoder state is corrupt"
    assert window.notifier.text() == "RuntimeError: decoder state is corrupt"
    qtbot.waitUntil(lambda: not window.background.busy, timeout=10000)
    assert window.info is None


def test_a_model_choice_that_raises_is_logged_and_ends(qtbot, window, clip, monkeypatch):
    import engine.models.choice
    monkeypatch.setattr(engine.models.choice, "choose_model", _raiser("bad weights"))
    with qtbot.waitSignal(window.auto_model.logged, timeout=30000,
                          check_params_cb=lambda text: text.startswith("auto model:")) as logged:
        window.open_path(str(clip))
    assert logged.args[0] == "auto model: RuntimeError: bad weights"
    qtbot.waitUntil(lambda: not window.background.busy, timeout=10000)
    assert window.info is not None            # the clip itself opened


def test_a_call_that_raises_anything_fails_with_its_type(qtbot):
    from savsr_app.support.tasks import Background
    background, answers = Background(), []

    def fail():
        raise KeyError("frame 12")
    background.call(fail, done=lambda r: answers.append(("done", r)), failed=lambda m: answers.append(("failed", m)))
    qtbot.waitUntil(lambda: bool(answers) and not background.busy, timeout=10000)
    assert answers == [("failed", "KeyError: 'frame 12'")]
