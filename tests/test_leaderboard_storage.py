"""Issue 24 / 20.4: a version stays small, its pages re-render byte for byte, and its maps state numbers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from locbench.leaderboard import mapscale, maps, pagerecord, regionstore, worldsvg
from locbench.leaderboard.build import build_version
from locbench.regions import RegionBreakdown, RegionScore, worst_by_evidence
from test_leaderboard_build import SPECIES, add_result

GIT = shutil.which("git")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t", *args], check=True,
                   capture_output=True)


def fixture_results(tmp_path: Path) -> Path:
    """Three models' results on the fixture species datasets (no_prior included, for the verdict rules)."""
    r = tmp_path / "root"
    for i, model in enumerate(["model-a", "model-b", "locbench-no_prior"]):
        for j, ds in enumerate(SPECIES):
            add_result(r, model, ds, 0.4 + 0.1 * i, seed=10 * i + j)
    return r


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    return fixture_results(tmp_path)


def test_version_sizes_stay_within_bounds(root: Path) -> None:
    v = build_version(root).path
    pages = sorted(v.glob("*.html"))
    assert pages and max(p.stat().st_size for p in pages) < 500_000
    assert (v / "index.html").stat().st_size < 250_000
    scores = json.loads((v / "scores.json").read_text())
    assert all("regions" not in r for r in scores["rows"])  # the breakdown lives once, in regions.json
    assert (v / "scores.json").stat().st_size / len(scores["rows"]) < 4_000  # v0002: 28,650 bytes a row
    assert "\n " not in (v / "scores.json").read_text()  # compact: nobody reads it by eye
    for p in pages:  # offline: no external URL, and no rendered base64 picture (only the pixel-per-cell layers)
        text = p.read_text()
        assert not re.search(r"""(?:src|href)=["']https?:""", text)
        assert all(len(m) < 20_000 for m in re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", text))
    record = json.loads((v / pagerecord.FILE).read_text())
    assert set(record["pages"]) == {p.relative_to(v).as_posix() for p in v.rglob("*")
                                    if p.is_file() and (p.suffix == ".html" or p.parent.name == "assets")}


def test_rows_read_back_with_their_breakdowns(root: Path) -> None:
    """regions.json is lossless: the rows a page reads carry the very breakdowns the results hold."""
    from locbench.leaderboard.render import load_version
    from locbench.leaderboard.tables import _slim_regions
    from locbench.results import find_result

    v = build_version(root, render=False).path
    for row in load_version(v).rows:
        assert row.regions == _slim_regions(find_result(root, row.model_id, row.dataset).regions)  # as the build made it
    scores, regions = (json.loads((v / n).read_text()) for n in ("scores.json", "regions.json"))
    inline = regionstore.inline_layout(scores, regions, v / "regions.json")
    assert all(r["regions"]["countries"] for r in inline["rows"])


@pytest.mark.skipif(GIT is None, reason="needs git")
def test_older_version_re_renders_byte_identical_after_rescoring(root: Path, tmp_path: Path) -> None:
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "results")
    v1 = build_version(root).path
    published = {p.relative_to(v1).as_posix(): p.read_bytes() for p in v1.rglob("*") if p.is_file()}
    add_result(root, "model-a", SPECIES[0], 0.9, seed=99)  # re-scored: the working tree no longer has v0001's file
    _git(root, "commit", "-qam", "rescore")
    assert build_version(root).version == "v0002"
    out = pagerecord.render_again(root / "leaderboard", "v0001", tmp_path / "out", root)
    assert out.differing == [] and not out.renderer_changed and out.pages > 5
    for name, data in published.items():
        assert (out.path / name).read_bytes() == data, name
    # a version with a predecessor (its compare page, its links to it), rendered away from its siblings
    v2 = root / "leaderboard" / "v0002"
    assert (v2 / "compare.html").is_file()
    again = pagerecord.render_again(root / "leaderboard", "v0002", tmp_path / "alone", root)
    assert again.differing == [] and (again.path / "compare.html").read_bytes() == (v2 / "compare.html").read_bytes()
    # without the history the published input is gone: a clear error, not a silently different page
    shutil.rmtree(root / ".git")
    with pytest.raises(FileNotFoundError, match="git history"):
        pagerecord.render_again(root / "leaderboard", "v0001", tmp_path / "out2", root)


def test_versions_before_the_record_are_not_re_rendered(root: Path, tmp_path: Path) -> None:
    from locbench.errors import InputError

    v = build_version(root, render=False).path
    with pytest.raises(InputError, match="has no page record"):
        pagerecord.render_again(root / "leaderboard", v.name, tmp_path / "out", root)


