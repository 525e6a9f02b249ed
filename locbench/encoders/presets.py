"""TorchSpatial per-dataset hyper-parameters (spec §B2, read from `pre_trained_models/` names).

Keys (all optional; missing keys fall back to the encoder's defaults):
  lr, batch_size, epochs            training (read by the probes; `build` ignores them)
  frequency_num, min_radius, max_radius, num_hidden_layers, hidden_dim, activation,
  num_rbf_anchor_pts, rbf_kernel_size
Conventions of the source table: `h1` (one hidden layer) unless stated, batch 1024 unless the
file name says BATCH4096/8192, activation relu unless the name says leaky/sigmoid. Epochs are
not in the file names: 30 for the bird datasets, 100 for iNat/YFCC/fMoW (from the log line
counts, "typically 30 (birds), 100-200"). `tile` presets omit min_radius on purpose: TorchSpatial
never passed it to the grid (its values, ~1e-6, are not usable cell sizes).
"""

from __future__ import annotations

from typing import Any

DATASETS = ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018", "yfcc", "fmow")
_BIRDS = ("birdsnap", "birdsnap-ebird", "nabirds-ebird")


def _epochs(ds: str) -> int:
    return 30 if ds in _BIRDS else 100


def _p(**kw: Any) -> dict[str, Any]:
    return kw


A = "activation"
LEAKY = {A: "leakyrelu"}

