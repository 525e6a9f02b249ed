"""A new user's first hour: `geobias` says where, refusals say what to do, plugins and submissions behave.

Each test asserts the message a user reads, not only the exit code (issue 25).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _text(capsys: pytest.CaptureFixture) -> str:
    cap = capsys.readouterr()
    return " ".join((cap.out + cap.err).split())  # rich wraps lines; compare on single spaces


# ------------------------------------------------------------------ geobias says where

@pytest.fixture(scope="module")
def west_africa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 points on land worldwide; 85 % right, except 10 % right in West Africa (lon -17..10, lat 4..20)."""
    from locbench.regions import assign_countries

    rng = np.random.default_rng(3)
    lon = rng.uniform(-180, 180, 12000)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 12000)))
    land = np.flatnonzero(assign_countries(lon, lat) >= 0)[:1300]
    wa_lon, wa_lat = rng.uniform(-16, 9, 200), rng.uniform(5, 19, 200)
    lon, lat = np.r_[lon[land], wa_lon], np.r_[lat[land], wa_lat]
    wa = (lon > -17) & (lon < 10) & (lat > 4) & (lat < 20)
    hit = (rng.random(len(lon)) < np.where(wa, 0.1, 0.85)).astype(int)
    path = tmp_path_factory.mktemp("wa") / "west_africa.csv"
    pd.DataFrame({"Lat": lat.round(4), "LON": lon.round(4), "hit@1": hit}).to_csv(path, index=False)
    return path


def test_geobias_names_where_errors_cluster(west_africa: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rep, png, svg = tmp_path / "r.json", tmp_path / "where.png", tmp_path / "where.svg"
    assert main(["geobias", str(west_africa), "--value", "hit@1", "--json", str(rep), "--map", str(png)]) == 0
    out = _text(capsys)
    assert "Where errors cluster:" in out
    africa = re.search(r"Africa: (\d+) samples in clusters \(([^)]*)\); error rate (\d+) % over all", out)
    assert africa, out
    assert any(c in africa.group(2) for c in ("Nigeria", "Mali", "Niger", "Burkina Faso", "Ghana", "Guinea"))
    overall = int(re.search(r"error rate (\d+) % overall", out).group(1))
    assert int(africa.group(3)) > 3 * overall  # the region's rate vs the global one
    assert "Where the model does best" in out
    # one p format, no engine jargon, plain notes for undefined values
    assert "p < 0.001" in out and not re.search(r"p = 0(?![.\d])", out) and not re.search(r"\de-\d", out)
    assert "ssi-engine" not in out and "pole-frame" not in out and "partition_min" not in out
    assert "SRI is undefined" in out and "--partition-min" in out and "--radius" in out
    d = json.loads(rep.read_text())
    assert d["engine_version"].startswith("georbias") and d["where"]["low"]["n"] > 0
    assert d["input"]["lat_col"] == "Lat" and d["input"]["lon_col"] == "LON"  # case-insensitive match
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["geobias", str(west_africa), "--value", "hit@1", "--scores", "autocorr", "--map", str(svg)]) == 0
    assert b"<svg" in svg.read_bytes()[:500]


def test_where_summary_counts_and_rates_by_hand() -> None:
    """Paris / Lyon (France) and Lagos / Abuja (Nigeria): counts and rates on a hand-checked case."""
    from locbench.where import describe, where_summary

    lon = np.array([2.35, 4.84, 3.38, 7.49, 2.30, 3.40])
    lat = np.array([48.86, 45.76, 6.52, 9.07, 48.80, 6.50])
    hit = np.array([1, 1, 0, 0, 1, 1])
    labels = np.array(["HH", "ns", "LL", "LL", "HH", "ns"], dtype=object)
    w = where_summary(lon, lat, hit, labels, min_count=1)
    assert w.rate_name == "error rate" and w.overall == pytest.approx(2 / 6)
    assert w.low.n == 2 and w.low.continents[0].name == "Africa"
    (nigeria,) = w.low.countries[0][1]
    assert (nigeria.name, nigeria.n_cluster, nigeria.n, nigeria.rate) == ("Nigeria", 2, 3, pytest.approx(2 / 3))
    assert w.high.n == 2 and w.high.countries[0][1][0].name == "France" and w.high.countries[0][1][0].rate == 0.0
    lines = describe(w)
    assert any("Africa: 2 samples in clusters (Nigeria 2); error rate 67 % over all 3 samples" in x for x in lines)
    assert w.best_countries[0].name == "France"
    # errors (lower is better): the 'low performance' cluster is HH and the rate is the mean value
    w2 = where_summary(lon, lat, np.array([1.0, 2, 900, 800, 1, 3]), labels, higher_is_better=False,
                       value_name="km", min_count=1)
    assert w2.rate_name == "mean km" and w2.low.countries[0][1][0].name == "France"


