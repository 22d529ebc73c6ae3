"""Grow a trained SAVSR to more feature channels without changing what it computes (Net2Net widening).

A widened network starts where the narrow one stopped: training continues from the same outputs
instead of from scratch. Every tensor of feature channels gets a *map* from new channel indices to
old ones; new channel ``j < nf_old`` is old channel ``j``, the extra channels copy old channels
drawn at random (distinct ones while there are enough). Then

* a **producer** (a layer whose output rows are channels) copies its rows and biases by the map,
  so every copy of a channel carries the same activation, through any elementwise nonlinearity,
  BatchNorm (its statistics and affine copied too, in eval and in train mode) and attention that
  scales channels one by one;
* a **reader** (a layer whose input columns are channels) splits each old column among the copies
  of that channel, with random positive fractions that sum to 1 per output row, so the copies'
  contributions add up to the old one. The fractions differ from row to row and layer to layer,
  so the copies are not interchangeable and learn different things once training resumes.

Tensors that concatenate ``n`` features of ``nf`` channels (``2nf``, ``3nf``, ``slid_win * nf``,
an OSConv's ``in_planes``) use the map block by block, matching how the network splits them.
Inner widths get maps of their own: OSAdapt's mask (``nf // 4``), OSConv's routing MLP
(``2 * in_planes`` and ``in_planes``), its attention's hidden width, channel attention's squeeze
(``nf // 16``) and the upsampler's expert width (``nf // 8``). Widths that do not depend on ``nf``
(the upsampler's position embedding, the tail's three outputs, ``gamma``) are copied as they are.
"""
from __future__ import annotations

import torch

from ..arch import SAVSR, SAVSRConfig


