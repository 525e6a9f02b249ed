"""The built-in encoder zoo: one `EncoderSpec` per TorchSpatial encoder, plus `no_prior`.

Names follow LocBench (spec §B); TorchSpatial `--spa_enc_type` code names are aliases.
Each spec records where TorchSpatial's code differs from the published method and which one
we implement (`deviations`), so a reader of `locbench encoders info` sees the choice.
"""

from __future__ import annotations

from typing import Any

from locbench.encoders import builders as b
from locbench.encoders.presets import presets_for
from locbench.encoders.spec import EncoderSpec

FFN = {**b.FFN_DEFAULTS, **b.TRAIN_DEFAULTS}
GLOBAL = list(b.pe_2d.GLOBAL_EXTENT)

C_MACAODHA = "Mac Aodha, Cole, Perona. Presence-Only Geographical Priors for Fine-Grained Image Classification. ICCV 2019."
C_SPACE2VEC = "Mai et al. Multi-Scale Representation Learning for Spatial Feature Distributions using Grid Cells. ICLR 2020."
C_SPHERE2VEC = "Mai et al. Sphere2Vec: A General-Purpose Location Representation Learning over a Spherical Surface. ISPRS J. 2023."
C_TORCHSPATIAL = "Wu, Mai et al. TorchSpatial: A Location Encoding Framework and Benchmark for Spatial Representation Learning. NeurIPS 2024 D&B."
C_NERF = "Mildenhall et al. NeRF. ECCV 2020 (positional encoding, applied to unit-sphere xyz as in TorchSpatial)."
C_RFF = "Rahimi & Recht. Random Features for Large-Scale Kernel Machines. NeurIPS 2007."
C_SH = "Rußwurm et al. Geographic Location Encoding with Spherical Harmonics and Sinusoidal Representation Networks. ICLR 2024."
C_TILE = "Tang, Paluri, Fei-Fei, Fergus, Bourdev. Improving Image Classification with Location Context. ICCV 2015 (tile / grid-cell lookup)."

DEV_FLOAT64 = "PE computed in float64 (TorchSpatial: numpy float64) then cast to float32 for the network."


def _spec(name: str, family: str, pe_dim, builder, defaults: dict[str, Any], citation: str,
          description: str, deviations: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
          preset_key: str | None = None, **kw: Any) -> EncoderSpec:
    return EncoderSpec(name=name, family=family, pe_dim_fn=pe_dim, builder=builder, defaults=defaults,
                       citation=citation, description=description, deviations=deviations,
                       aliases=aliases, presets=presets_for(preset_key or name), **kw)


def _sphere_defaults(S: int = 64) -> dict[str, Any]:
    return {**FFN, "frequency_num": S, "min_radius": 1e-3, "max_radius": 1.0, "freq_list": "geometric"}


def _per_scale(width: int):
    """PE width of an encoder with `width` features per frequency scale."""
    return lambda h: width * int(h["frequency_num"])


def _sphere2vec(name: str, pe_dim, pe, description: str, deviations: tuple[str, ...], aliases: tuple[str, ...],
                *, scales: int = 64) -> EncoderSpec:
    """One Sphere2Vec variant: its PE under the shared FFN, geometric scales, the Sphere2Vec citation."""
    return _spec(name, "3D", pe_dim, b.with_ffn(pe, name), _sphere_defaults(scales), C_SPHERE2VEC, description,
                 deviations, aliases=aliases)