def test_git_blob_id_is_gits() -> None:
    assert pagerecord.git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object`


# ---------------------------------------------------------------- maps that state numbers


def _rb(metric: str, countries: list[tuple[str, str, int, float]], min_count: int = 30) -> RegionBreakdown:
    cs = tuple(RegionScore(name, n, v, n < min_count, code, "Europe") for name, code, n, v in countries)
    return RegionBreakdown(metric, "Natural Earth", "public domain", min_count, sum(c.n for c in cs), 0, (), cs)


def test_r2_on_five_samples_is_not_drawn() -> None:
    rb = _rb("r2", [("France", "FRA", 5, -215_867.0), ("Germany", "DEU", 55, -1_247_974.0), ("Italy", "ITA", 400, 0.6)])
    w = worldsvg.read_map(worldsvg.dataset_map([rb], "r2", True, lambda x: f"{x:.3f}", "R²", title="t")["svg"])
    fill, fra = w["FRA"]
    assert fill == mapscale.FEW_FILL and "France: n = 5, too few samples" in fra and "215" not in fra  # hatched, no value
    fill, deu = w["DEU"]
    assert fill == mapscale.BOUNDED_R2.colours[0] and "bounded -1.00" in deu  # bounded, not ±1e6
    assert mapscale.bounded_r2(-1_247_974.0) > -1 and mapscale.bounded_r2(1.0) == 1.0
    assert mapscale.bounded_r2(0.6) == pytest.approx(0.6 / 1.4)
    diff = worldsvg.read_map(worldsvg.difference_map(rb, rb, "r2", True, str, title="t", baseline_name="no-prior")["svg"])
    assert diff["FRA"][0] == mapscale.FEW_FILL and diff["FRA"][1].startswith("France: n = 5")
    assert diff["ITA"][1].startswith("Italy: +0.0 vs no-prior, n = 400")  # the baseline's name, a map constant


def test_legends_carry_absolute_values_with_units() -> None:
    near = _rb("top1", [("Canada", "CAN", 89, 71.42), ("United States of America", "USA", 5000, 73.64)])
    w = worldsvg.dataset_map([near], "top1", True, lambda x: f"{x:.2f}", "Top-1", title="t")
    assert "Top-1 per country (%)" in w["svg"] and "worst" not in w["svg"] and "middle" not in w["svg"]
    labels = re.findall(r'<text x="[0-9.]+" y="[0-9.]+">([^<]+)<', w["svg"])
    assert any(re.fullmatch(r"\d+–\d+", t) for t in labels)
    assert re.search(r'<g font-size="12" fill="#333b4a">', w["svg"])  # the labels' size and colour, set once
    drawn = worldsvg.read_map(w["svg"])
    fills = {c: drawn[c][0] for c in ("CAN", "USA")}
    scale = mapscale.absolute([71.42, 73.64], title="x", higher_is_better=True, min_span=20.0, domain=(0, 100))
    assert scale.breaks[-1] - scale.breaks[0] >= 20  # a 2.2-point gap is not the full colour range
    assert abs(scale.index(71.42) - scale.index(73.64)) <= 1 and fills["CAN"] in scale.colours
    assert all("95% interval" in drawn[c][1] for c in ("CAN", "USA"))  # each coloured country states its interval
    lo, hi = mapscale.interval("top1", 89, 71.42)
    assert lo < 71.42 < hi and hi - lo == pytest.approx(18.6, abs=0.5)  # Wilson, n = 89
    assert all(int(s) >= 11 for s in re.findall(r'font-size="(\d+)"', w["svg"]))


def test_europe_only_data_get_a_europe_extent() -> None:
    rb = _rb("top1", [("France", "FRA", 900, 80.0), ("Germany", "DEU", 900, 82.0), ("Spain", "ESP", 600, 70.0),
                      ("Poland", "POL", 500, 75.0), ("Italy", "ITA", 700, 78.0)])
    x0, x1, y0, y1 = worldsvg.region_extent([rb])  # France's overseas parts do not widen it
    assert -30 <= x0 and x1 <= 50 and 25 <= y0 and y1 <= 75
    rng = np.random.default_rng(0)
    from locbench.maplayers import build_layers

    lon, lat = rng.uniform(-10, 30, 2000), rng.uniform(36, 60, 2000)
    layers = build_layers(lon, lat, (rng.random(2000) < 0.7).astype(float), value_name="hit@1", higher_is_better=True)
    x0, x1, y0, y1 = maps.layer_extent(layers)
    assert -30 <= x0 <= -10 and 30 <= x1 <= 60 and 20 <= y0 <= 36 and 60 <= y1 <= 80


def test_worst_regions_are_ranked_by_evidence() -> None:
    """A small country with a low point value ranks below a large one that is surely worse."""
    small = RegionScore("Armenia", 45, 60.0, False, "ARM")
    large = RegionScore("Brazil", 5000, 64.0, False, "BRA")
    good = RegionScore("Chile", 5000, 80.0, False, "CHL")
    ranked = worst_by_evidence([[small], [large], [good]], "top1", True)
    assert [r.name for r, _ in ranked] == ["Brazil", "Armenia", "Chile"]
    assert ranked[0][1][1] < ranked[1][1][1]  # Brazil's best case is below Armenia's
    few = RegionScore("Andorra", 5, 0.0, True, "AND")
    assert "Andorra" not in [r.name for r, _ in worst_by_evidence([[few], [good]], "top1", True)]


def test_cli_render_reproduces_and_refuses(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from locbench.cli import main

    build_version(root)
    assert main(["leaderboard", "render", "v0001", "--root", str(root), "--out", str(tmp_path / "o")]) == 0
    assert "byte-identical to the published ones" in capsys.readouterr().out
    assert main(["leaderboard", "render", "v0001", "--root", str(root), "--out", str(tmp_path / "o")]) == 2  # exists
    assert main(["leaderboard", "render", "v0009", "--root", str(root), "--out", str(tmp_path / "p")]) == 2