_TABLE: dict[str, dict[str, dict[str, Any]]] = {
    "tile": {
        "birdsnap": _p(lr=1.89e-4, hidden_dim=512, **LEAKY),
        "birdsnap-ebird": _p(lr=6.59e-5, hidden_dim=512, **LEAKY),
        "nabirds-ebird": _p(lr=6.22e-3, hidden_dim=512, **LEAKY),
        "inat2017": _p(lr=6.62e-4, hidden_dim=512, **LEAKY),
        "inat2018": _p(lr=1.00e-3, hidden_dim=512, **LEAKY),
        "fmow": _p(lr=1.82e-3, hidden_dim=512, **LEAKY),
    },
    "wrap": {
        "birdsnap": _p(lr=1e-3), "birdsnap-ebird": _p(lr=5e-3), "nabirds-ebird": _p(lr=5e-3),
        "inat2017": _p(lr=5e-3), "inat2018": _p(lr=3.17e-3), "yfcc": _p(lr=1e-3), "fmow": _p(lr=5e-3),
    },
    "wrap_ffn": {
        "birdsnap": _p(lr=2e-3, hidden_dim=512), "birdsnap-ebird": _p(lr=1e-3, hidden_dim=512),
        "nabirds-ebird": _p(lr=2e-3, hidden_dim=512), "inat2017": _p(lr=6.0e-4, hidden_dim=512, **LEAKY),
        "inat2018": _p(lr=1.40e-2, hidden_dim=256, **LEAKY), "yfcc": _p(lr=2e-3, hidden_dim=512),
        "fmow": _p(lr=2e-3, hidden_dim=512),
    },
    "rbf": {
        **{d: _p(lr=5e-4, num_rbf_anchor_pts=200, rbf_kernel_size=2.0, hidden_dim=512) for d in _BIRDS},
        "inat2017": _p(lr=1e-2, num_rbf_anchor_pts=500, rbf_kernel_size=2.0),
        "inat2018": _p(lr=1e-2, num_rbf_anchor_pts=500, rbf_kernel_size=2.0),
        "yfcc": _p(lr=1e-3, num_rbf_anchor_pts=200, rbf_kernel_size=2.0),
        "fmow": _p(lr=5e-3, num_rbf_anchor_pts=200, rbf_kernel_size=2.0),
    },
    "rff": {
        "birdsnap": _p(lr=2e-3, frequency_num=64, rbf_kernel_size=1.0),
        "birdsnap-ebird": _p(lr=2e-3, frequency_num=64, rbf_kernel_size=2.0),
        "nabirds-ebird": _p(lr=1e-3, frequency_num=64, rbf_kernel_size=2.0),
        "inat2017": _p(lr=5e-4, frequency_num=16, rbf_kernel_size=0.1),
        "inat2018": _p(lr=5e-4, frequency_num=64, rbf_kernel_size=2.0),
        "yfcc": _p(lr=1e-3, frequency_num=64, rbf_kernel_size=1.0),
        "fmow": _p(lr=5e-3, frequency_num=64, rbf_kernel_size=2.0),
    },
    "Space2Vec-grid": {
        "birdsnap": _p(lr=1e-2, frequency_num=128, min_radius=0.05, hidden_dim=256, batch_size=4096, **LEAKY),
        "birdsnap-ebird": _p(lr=1e-2, frequency_num=128, min_radius=0.1, hidden_dim=512, **LEAKY),
        "nabirds-ebird": _p(lr=1e-2, frequency_num=32, min_radius=0.1, hidden_dim=256, batch_size=4096),
        "inat2017": _p(lr=2e-2, frequency_num=128, min_radius=0.005, hidden_dim=256, batch_size=4096),
        "inat2018": _p(lr=1e-2, frequency_num=32, min_radius=1e-4, hidden_dim=512, batch_size=4096),
        "yfcc": _p(lr=1e-2, frequency_num=64, min_radius=0.005, hidden_dim=512, batch_size=4096),
        "fmow": _p(lr=1e-2, frequency_num=128, min_radius=0.02, hidden_dim=512, batch_size=8192),
    },
    "Space2Vec-theory": {
        "birdsnap": _p(lr=1e-2, frequency_num=64, min_radius=0.01, hidden_dim=256, batch_size=4096, **LEAKY),
        "birdsnap-ebird": _p(lr=1e-2, frequency_num=32, min_radius=0.05, hidden_dim=256),
        "nabirds-ebird": _p(lr=1e-2, frequency_num=32, min_radius=0.05, hidden_dim=256),
        "inat2017": _p(lr=2e-2, frequency_num=64, min_radius=0.1, hidden_dim=256),
        "inat2018": _p(lr=2e-2, frequency_num=64, min_radius=0.05, hidden_dim=512),
        "yfcc": _p(lr=1e-2, frequency_num=64, min_radius=0.05, hidden_dim=256),
        "fmow": _p(lr=2e-2, frequency_num=64, min_radius=1e-4, hidden_dim=512, batch_size=8192),
    },
    "xyz": {
        "birdsnap": _p(lr=4.18e-3, num_hidden_layers=2, hidden_dim=512, **LEAKY),
        "birdsnap-ebird": _p(lr=2e-3, num_hidden_layers=2, hidden_dim=512),
        "nabirds-ebird": _p(lr=2.71e-2, num_hidden_layers=3, hidden_dim=1024),
        "inat2017": _p(lr=5e-4, hidden_dim=512), "inat2018": _p(lr=5e-4, hidden_dim=512),
        "yfcc": _p(lr=2e-3, hidden_dim=512), "fmow": _p(lr=5e-3, hidden_dim=512),
    },
    "NeRF": {
        "birdsnap": _p(lr=1e-2, num_hidden_layers=2, hidden_dim=512, activation="sigmoid"),
        "birdsnap-ebird": _p(lr=1e-2, hidden_dim=256, **LEAKY),
        "nabirds-ebird": _p(lr=1e-2, hidden_dim=256, activation="sigmoid"),
        "inat2017": _p(lr=1e-2, hidden_dim=256, **LEAKY), "inat2018": _p(lr=1e-2, hidden_dim=256, **LEAKY),
        "yfcc": _p(lr=1e-2, hidden_dim=256, activation="relu"),
        "fmow": _p(lr=1e-2, hidden_dim=256, activation="relu"),
    },
    "Sphere2Vec-sphereC": {
        "birdsnap": _p(lr=5.24e-4, frequency_num=16, min_radius=0.098, num_hidden_layers=2, hidden_dim=512, **LEAKY),
        "birdsnap-ebird": _p(lr=1e-3, frequency_num=64, min_radius=1e-3, hidden_dim=512),
        "nabirds-ebird": _p(lr=1e-3, frequency_num=64, min_radius=5e-4, hidden_dim=512),
        "inat2017": _p(lr=1e-4, frequency_num=32, min_radius=0.01, hidden_dim=1024),
        "inat2018": _p(lr=5e-4, frequency_num=64, min_radius=1e-3, hidden_dim=1024, **LEAKY),
        "yfcc": _p(lr=5e-4, frequency_num=64, min_radius=1e-4, hidden_dim=512),
        "fmow": _p(lr=5e-3, frequency_num=64, min_radius=5e-4, hidden_dim=512),
    },
    "Sphere2Vec-sphereC+": {
        "birdsnap": _p(lr=2.48e-4, frequency_num=64, min_radius=0.024, hidden_dim=1024),
        "birdsnap-ebird": _p(lr=1e-3, frequency_num=64, min_radius=1e-4, hidden_dim=512),
        "nabirds-ebird": _p(lr=1e-3, frequency_num=64, min_radius=1e-4, hidden_dim=512),
        "inat2017": _p(lr=1e-4, frequency_num=32, min_radius=0.01, hidden_dim=1024),
        "inat2018": _p(lr=5e-4, frequency_num=64, min_radius=1e-3, hidden_dim=1024, **LEAKY),
        "yfcc": _p(lr=5e-4, frequency_num=64, min_radius=5e-4, hidden_dim=512),
        "fmow": _p(lr=5e-3, frequency_num=64, min_radius=1e-4, hidden_dim=512),
    },
    "Sphere2Vec-sphereM": {
        "birdsnap": _p(lr=1e-3, frequency_num=64, min_radius=5e-4, hidden_dim=512),
        "birdsnap-ebird": _p(lr=1e-3, frequency_num=64, min_radius=1e-3, hidden_dim=512),
        "nabirds-ebird": _p(lr=1e-3, frequency_num=32, min_radius=1e-3, hidden_dim=512),
        "inat2017": _p(lr=1e-4, frequency_num=32, min_radius=0.01, hidden_dim=1024),
        "inat2018": _p(lr=5e-4, frequency_num=64, min_radius=1e-3, hidden_dim=1024, **LEAKY),
        "yfcc": _p(lr=1e-3, frequency_num=64, min_radius=5e-4, hidden_dim=512),
        "fmow": _p(lr=5e-3, frequency_num=64, min_radius=1e-4, hidden_dim=512),
    },
    "Sphere2Vec-sphereM+": {
        "birdsnap": _p(lr=1.67e-3, frequency_num=16, num_hidden_layers=3, hidden_dim=256),
        "birdsnap-ebird": _p(lr=1e-3, frequency_num=64, hidden_dim=512),
        "nabirds-ebird": _p(lr=1.37e-2, frequency_num=32, hidden_dim=256, **LEAKY),
        "inat2017": _p(lr=1e-4, frequency_num=32, hidden_dim=1024),
        "inat2018": _p(lr=5e-4, frequency_num=64, hidden_dim=1024, **LEAKY),
        "yfcc": _p(lr=7.87e-4, frequency_num=64, hidden_dim=512, **LEAKY),
        "fmow": _p(lr=9.16e-3, frequency_num=64, hidden_dim=1024, **LEAKY),
    },
    "Sphere2Vec-dfs": {
        "birdsnap": _p(lr=1e-2, frequency_num=32, max_radius=1.0, hidden_dim=512, batch_size=4096, **LEAKY),
        "birdsnap-ebird": _p(lr=1e-2, frequency_num=8, num_hidden_layers=3, hidden_dim=512),
        "nabirds-ebird": _p(lr=1e-2, frequency_num=8, num_hidden_layers=3, hidden_dim=256),
        "inat2017": _p(lr=1e-2, frequency_num=8, hidden_dim=512),
        "inat2018": _p(lr=1e-2, frequency_num=8, hidden_dim=512),
        "yfcc": _p(lr=1e-2, frequency_num=8, num_hidden_layers=3, hidden_dim=512),
        "fmow": _p(lr=1e-2, frequency_num=64, hidden_dim=512, batch_size=8192),
    },
    # Only the run scripts are known (lr 5e-3, h3 H512, relu, 20 epochs) -> the same for all.
    "spherical_harmonics": {d: _p(lr=5e-3, num_hidden_layers=3, hidden_dim=512, activation="relu", epochs=20)
                            for d in DATASETS},
}


def presets_for(encoder: str) -> dict[str, dict[str, Any]]:
    """Dataset -> overrides for `encoder`, with the epochs convention filled in."""
    out: dict[str, dict[str, Any]] = {}
    for ds, kw in _TABLE.get(encoder, {}).items():
        entry = {"epochs": _epochs(ds), **kw}
        out[ds] = entry
    return out
