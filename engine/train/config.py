"""What a training run is: network, footage, recipe and budget, as one JSON-able dataclass."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..arch import SAVSRConfig

# The bundled default model's network: SAVSR's structure, narrowed and shortened for CPUs.
STUDIO_CONFIG = SAVSRConfig(num_feat=16, w1_num_block=2, w2_num_block=1, n_resgroups=2, n_resblocks=4)

# The benchmark's validation split (../shared/data/README.md): never trained on.
VALIDATION_CLIPS = ("blackswan", "car-shadow", "goat", "basketballpass")
TRAIN_PRECISIONS = ("auto", "fp32", "bf16")
TARGET_SCALES = ((1.5, 1.5), (2.0, 2.0), (2.5, 2.5), (3.0, 3.0), (3.5, 3.5), (4.0, 4.0), (1.5, 4.0), (3.5, 2.0))


@dataclass
class TrainConfig:
    model: dict = field(default_factory=STUDIO_CONFIG.to_dict)  # SAVSR constructor arguments
    data: list = field(default_factory=list)          # training paths (video files, frame folders)
    exclude: list = field(default_factory=lambda: list(VALIDATION_CLIPS))  # clip names left out
    val_data: list = field(default_factory=list)      # held-out paths for validation
    max_frames: int | None = None                     # frames read per clip (None: all)
    patch: int = 32                                   # LR patch side
    batch: int = 8                                    # >= 2: OSConv's BatchNorm sees (b, C, 1, 1)
    scale_low: float = 1.0
    scale_high: float = 4.0
    integer_steps: int = 0                            # integer scales for the first N steps
    max_stride: int = 2
    degradation: dict | None = None                   # engine.train.degrade.Degradation settings (None: clean LR)
    init: str | None = None                           # model file whose weights start the run (None: fresh)
    lr: float = 5e-4
    warmup: int = 200
    total_steps: int = 20000                          # cosine horizon and step limit
    weight_decay: float = 0.0
    grad_clip: float = 0.5
    ema_decay: float = 0.999
    bn_eval: bool = False                             # BatchNorm layers frozen in eval mode
    precision: str = "fp32"                           # training forward: fp32, bf16 autocast (loss in fp32), or
                                                      # auto: bf16 where the device computes it natively
    zero_tail: bool = True                            # a fresh net starts as bilinear upsampling
    seed: int = 0
    checkpoint_every_s: float = 300.0
    log_every: int = 10
    val_every: int = 500                              # steps between validations (0: only at the end)
    val_scales: list = field(
        default_factory=lambda: [list(s) for s in ((2.0, 2.0), (3.0, 3.0), (4.0, 4.0), (1.5, 4.0))])
    val_frames: int = 2                               # frames per held-out clip
    val_crop: int = 192                               # GT centre crop side for validation (0: whole frame)
    val_degrade: list = field(default_factory=lambda: ["none"])  # LR codecs validated: none, h264:28, ...

    def __post_init__(self):
        if self.batch < 2:
            raise ValueError("batch must be at least 2 (BatchNorm in OSConv's attention needs it)")
        if not 1.0 <= self.scale_low <= self.scale_high:
            raise ValueError(f"scale range must satisfy 1 <= low <= high, got [{self.scale_low}, {self.scale_high}]")
        if self.precision not in TRAIN_PRECISIONS:
            raise ValueError(f"precision must be {', '.join(TRAIN_PRECISIONS)}, got {self.precision!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**d)


def training_precision(requested: str, device) -> str:
    """``fp32`` or ``bf16`` for a run on ``device`` (a torch device): ``auto`` is bf16 where the device
    computes it natively (a CPU with avx512_bf16 or AMX, an Ampere or newer GPU), else fp32."""
    import torch
    if requested != "auto":
        return requested
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    from ..backends.precision import cpu_has_bf16
    return "bf16" if cpu_has_bf16() else "fp32"