def _specs_2d() -> list[EncoderSpec]:
    """The planar (lon, lat) encoders."""
    space2vec = {**FFN, "frequency_num": 64, "min_radius": 0.05, "max_radius": 360.0}
    return [
        _spec("tile", "2D", lambda h: int(h["output_dim"]), b.with_ffn(b.pe_tile, "tile"),
              {**FFN, "min_radius": 2.0, "extent": GLOBAL}, C_TILE,
              "Learned embedding per grid cell (cell side min_radius degrees over extent), then the FFN.",
              ("TorchSpatial never passes min_radius to the grid and uses the North-America map_range, "
               "so its tile_ffn is ONE cell (location-independent). We use real cells of min_radius "
               "degrees over the whole globe (default 2°, 180x90 cells); extent=[-162,-59,20,56] with a "
               "huge min_radius reproduces TorchSpatial.",
               "TorchSpatial presets' min_radius (~1e-6) are not usable cell sizes and are left out."),
              aliases=("tile_ffn",)),
        _spec("wrap", "2D", lambda h: 4, b.seeded(b.build_wrap),
              {"output_dim": 256, "num_res_blocks": 4, "dropout": 0.5, **b.TRAIN_DEFAULTS}, C_MACAODHA,
              "[sin(πλ/180), sin(πφ/90), cos(πλ/180), cos(πφ/90)] -> residual FCNet (4 blocks).",
              ("TorchSpatial computes the wrap features outside the model and writes them into the "
               "lon/lat CSV columns; we compute them inside the encoder, inputs stay true degrees.",)),
        _spec("wrap_ffn", "2D", lambda h: 4, b.with_ffn(b.pe_wrap, "wrap_ffn"), dict(FFN), C_TORCHSPATIAL,
              "The 4 wrap features -> shared FFN.", aliases=("wrap+ffn",)),
        _spec("rbf", "2D", lambda h: int(h["num_rbf_anchor_pts"]), b.with_ffn(b.pe_rbf, "rbf"),
              {**FFN, "num_rbf_anchor_pts": 200, "rbf_kernel_size": 2.0}, C_TORCHSPATIAL,
              "Gaussian kernels (σ = rbf_kernel_size degrees) around M anchors drawn from the training "
              "locations (train_lonlat); seeded uniform-on-sphere anchors if none are given.",
              ("TorchSpatial draws anchors unseeded; ours follow the build seed.",
               "Without train_lonlat we fall back to seeded uniform-on-sphere anchors (TorchSpatial "
               "always has training locations)."),
              needs_train_locations=True),
        _spec("rff", "2D", lambda h: int(h["frequency_num"]), b.with_ffn(b.pe_rff, "rff"),
              {**FFN, "frequency_num": 64, "rbf_kernel_size": 1.0, "extent": GLOBAL}, C_RFF,
              "Random Fourier features sqrt(2/S)·cos(xᵀω+b), x scaled to [-1,1] by extent, ω~N(0,σI).",
              ("TorchSpatial normalises by map_range whose default is the North-America box "
               "[-162,-59,20,56]; we use the global extent [-180,180,-90,90] (pass extent to change), "
               "except in the fmow preset, which keeps the published run's box (its stored params).",
               "ω and b are seeded (TorchSpatial: unseeded)."),
              ),
        _spec("Space2Vec-grid", "2D", lambda h: 4 * int(h["frequency_num"]), b.with_ffn(b.pe_grid, "Space2Vec-grid"),
              dict(space2vec), C_SPACE2VEC,
              "Multi-scale sin/cos of lon and lat (degrees), geometric scales min_radius..max_radius.",
              (DEV_FLOAT64,), aliases=("grid", "Space2Vec_grid", "space2vec-grid")),
        _spec("Space2Vec-theory", "2D", lambda h: 6 * int(h["frequency_num"]),
              b.with_ffn(b.pe_theory, "Space2Vec-theory"), dict(space2vec), C_SPACE2VEC,
              "Multi-scale sin/cos along three unit vectors 120° apart (degrees).",
              (DEV_FLOAT64,), aliases=("theory", "Space2Vec_theory", "space2vec-theory")),
    ]


