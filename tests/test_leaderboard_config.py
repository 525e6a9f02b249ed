"""The rendering configuration: one object, what the CLI offers, and results that carry their own grid."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.errors import InputError
from locbench.leaderboard import maps
from locbench.leaderboard.config import DEFAULTS, MAPS_MODES, RenderConfig
from locbench.maplayers import build_layers


def test_defaults_are_the_published_settings() -> None:
    from georbias.headline import HEADLINE_K

    assert (DEFAULTS.map_cell_deg, DEFAULTS.map_min_count, DEFAULTS.region_min_count) == (2.0, 5, 30)
    assert DEFAULTS.map_lisa_k == HEADLINE_K == 8 and DEFAULTS.map_lisa_alpha == 0.05
    assert DEFAULTS.maps == "all" and MAPS_MODES == ("all", "performance", "none")


@pytest.mark.parametrize("kwargs", [{"maps": "some"}, {"map_cell_deg": 7.0}, {"map_cell_deg": 0.0},
                                    {"map_min_count": 0}, {"region_min_count": 0}])
def test_bad_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(InputError):
        RenderConfig(**kwargs)


def test_cli_maps_option_is_the_config() -> None:
    import typer.main

    from locbench.cli import app

    build = typer.main.get_command(app).commands["leaderboard"].commands["build"]
    option = next(p for p in build.params if p.name == "maps")
    assert option.default.value == DEFAULTS.maps
    assert tuple(m.value for m in type(option.default)) == MAPS_MODES


def test_library_defaults_are_the_config() -> None:
    from locbench.leaderboard.build import build_version
    from locbench.leaderboard.render import model_view, render_version
    from locbench.regions import region_breakdown

    assert inspect.signature(build_version).parameters["maps"].default == DEFAULTS.maps
    assert inspect.signature(render_version).parameters["maps"].default == DEFAULTS.maps
    assert inspect.signature(model_view).parameters["maps_mode"].default == DEFAULTS.maps
    assert inspect.signature(region_breakdown).parameters["min_count"].default == DEFAULTS.region_min_count
    params = inspect.signature(build_layers).parameters
    assert (params["cell_deg"].default, params["min_count"].default) == (DEFAULTS.map_cell_deg, DEFAULTS.map_min_count)


def test_scored_layers_record_the_config() -> None:
    from locbench.results import map_layers_for

    rng = np.random.default_rng(0)
    n = 400
    lon, lat = rng.uniform(-20, 40, n), rng.uniform(-10, 50, n)
    hit = (rng.random(n) < 0.5).astype(float)
    df = pd.DataFrame({"hit@1": hit, "true_class_prob": hit, "reciprocal_rank": hit})
    layers = map_layers_for(lon, lat, df, "classification", None, lisa=True, seed=3)
    assert layers is not None and layers.lisa is not None
    assert (layers.cell_deg, layers.min_count) == (DEFAULTS.map_cell_deg, DEFAULTS.map_min_count)
    assert (layers.lisa["neighbours_k"], layers.lisa["fdr_alpha"]) == (DEFAULTS.map_lisa_k, DEFAULTS.map_lisa_alpha)


def test_pages_draw_the_grid_the_result_recorded() -> None:
    """A result scored on a 5° grid is drawn on a 5° grid: the page reads the layers, not this install's default."""
    lon = np.array([-179.0, -176.0, 12.0, 179.9])
    lat = np.array([-89.0, -86.0, 3.0, 89.9])
    layers = build_layers(lon, lat, np.array([1.0, 0.0, 1.0, 1.0]), value_name="hit@1", higher_is_better=True,
                          cell_deg=5.0, min_count=1)
    assert (layers.n_rows, layers.n_cols) == (36, 72)
    assert list(zip(layers.col, layers.row, layers.count)) == [(0, 0, 2), (38, 18, 1), (71, 35, 1)]
    assert layers.bounds(1) == (10.0, 15.0, 0.0, 5.0)
    mean, count, _, _ = maps.layer_grids(layers)
    assert mean.shape == count.shape == (36, 72) and mean[0, 0] == 0.5 and count.sum() == 4
    assert maps.layer_extent(layers) == (-180.0, 180.0, -90.0, 90.0)
    svg = maps.performance_map(layers, "five-degree grid")
    import base64
    import io
    import re

    from PIL import Image

    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", svg).group(1))
    assert Image.open(io.BytesIO(png)).size == (72, 36)  # one pixel per 5° cell of the whole globe


def test_unknown_maps_mode_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    from locbench.leaderboard.build import build_version

    with pytest.raises(InputError, match="maps must be one of"):
        build_version(tmp_path, maps="some")
    assert not (tmp_path / "leaderboard").exists()


def test_cli_maps_modes_draw_what_they_say(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`leaderboard build --maps performance` draws the performance map only; `--maps none` no map."""
    from test_leaderboard_html_maps import _clustered_result

    from locbench.cli import main
    from locbench.results import write_result

    write_result(tmp_path, _clustered_result())
    page = tmp_path / "leaderboard" / "v0001" / "model-m.html"
    assert main(["leaderboard", "build", "--root", str(tmp_path), "--maps", "performance"]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 1 and "not drawn for this build" in html
    assert main(["leaderboard", "build", "--root", str(tmp_path), "--maps", "none", "--force-new"]) == 0
    assert "data:image/png;base64," not in (tmp_path / "leaderboard" / "v0002" / "model-m.html").read_text()
    assert main(["leaderboard", "build", "--root", str(tmp_path), "--maps", "some"]) == 2
    assert "some" in capsys.readouterr().err