def test_p_value_has_one_format() -> None:
    from locbench.scoreinfo import format_p

    assert format_p(0.0) == "p < 0.001" and format_p(2.871e-192) == "p < 0.001"
    assert format_p(0.0123) == "p = 0.01" and format_p(0.004) == "p = 0.004" and format_p(0.5) == "p = 0.50"
    assert format_p(0.01, 0.01) == "p < 0.01" and format_p(float("nan")) == "p undefined"


# ------------------------------------------------------------------ columns, NaN, swapped coordinates

def _small(tmp_path: Path, **rename: str) -> Path:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"lon": rng.uniform(0, 20, 80), "lat": rng.uniform(30, 50, 80),
                       "hit@1": rng.integers(0, 2, 80)}).rename(columns=rename)
    path = tmp_path / "small.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("lon_name,lat_name", [("LON", "Lat"), ("lng", "latitude"), ("long", "LATITUDE")])
def test_coordinate_aliases_are_matched(tmp_path: Path, capsys: pytest.CaptureFixture, lon_name: str,
                                        lat_name: str) -> None:
    src = _small(tmp_path, lon=lon_name, lat=lat_name)
    assert main(["geobias", str(src), "--value", "hit@1", "--scores", "autocorr"]) == 0, _text(capsys)


def test_unknown_columns_name_the_flag_and_a_close_name(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = _small(tmp_path, lat="y_coord")
    assert main(["geobias", str(src), "--value", "hit@1"]) == 2
    out = _text(capsys)
    assert "no latitude column 'lat'" in out and "--lat-col" in out and "'y_coord'" in out
    assert main(["geobias", str(_small(tmp_path)), "--value", "hit@"]) == 2
    out = _text(capsys)
    assert "Did you mean 'hit@1'?" in out and "--value" in out


def test_swapped_coordinates_are_named_in_geobias(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"lon": rng.uniform(30, 60, 50), "lat": rng.uniform(100, 140, 50), "hit@1": 1})
    df.to_csv(tmp_path / "s.csv", index=False)
    assert main(["geobias", str(tmp_path / "s.csv"), "--value", "hit@1"]) == 2
    out = _text(capsys)
    assert "looks like lon and lat are swapped" in out and "--lon-col lat --lat-col lon" in out


def test_drop_missing_counts_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    df = pd.read_csv(_small(tmp_path))
    df["hit@1"] = df["hit@1"].astype(float)
    df.loc[[3, 9], "hit@1"] = np.nan
    df.to_csv(tmp_path / "nan.csv", index=False)
    assert main(["geobias", str(tmp_path / "nan.csv"), "--value", "hit@1", "--scores", "ssi"]) == 2
    out = _text(capsys)
    assert "row 3, column 'hit@1'" in out and "2 such row(s)" in out and "--drop-missing" in out
    roi = tmp_path / "roi.csv"
    assert main(["geobias", str(tmp_path / "nan.csv"), "--value", "hit@1", "--scores", "ssi", "--drop-missing",
                 "--per-roi", str(roi)]) == 0
    out = _text(capsys)
    assert "2 dropped (missing hit@1, --drop-missing)" in out and "78 used" in out
    per = pd.read_csv(roi)
    assert len(per) == 80 and per.loc[3, "lon"] == pytest.approx(df.loc[3, "lon"])


