"""Issue 13, one test per row of its table: hostile inputs end in exit 2 with a message naming the
file (and row/column), never a traceback, and never change results/ or leaderboard/.

Each test runs the real CLI (`locbench.cli.main`, what the console script calls) on a working root
that already holds sealed results and a published leaderboard version, and checks the exit code,
the message and that both folders are byte-identical afterwards.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from submission_corpus import GEN

from locbench.cli import main



REG_DS = "mosaiks-population"  # regression, no published row count: a small file is a valid submission


# ----------------------------------------------------------------------------------- helpers

def tree(root: Path) -> dict[str, str]:
    """sha256 of every file under results/ and leaderboard/ (what must never change)."""
    out = {}
    for sub in ("results", "leaderboard"):
        for p in sorted((root / sub).rglob("*")):
            if p.is_file():
                out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    """Run locbench in-process; return exit code and stdout+stderr with line wraps undone."""
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    text = cap.out + cap.err
    assert "Traceback" not in text, text
    return code, " ".join(text.split())


def geo_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"lon": rng.uniform(-10, 30, n), "lat": rng.uniform(35, 60, n),
                         "hit@1": (rng.random(n) < 0.7).astype(float)})


def regression_rows(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(5, 1, n)
    return pd.DataFrame({"sample_id": [f"s{i}" for i in range(n)], "lon": rng.uniform(-120, 140, n),
                         "lat": rng.uniform(-50, 60, n), "y_true": y, "y_pred": y + rng.normal(0, 0.3, n)})


@pytest.fixture()
def root(tmp_path: Path, no_data: Path, capsys: pytest.CaptureFixture) -> Path:
    """A working root with two scored submissions (predictions under submissions/) and v0001 built."""
    r = tmp_path / "root"
    for mid, seed in (("model-a", 1), ("model-b", 2)):
        GEN.write(r / "submissions" / mid, GEN.card(mid), {f"{REG_DS}.csv": regression_rows(seed=seed)})
        code, text = cli(capsys, "submit", r / "submissions" / mid, "--root", r, "--no-geobias")
        assert code == 0, text
    code, text = cli(capsys, "leaderboard", "build", "--root", r, "--no-html")
    assert code == 0 and "built v0001" in text, text
    return r


def assert_refused(code: int, text: str, *fragments: str) -> None:
    assert code == 2, text
    for f in fragments:
        assert f in text, (f, text)


# --------------------------------------------------------------------- row 1: 1e308 in geobias

def test_huge_value_in_geobias(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    df = geo_table()
    df.loc[3, "hit@1"] = 1e308
    df.to_csv(tmp_path / "huge.csv", index=False)
    before = tree(root)
    code, text = cli(capsys, "geobias", tmp_path / "huge.csv", "--value", "hit@1", "--json", root / "rep.json")
    assert_refused(code, text, "huge.csv, row 3, column 'hit@1'", "too large", "1e+50")
    assert tree(root) == before and not (root / "rep.json").exists()


def test_tiny_values_in_geobias_are_refused_not_divided_by_zero(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    """All values ~1e-300: their squares underflow to 0 (a ZeroDivisionError in Moran's I before)."""
    df = geo_table()
    df["tiny"] = np.random.default_rng(0).normal(0, 1e-300, len(df))
    df.loc[0, "tiny"] = 0.0  # exact zero is fine
    df.to_csv(tmp_path / "tiny.csv", index=False)
    code, text = cli(capsys, "geobias", tmp_path / "tiny.csv", "--value", "tiny")
    assert_refused(code, text, "tiny.csv, row 1, column 'tiny'", "too small", "at least 1e-50")


# ----------------------------------------- row 2: 1e308 y_pred: --check and submit agree (exit 2)

@pytest.mark.parametrize("flags", [["--check"], [], ["--no-geobias"]])
def test_huge_regression_prediction_refused_by_check_and_submit(root: Path, flags: list[str],
                                                                 capsys: pytest.CaptureFixture) -> None:
    df = regression_rows(seed=3)
    df.loc[5, "y_pred"] = 1e308
    folder = root.parent / "huge-reg"
    GEN.write(folder, GEN.card("huge-reg"), {f"{REG_DS}.csv": df})
    before = tree(root)
    code, text = cli(capsys, "submit", folder, "--root", root, *flags)
    assert_refused(code, text, f"{REG_DS}.csv, row 5, column 'y_pred'", "value 1e+308 is too large")
    assert tree(root) == before


def test_bad_result_file_is_left_out_and_the_build_goes_on(root: Path, capsys: pytest.CaptureFixture) -> None:
    """A result with an infinite MAE (JSON `Infinity`), one that is not JSON, a text metric and a text
    primary value: each reported and left out; the build of the good ones succeeds."""
    good = json.loads((root / "results" / "model-a" / f"{REG_DS}.json").read_text())
    bad = dict(good, model_id="model-inf", metrics=dict(good["metrics"], mae=float("inf")))
    (root / "results" / "model-inf").mkdir()
    (root / "results" / "model-inf" / f"{REG_DS}.json").write_text(json.dumps(bad))  # writes Infinity
    (root / "results" / "model-junk").mkdir()
    (root / "results" / "model-junk" / f"{REG_DS}.json").write_text("{not json")
    for mid, doc in (("model-text", dict(good, metrics=dict(good["metrics"], r2="high"))),
                     ("model-pv", dict(good, primary_value="high"))):
        (root / "results" / mid).mkdir()
        (root / "results" / mid / f"{REG_DS}.json").write_text(json.dumps(dict(doc, model_id=mid)))
    code, text = cli(capsys, "leaderboard", "build", "--root", root, "--no-html", "--force-new")
    assert code == 0, text
    assert "built v0002: 2 result(s)" in text
    for mid, why in (("model-inf", "non-finite numbers in metrics.mae"), ("model-junk", "not a valid JSON"),
                     ("model-text", "metric r2 must be a number or null, got 'high'"),
                     ("model-pv", "column 'primary_value': wrong type str")):
        assert f"left out of the build: {root / 'results' / mid / REG_DS}.json" in text and why in text, (mid, text)
    assert json.loads((root / "leaderboard" / "v0002" / "manifest.json").read_text())["models"] == [
        "model-a", "model-b"]


def test_writing_a_non_finite_result_is_refused(root: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from locbench.errors import InputError
    from locbench.results import Result, write_result

    good = Result.from_json(root / "results" / "model-a" / f"{REG_DS}.json")
    with pytest.raises(InputError, match="non-finite numbers in metrics.mae"):
        write_result(tmp_path, replace(good, metrics=dict(good.metrics, mae=float("inf"))))
    assert not (tmp_path / "results").exists()


# ------------------------------------------------------------ rows 3-4: broken and fake .csv.gz

def test_truncated_csv_gz(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = gzip.compress(geo_table().to_csv(index=False).encode())
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    before = tree(root)
    code, text = cli(capsys, "geobias", tmp_path / "cut.csv.gz", "--value", "hit@1")
    assert_refused(code, text, "cut.csv.gz: the gzip stream is truncated or corrupt")
    assert "Aborted" not in text
    folder = tmp_path / "cut-sub"
    raw = gzip.compress(regression_rows().to_csv(index=False).encode())
    GEN.write(folder, GEN.card("cut-sub"), {f"{REG_DS}.csv.gz": raw[: len(raw) // 2]})
    code, text = cli(capsys, "submit", folder, "--root", root)
    assert_refused(code, text, f"{REG_DS}.csv.gz: the gzip stream is truncated or corrupt")
    assert tree(root) == before


def test_plain_text_named_csv_gz(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    geo_table().to_csv(tmp_path / "plain.csv.gz", index=False, compression=None)
    before = tree(root)
    code, text = cli(capsys, "geobias", tmp_path / "plain.csv.gz", "--value", "hit@1")
    assert_refused(code, text, "plain.csv.gz: named .gz but not gzip-compressed")
    assert "file not found" not in text
    assert tree(root) == before


# ------------------------------------------------------------------ row 5: --json at a folder

def test_json_output_at_a_folder_fails_before_computing(root: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    geo_table().to_csv(tmp_path / "g.csv", index=False)
    before = tree(root)
    for option in ("--json", "--per-roi"):
        code, text = cli(capsys, "geobias", tmp_path / "g.csv", "--value", "hit@1", option, tmp_path)
        assert_refused(code, text, f"{tmp_path}: {option} must be a file path, but this is a folder")
        assert "Geo-Bias Scores" not in text  # refused before the computation, not after
    (tmp_path / "a-file").write_text("x")
    code, text = cli(capsys, "geobias", tmp_path / "g.csv", "--value", "hit@1", "--json", tmp_path / "a-file" / "r.json")
    assert_refused(code, text, "is a file, so no folder can be created under it")
    assert tree(root) == before


# --------------------------------------------------------- row 6: a results file edited by hand

def test_hand_edited_result_is_refused_by_the_build(root: Path, capsys: pytest.CaptureFixture) -> None:
    path = root / "results" / "model-b" / f"{REG_DS}.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["r2"] = doc["primary_value"] = 0.999
    path.write_text(json.dumps(doc, indent=2, sort_keys=True))
    before = tree(root)
    code, text = cli(capsys, "leaderboard", "build", "--root", root, "--no-html")
    assert_refused(code, text, str(path), "changed after scoring", "locbench submit submissions/model-b")
    assert tree(root) == before


def test_swapped_predictions_file_is_refused_by_the_build(root: Path, capsys: pytest.CaptureFixture) -> None:
    pred = root / "submissions" / "model-a" / f"{REG_DS}.csv"
    df = pd.read_csv(pred)
    df.loc[0, "y_pred"] += 1.0
    df.to_csv(pred, index=False)
    before = tree(root)
    code, text = cli(capsys, "leaderboard", "build", "--root", root, "--no-html")
    assert_refused(code, text, str(root / "results" / "model-a" / REG_DS), "is not the one it was scored from")
    assert tree(root) == before


def test_result_without_integrity_block_is_refused(root: Path, capsys: pytest.CaptureFixture) -> None:
    path = root / "results" / "model-a" / f"{REG_DS}.json"
    doc = json.loads(path.read_text())
    del doc["integrity"]
    path.write_text(json.dumps(doc))
    code, text = cli(capsys, "leaderboard", "build", "--root", root, "--no-html")
    assert_refused(code, text, str(path), "has no integrity block", "re-score it with `locbench submit")


def test_integrity_hash_covers_the_written_content(root: Path) -> None:
    """Recomputing the hash from the file on disk gives the stored one (write/re-read are stable)."""
    from locbench.integrity import METHOD, content_sha256

    doc = json.loads((root / "results" / "model-a" / f"{REG_DS}.json").read_text())
    assert doc["integrity"] == {"content_sha256": content_sha256(doc), "method": METHOD}
    assert content_sha256(dict(doc, primary_value=doc["primary_value"] + 1e-9)) != content_sha256(doc)


def test_published_version_edited_on_disk_is_refused(root: Path, capsys: pytest.CaptureFixture) -> None:
    scores = root / "leaderboard" / "v0001" / "scores.csv"
    os.chmod(scores, 0o644)
    scores.write_text(scores.read_text().replace("model-a", "model-z"))
    (root / "results" / "model-a" / f"{REG_DS}.json").touch()
    code, text = cli(capsys, "leaderboard", "build", "--root", root, "--no-html", "--force-new")
    assert_refused(code, text, "published version v0001 was modified on disk (scores.csv")


# ----------------------------------------------------- row 7: writes into a published version

def test_no_command_writes_inside_a_published_version(root: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    v1 = root / "leaderboard" / "v0001"
    assert not any(stat.S_IMODE(p.stat().st_mode) & 0o222 for p in [v1, *v1.rglob("*")])  # read-only on disk
    geo_table().to_csv(tmp_path / "g.csv", index=False)
    before = tree(root)
    cases = [
        ["geobias", tmp_path / "g.csv", "--value", "hit@1", "--json", v1 / "scores.json"],
        ["geobias", tmp_path / "g.csv", "--value", "hit@1", "--per-roi", v1 / "roi.csv"],
        ["submit", root / "submissions" / "model-a", "--root", v1, "--no-geobias"],
        ["import", "torchspatial", tmp_path, "--out", v1 / "subs"],
        ["evaluate", "-e", "xyz", "-d", "embedded-land-sea", "--out", v1],
    ]
    for args in cases:
        code, text = cli(capsys, *args)
        assert_refused(code, text, "refusing to write inside the published leaderboard version v0001/")
    assert tree(root) == before
    assert sorted(p.name for p in v1.iterdir()) == ["CHANGES.md", "manifest.json", "regions.json", "scores.csv",
                                                    "scores.json", "verdicts.json"]


def test_library_writes_are_guarded_under_the_cli_guard(root: Path) -> None:
    from locbench import atomic
    from locbench.errors import PublishedVersionError

    with atomic.published_guard(), pytest.raises(PublishedVersionError):
        atomic.write_text(root / "leaderboard" / "v0001" / "x.txt", "x")
    assert not (root / "leaderboard" / "v0001" / "x.txt").exists()
    first, second = atomic.published_guard(), atomic.published_guard()  # two threads' builds, overlapping
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    with pytest.raises(PublishedVersionError):  # still guarded: the second build is running
        atomic.write_text(root / "leaderboard" / "v0001" / "x.txt", "x")
    second.__exit__(None, None, None)
    mine = root.parent / "leaderboard" / "v0007"  # off again: a library caller may render its own folder
    atomic.write_text(mine / "index.html", "ok")
    assert (mine / "index.html").read_text() == "ok"


# -------------------------------------------------------- row 8: symlink out of the folder

def test_symlink_leaving_the_submission_folder_is_refused(root: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    outside = tmp_path / "elsewhere.csv"
    regression_rows(seed=4).to_csv(outside, index=False)
    folder = tmp_path / "linked"
    GEN.write(folder, GEN.card("linked"), {})
    (folder / f"{REG_DS}.csv").symlink_to(outside)
    before = tree(root)
    for flags in (["--check"], []):
        code, text = cli(capsys, "submit", folder, "--root", root, "--no-geobias", *flags)
        assert_refused(code, text, f"{folder / REG_DS}.csv: symbolic link leading outside the submission folder")
    assert tree(root) == before
    inside = tmp_path / "linked-inside"
    GEN.write(inside, GEN.card("linked-inside"), {"data.txt": regression_rows(seed=4).to_csv(index=False).encode()})
    (inside / f"{REG_DS}.csv").symlink_to(inside / "data.txt")
    code, text = cli(capsys, "submit", inside, "--check")
    assert code == 0, text


# ------------------------------------------------------- row 9: radians, 0..360, swapped

def test_radians_in_geobias_warn_and_fail_under_strict(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    df = geo_table()
    df["lon"], df["lat"] = np.radians(df["lon"]), np.radians(df["lat"])
    df.to_csv(tmp_path / "rad.csv", index=False)
    code, text = cli(capsys, "geobias", tmp_path / "rad.csv", "--value", "hit@1", "--scores", "ssi")
    assert code == 0 and "warning" in text and "coordinates look like radians, not degrees" in text, text
    code, text = cli(capsys, "geobias", tmp_path / "rad.csv", "--value", "hit@1", "--strict")
    assert_refused(code, text, "look like radians", "(an error under --strict)")


def test_longitudes_0_360_in_geobias_are_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    df = geo_table()
    df["lon"] = df["lon"] % 360
    df.to_csv(tmp_path / "l360.csv", index=False)
    code, text = cli(capsys, "geobias", tmp_path / "l360.csv", "--value", "hit@1")
    assert_refused(code, text, "longitudes look like 0..360 instead of -180..180", "column 'lon'")


def test_radians_in_a_submission_warn_and_fail_under_strict(root: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    df = GEN.unverified_base(np.random.default_rng(1))  # BirdSnap: data absent, global published bounds
    df["lon"], df["lat"] = np.radians(df["lon"]), np.radians(df["lat"])
    folder = tmp_path / "rad-sub"
    GEN.write(folder, GEN.card("rad-sub"), {"birdsnap.csv": df})
    code, text = cli(capsys, "submit", folder, "--check")
    assert code == 0 and "warning" in text and "look like radians" in text, text
    before = tree(root)
    code, text = cli(capsys, "submit", folder, "--root", root, "--strict", "--no-geobias")
    assert_refused(code, text, "birdsnap.csv: coordinates look like radians", "(an error under --strict)")
    assert tree(root) == before


def test_swapped_lon_lat_in_a_submission_is_named(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                  no_data: Path) -> None:
    rng = np.random.default_rng(2)
    n = 17798  # YFCC: published extent lon -166.7..-65.4, lat 17.9..65.1
    lon, lat = rng.uniform(-120, -70, n), rng.uniform(25, 50, n)
    df = GEN.classification_rows(rng, np.arange(n).astype(str), lat, lon, list(rng.integers(0, 100, n).astype(str)),
                                 100)
    folder = tmp_path / "swap-sub"
    GEN.write(folder, GEN.card("swap-sub"), {"yfcc.csv": df})
    code, text = cli(capsys, "submit", folder, "--check")
    assert_refused(code, text, "yfcc.csv: likely cause: lon and lat look swapped")


def test_wrong_coordinates_against_data_name_radians(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """On a dataset checked against its files, radians fail the coordinate check and the hint says why."""
    df = GEN.verified_base(np.random.default_rng(3))
    df["lon"], df["lat"] = np.radians(df["lon"]), np.radians(df["lat"])
    folder = tmp_path / "rad-verified"
    GEN.write(folder, GEN.card("rad-verified"), {"embedded-cities-continent.csv": df})
    code, text = cli(capsys, "submit", folder, "--check")
    assert_refused(code, text, "differs from the dataset's", "coordinates look like radians")


# ---------------------------------------------------------------- row 10: --threshold nan

@pytest.mark.parametrize("option,value", [("--threshold", "nan"), ("--threshold", "inf"), ("--radius", "nan"),
                                          ("--scale", "-inf")])
def test_non_finite_numeric_options_are_refused(tmp_path: Path, option: str, value: str,
                                                capsys: pytest.CaptureFixture) -> None:
    geo_table().to_csv(tmp_path / "g.csv", index=False)
    code, text = cli(capsys, "geobias", tmp_path / "g.csv", "--value", "hit@1", option, value)
    assert_refused(code, text, f"{option} must be a finite number, got {float(value)!r}")


# ---------------------------------------------------------------- row 12: error messages

def test_messages_show_nan_not_numpy_reprs(tmp_path: Path, capsys: pytest.CaptureFixture, no_data: Path) -> None:
    df = regression_rows()
    df.loc[4, "y_true"] = np.nan
    df.loc[6, "y_pred"] = np.inf
    folder = tmp_path / "nan-sub"
    GEN.write(folder, GEN.card("nan-sub"), {f"{REG_DS}.csv": df})
    code, text = cli(capsys, "submit", folder, "--check")
    assert_refused(code, text, "row 4, column 'y_true': value nan must be a finite number",
                   "row 6, column 'y_pred': value inf must be a finite number")
    assert "np.float64" not in text


def test_empty_model_card_says_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture, no_data: Path) -> None:
    folder = tmp_path / "empty-card"
    GEN.write(folder, b"", {f"{REG_DS}.csv": regression_rows()})
    code, text = cli(capsys, "submit", folder, "--check")
    assert_refused(code, text, "submission.json: empty file (0 bytes)")
    assert "Expecting value" not in text


def test_semicolon_separated_file_gets_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture, no_data: Path) -> None:
    folder = tmp_path / "semi-sub"
    GEN.write(folder, GEN.card("semi-sub"), {f"{REG_DS}.csv": regression_rows().to_csv(index=False, sep=";").encode()})
    code, text = cli(capsys, "submit", folder, "--check")
    assert_refused(code, text, f"{REG_DS}.csv: looks separated by semicolons", "sep=','")
    geo_table().to_csv(tmp_path / "semi.csv", index=False, sep=";")
    code, text = cli(capsys, "geobias", tmp_path / "semi.csv", "--value", "hit@1")
    assert_refused(code, text, "semi.csv: looks separated by semicolons")


def test_empty_predictions_file_and_folder_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    code, text = cli(capsys, "geobias", tmp_path / "empty.csv", "--value", "hit@1")
    assert_refused(code, text, "empty.csv: empty file (0 bytes)")
    (tmp_path / "dir.csv").mkdir()
    code, text = cli(capsys, "geobias", tmp_path / "dir.csv", "--value", "hit@1")
    assert_refused(code, text, "dir.csv: is a folder, not a table file")


# ------------------------------------------------------------ found by the fuzzers (regressions)

def test_empty_sample_id_and_missing_text_cells(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """'None' as a sample id is read as missing (was a TypeError in the predictions hash); an extra text
    column with missing cells scores (its cells hash as 'nan')."""
    df = regression_rows()
    df["sample_id"] = df["sample_id"].astype(object)
    df.loc[0, "sample_id"] = "None"
    folder = tmp_path / "none-id"
    GEN.write(folder, GEN.card("none-id"), {f"{REG_DS}.csv": df})
    code, text = cli(capsys, "submit", folder, "--root", root, "--no-geobias")
    assert_refused(code, text, "row 0, column 'sample_id': empty sample_id")
    extra = regression_rows(seed=9)
    extra["note"] = ["x", None] * (len(extra) // 2)
    folder = tmp_path / "extra-col"
    GEN.write(folder, GEN.card("extra-col"), {f"{REG_DS}.csv": extra})
    code, text = cli(capsys, "submit", folder, "--root", root, "--no-geobias")
    assert code == 0, text
    code, text = cli(capsys, "leaderboard", "build", "--root", root, "--no-html")
    assert code == 0 and "built v0002" in text, text  # its predictions hash re-checks at build time


def test_400_digit_integer_cell(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """pandas' to_numeric raised OverflowError on a 400-digit integer; now it is a value out of range."""
    df = geo_table()
    df["hit@1"] = df["hit@1"].astype(int).astype(object)
    df.loc[2, "hit@1"] = "9" * 400
    df.to_csv(tmp_path / "digits.csv", index=False)
    code, text = cli(capsys, "geobias", tmp_path / "digits.csv", "--value", "hit@1")
    assert_refused(code, text, "digits.csv, row 2, column 'hit@1'")
    rows = regression_rows()
    rows["y_pred"] = rows["y_pred"].astype(object)
    rows.loc[3, "y_pred"] = int("9" * 400)
    folder = tmp_path / "digits-sub"
    GEN.write(folder, GEN.card("digits-sub"), {f"{REG_DS}.csv": rows})
    before = tree(root)
    code, text = cli(capsys, "submit", folder, "--root", root)
    assert_refused(code, text, f"{REG_DS}.csv, row 3, column 'y_pred'", "must be a finite number")
    assert tree(root) == before
