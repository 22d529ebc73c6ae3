"""engine.scale: one size rule for the panel, the plan and the preview; the network's order."""
from __future__ import annotations

import pytest

from engine.arch.upsampler import output_size as network_size
from engine.scale import Scale, even_size


def test_sizes_round_halves_up():
    assert Scale(1.5, 1.5).output_size(135, 240) == (203, 360)     # 202.5 -> 203 (round() gives 202)
    assert Scale(1.5, 1.5).output_size(135, 240, even=(True, False)) == (202, 360)  # nearer even
    assert Scale(2.5, 1.75).output_size(135, 240) == (236, 600)


def test_even_size_ties_go_up():
    assert even_size(203.0, 203, 2, 1000) == 204
    assert even_size(202.5, 203, 2, 1000) == 202


def test_named_fields_and_the_network_order():
    s = Scale(w=2.5, h=1.75)
    assert s.network == (1.75, 2.5) and Scale.of(s.network) == s and Scale.of(2) == Scale(2.0, 2.0)
    assert s.turned(90) == Scale(1.75, 2.5) and s.turned(180) == s
    assert s.label() == "2.5 x 1.75" and Scale(2, 2).label() == "2"


@pytest.mark.parametrize("in_hw, out_hw", [((135, 240), (202, 360)), ((137, 241), (478, 963)),
                                           ((720, 1280), (1081, 1921))])
def test_exact_factors_give_the_planned_size_in_the_networks_rule(in_hw, out_hw):
    s = Scale.exact(in_hw, out_hw)
    assert s.output_size(*in_hw) == out_hw
    assert network_size(*in_hw, s.network) == out_hw              # the authors' round() agrees there
