"""One duration formatter for the command line and the app."""
from engine.durations import format_duration


def test_words_round_as_people_say_them():
    assert [format_duration(s) for s in (0.2, 4, 59, 61, 3600, 7800)] == ["1 s", "4 s", "59 s", "1 min", "1 h",
                                                                        "2 h 10 min"]


def test_clock_ticks():
    assert [format_duration(s, "clock") for s in (5, 125, 3725)] == ["00:05", "02:05", "1:02:05"]


def test_nothing_measured_yet_reads_as_dashes():
    assert {format_duration(v, style) for v in (None, float("nan"), float("inf"))
            for style in ("words", "clock")} == {"--:--"}