def _extend(old: int, new: int, gen: torch.Generator) -> torch.Tensor:
    """Map of ``new`` indices to ``old`` ones: the identity on ``0 .. old-1``, then random old indices
    (a random permutation's first ones, repeated when more than ``old`` are needed)."""
    if new < old:
        raise ValueError(f"cannot narrow {old} channels to {new}")
    extra = [torch.randperm(old, generator=gen) for _ in range(-(-(new - old) // old))] if new > old else []
    return torch.cat([torch.arange(old), *extra])[:new]


def _blocks(g: torch.Tensor, nf_old: int, n: int) -> torch.Tensor:
    """The feature map ``g`` for ``n`` concatenated features: block ``b``, channel ``j`` -> ``b*nf_old + g[j]``."""
    return torch.cat([b * nf_old + g for b in range(n)])


class _Widener:
    """Builds the widened state dict tensor by tensor; every old tensor must be used exactly once."""

    def __init__(self, old: dict, cfg: SAVSRConfig, num_feat: int, gen: torch.Generator):
        self.old, self.new, self.gen = old, {}, gen
        self.nf_old, self.nf_new = cfg.num_feat, num_feat
        self.g = _extend(cfg.num_feat, num_feat, gen)

    # ---- maps ------------------------------------------------------------------------------
    def blocks(self, n: int) -> torch.Tensor:
        return _blocks(self.g, self.nf_old, n)

    def inner(self, old: int, new: int) -> torch.Tensor:
        return _extend(old, new, self.gen)

    # ---- primitives ------------------------------------------------------------------------
    def take(self, key: str) -> torch.Tensor:
        if key in self.new:
            raise KeyError(f"{key} widened twice")
        return self.old[key].detach().to("cpu", torch.float64)

    def put(self, key: str, value: torch.Tensor):
        self.new[key] = value.to(self.old[key].dtype)

    def split(self, w: torch.Tensor, dim: int, index: torch.Tensor) -> torch.Tensor:
        """Columns of ``w`` along ``dim`` by ``index``, each old column shared among its copies with
        random positive fractions summing to 1 for every entry of the dimensions before ``dim``."""
        rows = w.shape[:dim]
        r = torch.rand(*rows, len(index), generator=self.gen, dtype=torch.float64) * 0.8 + 0.2
        total = torch.zeros(*rows, w.shape[dim], dtype=torch.float64).index_add_(dim, index, r)
        frac = r / total.index_select(dim, index)
        trailing = (1,) * (w.dim() - dim - 1)
        return w.index_select(dim, index) * frac.reshape(*frac.shape, *trailing)

    def copy(self, key: str):
        self.new[key] = self.old[key].clone()

    def conv(self, name: str, out: torch.Tensor | None, inp: torch.Tensor | None):
        """A convolution or linear layer: rows copied by ``out``, columns split by ``inp`` (None: as is)."""
        w = self.take(f"{name}.weight")
        if out is not None:
            w = w.index_select(0, out)
        if inp is not None:
            w = self.split(w, 1, inp)
        self.put(f"{name}.weight", w)
        if f"{name}.bias" in self.old:
            b = self.take(f"{name}.bias")
            self.put(f"{name}.bias", b if out is None else b.index_select(0, out))

    def batchnorm(self, name: str, index: torch.Tensor | None):
        for part in ("weight", "bias", "running_mean", "running_var"):
            t = self.take(f"{name}.{part}")
            self.put(f"{name}.{part}", t if index is None else t.index_select(0, index))
        self.copy(f"{name}.num_batches_tracked")

    # ---- modules ---------------------------------------------------------------------------
    def osconv(self, name: str, inp: torch.Tensor, out: torch.Tensor):
        """:class:`OSConv2d` reading channels by ``inp``, writing them by ``out``."""
        w = self.take(f"{name}.weight")                      # (kernel_num, out, in, k, k)
        self.put(f"{name}.weight", self.split(w.index_select(1, out), 2, inp))
        in_old = self.old[f"{name}.weight"].shape[2]
        hidden = self.inner(2 * in_old, 2 * len(inp))
        routed = self.inner(in_old, len(inp))
        code = torch.arange(2)                               # the scale code's two columns come first
        self.conv(f"{name}.scale_routing.0", hidden, torch.cat([code, code.numel() + inp]))
        self.conv(f"{name}.scale_routing.2", routed, hidden)
        att = f"{name}.attention"
        width_old = self.old[f"{att}.fc.weight"].shape[0]
        width = self.inner(width_old, max(int(len(inp) * 0.0625), 16))  # ScaleAttention's hidden width
        self.conv(f"{att}.fc", width, routed)
        self.batchnorm(f"{att}.bn", width)
        self.conv(f"{att}.channel_fc", inp, width)           # one attention value per input channel
        self.conv(f"{att}.filter_fc", out, width)            # ... and per output channel
        self.conv(f"{att}.spatial_fc", None, width)
        self.conv(f"{att}.kernel_fc", None, width)

    def residual_block(self, name: str, n: int):
        g = self.g
        for i in range(n):
            self.conv(f"{name}.conv0.{i}", g, g)
            self.conv(f"{name}.conv2.{i}", g, self.blocks(2))
        if f"{name}.osconv.weight" in self.old:
            self.osconv(f"{name}.osconv", self.blocks(n), g)
        else:
            self.conv(f"{name}.conv1", g, self.blocks(n))

    def window_unit(self, name: str, cfg: SAVSRConfig):
        self.conv(f"{name}.conv_c", self.g, None)
        self.conv(f"{name}.conv_sup", self.g, None)
        for i in range(cfg.w1_num_block):
            self.residual_block(f"{name}.blocks.{i}", 3)
        self.conv(f"{name}.merge", self.g, self.blocks(3))

    def fusion_unit(self, name: str, win_size: int, cfg: SAVSRConfig):
        for i in range(win_size):
            self.conv(f"{name}.conv_h.{i}", self.g, self.blocks(2))
        for i in range(cfg.w2_num_block):
            self.residual_block(f"{name}.blocks.{i}", cfg.fusion_win)
        self.conv(f"{name}.merge", self.blocks(2), self.blocks(cfg.fusion_win))

    def residual_group(self, name: str, cfg: SAVSRConfig):
        g = self.g
        squeeze = self.inner(self.nf_old // 16, self.nf_new // 16)
        for i in range(cfg.n_resblocks):
            rcab = f"{name}.residual_group.{i}.rcab"
            self.conv(f"{rcab}.0", g, g)
            self.conv(f"{rcab}.2", g, g)
            self.conv(f"{rcab}.3.attention.1", squeeze, g)
            self.conv(f"{rcab}.3.attention.3", g, squeeze)
        self.conv(f"{name}.conv", g, g)

    def osadapt(self, name: str):
        g = self.g
        mask = self.inner(self.nf_old // 4, self.nf_new // 4)
        self.conv(f"{name}.mask.0", mask, g)
        self.batchnorm(f"{name}.mask.1", mask)
        for conv, bn in ((4, 5), (7, 8)):
            self.conv(f"{name}.mask.{conv}", mask, mask)
            self.batchnorm(f"{name}.mask.{bn}", mask)
        self.conv(f"{name}.mask.11", None, mask)
        self.batchnorm(f"{name}.mask.12", None)
        self.osconv(f"{name}.adapt", g, g)

    def upsampler(self, name: str):
        g = self.g
        taps = self.old[f"{name}.kernel_conv.0.weight"].shape[0] // self.nf_old
        # kernel_conv's output channel c*taps + t is tap t of channel c
        self.conv(f"{name}.kernel_conv.0", (g[:, None] * taps + torch.arange(taps)).flatten(), g)
        experts = self.inner(self.nf_old // 8, self.nf_new // 8)    # shared by all experts: they are mixed
        w = self.take(f"{name}.weight_compress")             # (E, nf // 8, nf, 1, 1)
        self.put(f"{name}.weight_compress", self.split(w.index_select(1, experts), 2, g))
        w = self.take(f"{name}.weight_expand")               # (E, nf, nf // 8, 1, 1)
        self.put(f"{name}.weight_expand", self.split(w.index_select(1, g), 2, experts))
        self.conv(f"{name}.fusion", g, self.blocks(2))
        for key in self.old:
            if key.startswith((f"{name}.body.", f"{name}.routing.", f"{name}.offset.", f"{name}.st_offset.")):
                self.copy(key)

    def model(self, cfg: SAVSRConfig, triplets: int, levels: int):
        g = self.g
        self.window_unit("f2p_win", cfg)
        self.window_unit("p2f_win", cfg)
        for i in range(levels):
            self.fusion_unit(f"h_win.{i}", triplets - 2 * i, cfg)
        self.conv("h_win_conv_h", g, self.blocks(2))
        for i in range(cfg.n_resgroups):
            self.residual_group(f"RG.{i}", cfg)
            self.osadapt(f"adapt.{i}")
        self.copy("gamma")
        self.conv("conv_last", g, g)
        self.upsampler("upsample")
        self.conv("tail", None, g)


def widen_state_dict(state: dict, old_config: dict | SAVSRConfig, num_feat: int, seed: int = 0) -> dict:
    """The state dict of a SAVSR with ``num_feat`` feature channels that computes what ``state``
    (a SAVSR built from ``old_config``) computes, up to float rounding. ``seed`` picks the copied
    channels and the split fractions."""
    cfg = old_config if isinstance(old_config, SAVSRConfig) else SAVSRConfig(**old_config)
    if num_feat < cfg.num_feat:
        raise ValueError(f"widening needs at least the old {cfg.num_feat} features, got {num_feat}")
    skeleton = SAVSR(**cfg.to_dict())                        # the old network's layout, for its sizes
    target = SAVSR(**{**cfg.to_dict(), "num_feat": num_feat}).state_dict()
    gen = torch.Generator().manual_seed(seed)
    w = _Widener(state, cfg, num_feat, gen)
    w.model(cfg, skeleton.num_triplets, len(skeleton.h_win))
    unused = sorted(set(state) - set(w.new))
    missing = sorted(set(target) - set(w.new))
    if unused or missing:
        raise ValueError(f"widening does not cover the network: unused {unused[:4]}, missing {missing[:4]}")
    bad = [k for k, v in target.items() if w.new[k].shape != v.shape]
    if bad:
        raise ValueError(f"widened shapes differ from the network's: {bad[:4]}")
    return {k: w.new[k] for k in target}


def widen_model(model: SAVSR, num_feat: int, seed: int = 0) -> SAVSR:
    """A new SAVSR with ``num_feat`` feature channels computing the same function as ``model``, on
    the same device and in the same mode (train/eval, fast or plain path)."""
    state = widen_state_dict(model.state_dict(), model.config, num_feat, seed)
    wide = SAVSR(**{**model.config.to_dict(), "num_feat": num_feat})
    wide.load_state_dict(state, strict=True)
    wide.use_fast_path(model.fast)
    wide.fuse_branches = model.fuse_branches
    device = next(model.parameters()).device
    return wide.to(device).train(model.training)
