"""GAIR's location encoder (Liu et al., arXiv 2503.16683) from the user's local checkpoint, frozen.

Design, as GAIR documents it and its public `gair/location_encoder.py` lays out (read for facts only):
GeoCLIP's - Equal Earth projection scaled by 66.50336/180, three random-Fourier-feature branches at
σ = 2^0, 2^4, 2^8 (B: 256 x 2, a frozen parameter), each MLP 512->1024->1024->1024 (ReLU) then a head
1024->768, summed -> 768-d. Differences from GeoCLIP: the head is 768-d and the input order is
[lon, lat] (ours too). Published key layout, per branch i:
`LocEnc{i}.capsule.0.b`, `LocEnc{i}.capsule.{1,3,5}.{weight,bias}`, `LocEnc{i}.head.0.{weight,bias}`;
a full GAIR checkpoint may hold them under one prefix (e.g. `location_encoder.`), found here.
The checkpoint (`PingL/GAIR` on the Hugging Face Hub, CC BY-NC 4.0) is never downloaded: pass its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from locbench.encoders.geoclip import N_BRANCHES, GeoCLIPLocationEncoder, _key_map
from locbench.encoders.spec import EncoderSpec
from locbench.errors import DataMissingError, InputError

OUT_DIM = 768
ANCHOR = "LocEnc0.capsule.0.b"
HINT = ("GAIR's weights are not shipped: download the checkpoint yourself (Hugging Face PingL/GAIR, CC BY-NC 4.0) "
        "and pass its path with `locbench evaluate -e GAIR --encoder-weights PATH`")


class GairLocationEncoder(GeoCLIPLocationEncoder):
    """(N, 2) lon/lat degrees -> (N, 768) GAIR location embeddings: GeoCLIP's branches with a 768-d head."""

    output_dim = OUT_DIM

    def __init__(self) -> None:
        super().__init__(OUT_DIM)


def _state(path: Path) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors: a bare state dict or one under 'state_dict' / 'model'."""
    if not path.is_file():
        raise DataMissingError(f"GAIR checkpoint not found; {HINT}", file=path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or not a torch file
        raise InputError(f"cannot read GAIR checkpoint: {exc}", file=path) from exc
    for key in ("state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
    if not isinstance(obj, Mapping):
        raise InputError(f"GAIR checkpoint holds a {type(obj).__name__}, not a state dict", file=path)
    return {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def _prefix(state: Mapping[str, torch.Tensor], path: Path) -> str:
    """The one prefix under which the location encoder's keys sit ('' for a bare encoder state dict)."""
    found = sorted(k[: -len(ANCHOR)] for k in state if k.endswith(ANCHOR))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} ({', '.join(map(repr, found))})"
        raise InputError(f"{what} location encoders in the checkpoint (looked for keys ending {ANCHOR!r})", file=path)
    return found[0]


def load_gair(path: str | Path | None) -> GairLocationEncoder:
    """Build, load and shape-check GAIR's location encoder from a local checkpoint; frozen, eval mode."""
    if path is None:
        raise DataMissingError(HINT)
    path = Path(path)
    state = _state(path)
    prefix = _prefix(state, path)
    model = GairLocationEncoder()
    own = model.state_dict()
    mapped: dict[str, torch.Tensor] = {}
    for i in range(N_BRANCHES):
        for ours, theirs in _key_map(i).items():
            key = prefix + theirs
            if key not in state:
                raise InputError(f"GAIR checkpoint lacks key {key!r}", file=path, column=key)
            if tuple(state[key].shape) != tuple(own[ours].shape):
                raise InputError(f"GAIR weight {key!r} has shape {tuple(state[key].shape)}, expected "
                                 f"{tuple(own[ours].shape)}", file=path, column=key)
            mapped[ours] = state[key]
    known = {prefix + t for i in range(N_BRANCHES) for t in _key_map(i).values()}
    extra = sorted(k for k in state if k.startswith(prefix + "LocEnc") and k not in known)
    if extra:
        raise InputError(f"unexpected location-encoder keys in GAIR checkpoint: {extra[:5]}", file=path)
    model.load_state_dict(mapped, strict=True)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def _build(hp: Mapping[str, Any], *, seed: int = 0, train_lonlat: Any = None) -> GairLocationEncoder:
    """Pretrained and frozen: seed and train_lonlat do not apply; the width is fixed at 768."""
    if int(hp.get("output_dim", OUT_DIM)) != OUT_DIM:
        raise InputError(f"GAIR location embeddings are {OUT_DIM}-d; output_dim={hp['output_dim']} is not possible",
                         column="output_dim")
    return load_gair(hp.get("weights"))


GAIR_SPEC = EncoderSpec(
    name="GAIR", family="pretrained", pe_dim_fn=lambda h: 2, builder=_build,
    defaults={"output_dim": OUT_DIM, "weights": None},
    citation="Liu, Z., Zhang, J., Jiao, W., Lao, N., Mai, G. GAIR: Improving Multimodal Geo-Foundation Model with "
             "Geo-Aligned Implicit Representations. arXiv:2503.16683 (2025).",
    trainable=False,
    description="GAIR's pretrained, frozen location encoder (768-d), loaded from a checkpoint the user downloaded "
                "(weights=PATH); nothing is downloaded.",
    deviations=("Re-implemented from the published design (GeoCLIP-like: Equal Earth + 3-scale RFF + MLPs, 768-d "
                "head) and loaded by the published key layout; no GAIR code is imported.",),
    aliases=("gair",),
)