def _specs_3d() -> list[EncoderSpec]:
    """The encoders of points on the sphere (unit-sphere xyz, Sphere2Vec, spherical harmonics)."""
    maxonly_dev = ("TorchSpatial ignores min_radius here (f_s = max_radius^(-s/(S-1)); with its max_radius=1 "
                   "every frequency is 1). We use the published geometric list between min_radius and "
                   "max_radius; freq_list='max_only' reproduces TorchSpatial.")
    sphere_note = ("Features use λ̂·f_s with non-integer f_s in general, so like the published method "
                   "they are not 2π-periodic in longitude unless every f_s is an integer.")
    return [
        _spec("xyz", "3D", lambda h: 3, b.with_ffn(b.pe_xyz, "xyz"), dict(FFN), C_SPHERE2VEC,
              "Unit-sphere 3D coordinates -> FFN."),
        _spec("NeRF", "3D", lambda h: 6 * int(h["frequency_num"]), b.with_ffn(b.pe_nerf, "NeRF"),
              {**FFN, "frequency_num": 16, "hidden_dim": 256}, C_NERF,
              "sin/cos of unit-sphere xyz at frequencies π·2^l, l < frequency_num.",
              ("TorchSpatial never forwards frequency_num (always L=16, PE 96); we honour "
               "frequency_num, default 16, so the default reproduces TorchSpatial.",),
              aliases=("nerf",)),
        _sphere2vec("Sphere2Vec-sphereC", _per_scale(3), b.pe_sphere_c,
                    "Per scale [sin φ_s, cos φ_s cos λ_s, cos φ_s sin λ_s], geometric scales.",
                    (sphere_note,), ("sphereC", "Sphere2Vec_sphereC")),
        _sphere2vec("Sphere2Vec-sphereC+", _per_scale(6), b.pe_sphere_cplus,
                    "sphereC plus [cos φ_s, sin λ_s, cos λ_s] per scale.",
                    (sphere_note,), ("sphereC+", "Sphere2Vec_sphereC+", "Sphere2Vec-sphereC-plus")),
        _sphere2vec("Sphere2Vec-sphereM", _per_scale(5), b.pe_sphere_m,
                    "Per scale [sin φ_s, cos φ_s cos λ̂, cos φ̂ cos λ_s, cos φ_s sin λ̂, cos φ̂ sin λ_s].",
                    (sphere_note,), ("sphereM", "Sphere2Vec_sphereM")),
        _sphere2vec("Sphere2Vec-sphereM+", _per_scale(8), b.pe_sphere_mplus,
                    "sphereM plus [cos φ_s, sin λ_s, cos λ_s] per scale (8 per scale).",
                    (maxonly_dev, sphere_note), ("sphereM+", "Sphere2Vec_sphereM+", "Sphere2Vec-sphereM-plus")),
        _sphere2vec("Sphere2Vec-dfs", lambda h: 4 * int(h["frequency_num"]) ** 2 + 4 * int(h["frequency_num"]),
                    b.pe_dfs, "Double Fourier sphere: outer product of lon and lat sin/cos features plus per-scale "
                    "terms.", (maxonly_dev, sphere_note), ("dfs", "Sphere2Vec_dfs"), scales=8),
        _spec("spherical_harmonics", "3D", lambda h: int(h["legendre_poly_num"]) ** 2,
              b.with_ffn(b.pe_sh, "spherical_harmonics"),
              {**FFN, "legendre_poly_num": 8, "network": "ffn", "num_hidden_layers": 3, "hidden_dim": 512,
               "lr": 5e-3, "epochs": 20, "siren_w0": 1.0, "siren_w0_initial": 30.0, "siren_dropout": 0.0},
              C_SH,
              "Real orthonormal spherical harmonics of degree < legendre_poly_num (L² features) -> FFN "
              "(default, as TorchSpatial) or SIREN (network='siren', as Rußwurm et al.).",
              ("TorchSpatial's SH basis function is missing from its repo (its 2024 basis = (-1)^l x ours, "
               "x pi for m = 0: not orthonormal); we implement real orthonormal "
               "SH with a stable associated-Legendre recurrence. Default L=8 (64 features) = TorchSpatial's "
               "legendre_poly_num and the §B PE dim; Rußwurm et al. used larger L (pass legendre_poly_num).",
               "TorchSpatial feeds SH into the standard FFN (not a SIREN) despite the 'Siren(SH)' label; "
               "that is our default, network='siren' gives the paper's SIREN."),
              aliases=("sh", "SH", "Siren(SH)", "siren_sh")),
    ]


def _builtin_specs() -> list[EncoderSpec]:
    """LocBench's order: 2D, 3D, then the no-prior baseline."""
    no_prior = _spec("no_prior", "baseline", lambda h: 0, b.build_none, dict(b.TRAIN_DEFAULTS), C_TORCHSPATIAL,
                     "No location model: build() returns None and probes use the image-only prediction "
                     "(classification) or the image-only / mean model (regression).",
                     trainable=False, aliases=("none", "No Prior", "no-prior"))
    return [*_specs_2d(), *_specs_3d(), no_prior]


BUILTIN: dict[str, EncoderSpec] = {s.name: s for s in _builtin_specs()}
