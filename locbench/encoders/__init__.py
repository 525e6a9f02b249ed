"""Location encoders: the TorchSpatial zoo, `no_prior`, pretrained GeoCLIP and plugins.

    spec = get_encoder("Sphere2Vec-sphereM")
    enc = spec.build(seed=0, preset="inat2018")          # nn.Module, (N, 2) lon/lat -> (N, enc.output_dim)
"""

from __future__ import annotations

from locbench.encoders.catalog import get_encoder, list_encoders, resolve_encoder
from locbench.encoders.spec import TRAINING_KEYS, EncoderSpec

__all__ = ["EncoderSpec", "TRAINING_KEYS", "get_encoder", "list_encoders", "resolve_encoder"]