def test_swapped_coordinates_are_named_on_submit_and_import(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from submission_corpus import GEN

    from locbench.datasets import get_dataset
    from locbench.errors import ProblemList
    from locbench.submissions import add_unit_hints

    corpus = tmp_path / "c"
    GEN.make_corpus(corpus)
    sub = corpus / "good-verified"
    f = sub / "embedded-cities-continent.csv"
    df = pd.read_csv(f)
    df[["lon", "lat"]] = df[["lat", "lon"]].to_numpy()
    df.to_csv(f, index=False)
    assert main(["submit", str(sub), "--check"]) == 2
    assert "looks like lon and lat are swapped" in _text(capsys)
    problems = ProblemList()  # the import path adds the same hint beside its coordinate problems
    add_unit_hints(df, get_dataset("embedded-cities-continent"), "imported.csv", problems)
    assert any("swapped" in p.message for p in problems.items)


def test_submission_column_case_hint(tmp_path: Path) -> None:
    from locbench.predictions import check_predictions

    df = pd.DataFrame({"sample_id": ["a"], "LON": [1.0], "Lat": [2.0], "y_true": [0], "y_pred": [0],
                       "true_class_prob": [1.0], "reciprocal_rank": [1.0], "hit@1": [1], "hit@3": [1]})
    msgs = [p.message for p in check_predictions(df, "classification").items]
    assert any("the file has 'Lat': rename it to 'lat'" in m for m in msgs)
    assert any("the file has 'LON': rename it to 'lon'" in m for m in msgs)


# ------------------------------------------------------------------ names, seeds, dates

def test_dataset_names_are_case_insensitive_with_suggestions(capsys: pytest.CaptureFixture) -> None:
    assert main(["datasets", "info", "iNat2018"]) == 0
    out = _text(capsys)
    assert "inat2018" in out and "None" not in out and "not stated" in out
    assert main(["datasets", "info", "inat218"]) == 2
    assert "Did you mean: inat2018" in _text(capsys)
    assert main(["encoders", "info", "sphere2vec-spherm"]) == 2
    assert "Did you mean: Sphere2Vec-sphereM" in _text(capsys)


def test_encoders_info_has_no_internal_spec_references(capsys: pytest.CaptureFixture) -> None:
    assert main(["encoders", "info", "Sphere2Vec-sphereM"]) == 0
    out = _text(capsys)
    assert "§" not in out and "TorchSpatial presets" in out


def test_seed_range_message_says_what_to_type(capsys: pytest.CaptureFixture) -> None:
    from locbench.errors import InputError
    from locbench.sweep import build_spec, parse_seeds

    with pytest.raises(InputError, match=r"--seeds '5-0': a seed range must go up, e\.g\. '0-5'"):
        build_spec({}, {"encoders": ["xyz"], "datasets": ["embedded-land-sea"], "seeds": "5-0"}, where="flags")
    with pytest.raises(InputError) as err:
        parse_seeds("a-b")
    assert "a range like '0-4'" in str(err.value) and "flags" not in str(err.value)


def test_card_date_message_says_the_format() -> None:
    from locbench.cards import check_card

    msgs = [p.message for p in check_card({"date": "7/12/2026"}).items if p.column == "date"]
    assert msgs == ["'7/12/2026': use YYYY-MM-DD, e.g. 2024-05-31"]


# ------------------------------------------------------------------ plugins

def _doc_example() -> str:
    doc = (ROOT / "docs" / "encoders.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- example: my_encoder\.py -->\n```python\n(.*?)```", doc, re.S)
    assert m, "docs/encoders.md lost its runnable example"
    return m.group(1)


def test_the_documented_encoder_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import torch

    from locbench.encoders import resolve_encoder
    from locbench.evaluate import model_card, model_id_for

    code = _doc_example()
    assert len(code.strip().splitlines()) <= 25
    path = tmp_path / "my_encoder.py"
    path.write_text(code)
    spec = resolve_encoder(f"{path}:make_encoder")
    a, b = spec.build(seed=3), spec.build(seed=3)
    x = torch.tensor([[2.35, 48.85], [-74.0, 40.7]])
    assert tuple(a(x).shape) == (2, a.output_dim) and torch.equal(a(x), b(x))
    mid = model_id_for(spec.name)
    card = model_card(spec, mid, 320)
    assert mid == "plugin-sines" and card.licence == "MIT" and card.authors == ("A. Author",)
    assert "Citation: Author, A. Sines. 2025." in card.description
    assert main(["encoders", "info", f"{path}:make_encoder"]) == 0
    assert "licence: MIT" in _text(capsys)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "-e my_encoder.py:make_encoder" in readme and "docs/encoders.md" in readme


BARE = '''
import torch
from torch import nn

class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 5)
    def forward(self, x):
        return self.lin(x)

def make_encoder():
    return Tiny()

INSTANCE = Tiny()
'''


def test_bare_module_factory_is_wrapped_and_seeded(tmp_path: Path) -> None:
    import torch

    from locbench.encoders import resolve_encoder
    from locbench.errors import InputError
    from locbench.evaluate import model_card, model_id_for

    path = tmp_path / "bare.py"
    path.write_text(BARE)
    spec = resolve_encoder(f"{path}:make_encoder")
    assert spec.family == "plugin" and spec.pe_dim() == 5
    a, b, c = spec.build(seed=1), spec.build(seed=1), spec.build(seed=2)
    assert a.output_dim == 5 and torch.equal(a.lin.weight, b.lin.weight) and not torch.equal(a.lin.weight, c.lin.weight)
    card = model_card(spec, model_id_for(spec.name), 15)
    assert card.model_id == "plugin-tiny" and card.licence == "not stated" and card.authors == ("not stated",)
    assert "MIT" not in json.dumps(card.to_dict()) and "Citation: not stated" in card.description
    with pytest.raises(InputError, match=r"nn\.Module instance.*docs/encoders\.md"):
        resolve_encoder(f"{path}:INSTANCE")


def test_encoder_reference_forms(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "bare.py"
    path.write_text(BARE)
    assert main(["encoders", "info", f"{path}:make_encodr"]) == 2
    assert "Did you mean: make_encoder?" in _text(capsys)
    assert main(["encoders", "info", f"{path}"]) == 2
    assert "'path/to/file.py:factory'" in _text(capsys)
    assert main(["encoders", "info", f"{tmp_path / 'nope.py'}:f"]) == 2
    assert "not found" in _text(capsys)


def test_builtin_cards_keep_our_namespace() -> None:
    from locbench.encoders import get_encoder
    from locbench.evaluate import model_card, model_id_for

    spec = get_encoder("xyz")
    assert model_id_for("xyz") == "locbench-xyz" and model_card(spec, "locbench-xyz", 10).licence == "MIT"


# ------------------------------------------------------------------ submissions

def test_identical_predictions_under_two_ids_are_refused(tmp_path: Path) -> None:
    from submission_corpus import GEN

    from locbench.errors import ValidationError
    from locbench.submissions import score_submission, validate_submission

    corpus, root = tmp_path / "c", tmp_path / "root"
    GEN.make_corpus(corpus)
    first = corpus / "good-verified"
    score_submission(validate_submission(first, root=root), root=root, geobias=False)
    copy = corpus / "copied-model"
    shutil.copytree(first, copy)
    card = json.loads((copy / "submission.json").read_text())
    (copy / "submission.json").write_text(json.dumps({**card, "model_id": "copied-model"}))
    with pytest.raises(ValidationError) as err:
        validate_submission(copy, root=root)
    msgs = [p.message for p in err.value.problems]
    assert any("identical to those already scored as model 'good-verified'" in m and "'copied-model'" in m
               for m in msgs)
    validate_submission(first, root=root)  # a model's own earlier result is not a duplicate


def test_missing_sample_ids_are_counted_with_examples(tmp_path: Path) -> None:
    from submission_corpus import GEN

    from locbench.errors import ValidationError
    from locbench.submissions import validate_submission

    corpus = tmp_path / "c"
    GEN.make_corpus(corpus)
    with pytest.raises(ValidationError) as err:
        validate_submission(corpus / "missing-ids")
    (msg,) = [p.message for p in err.value.problems if "missing" in p.message]
    assert msg.startswith("5 sample id(s) of the 'test' split are missing: '")


def test_html_keeps_description_line_breaks() -> None:
    from locbench.leaderboard.render import nl2br

    assert str(nl2br("one <b>\ntwo")) == "one &lt;b&gt;<br>\ntwo"
