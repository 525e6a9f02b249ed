"""Seeded generator of the broken-submission corpus: one folder per failure class.

Why generated, not committed: the checks against data need every row of a split (6,801 rows for
`embedded-cities-continent`, 2,262 for BirdSnap), which would be megabytes of CSV per case. The
generator is deterministic (numpy default_rng(SEED)), so the corpus is the same on every machine.

    python tests/data/bad_submissions/generate.py OUT_DIR     # writes OUT_DIR/<case>/ + cases.json

Each case names the message fragment and column its specific error must carry.
Two good submissions (`good-verified`, `good-unverified`) are written too, as controls.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261127
VERIFIED_DS = "embedded-cities-continent"  # embedded: checkable against data with no files on disk
UNVERIFIED_DS = "birdsnap"  # LocBench: data absent in tests -> registry facts (2,262 rows, 500 classes)
REGRESSION_DS = "embedded-cities-population"


@dataclass(frozen=True)
class Case:
    """One broken submission and the error it must give."""

    name: str
    message: str  # fragment of the expected problem message
    column: str | None = None  # expected problem column (None: not checked)
    row: int | None = None  # expected problem row (None: not checked)
    file: str | None = None  # expected problem file name (None: not checked)


def card(model_id: str, **changes: object) -> dict:
    base = {
        "model_id": model_id, "name": "Test model", "authors": ["A. Author", "B. Author"],
        "paper_url": "https://arxiv.org/abs/0000.00000", "code_url": "https://example.org/code",
        "licence": "MIT", "encoder_family": "3D", "n_parameters": 12345, "pretraining_data": None,
        "contact": "author@example.org", "date": "2026-11-27",
        "description": "Seeded synthetic predictions for the locbench test corpus.",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def classification_rows(rng: np.random.Generator, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                        labels: list[str], n_classes: int) -> pd.DataFrame:
    """Plausible predictions: ranks 1..5, hits consistent with ranks, y_pred == y_true exactly on hits."""
    n = len(ids)
    rank = rng.choice([1, 1, 1, 2, 3, 4, 5], size=n)
    hit1 = (rank == 1).astype(float)
    wrong = [str((int(i) + 1) % n_classes) if str(i).isdigit() else "other" for i in labels]
    return pd.DataFrame({
        "sample_id": ids.astype(str), "lon": lon, "lat": lat,
        "y_true": labels, "y_pred": np.where(hit1 == 1, labels, wrong),
        "true_class_prob": np.round(rng.uniform(0.01, 1.0, n) / rank, 6),
        "reciprocal_rank": 1.0 / rank, "hit@1": hit1, "hit@3": (rank <= 3).astype(float),
    })


def verified_base(rng: np.random.Generator) -> pd.DataFrame:
    from locbench.datasets import load_split

    s = load_split(VERIFIED_DS)
    names = [s.class_names[int(i)] for i in s.labels]
    df = classification_rows(rng, s.sample_ids, s.lon, s.lat, names, len(s.class_names))
    # wrong predictions name another continent (class names, not ids, are allowed as labels)
    other = [s.class_names[(int(i) + 1) % len(s.class_names)] for i in s.labels]
    df["y_pred"] = np.where(df["hit@1"] == 1, names, other)
    return df


def unverified_base(rng: np.random.Generator) -> pd.DataFrame:
    """BirdSnap (orig_meta) shape: 2,262 rows, 1,446 unlocated, 500 classes, North America."""
    n, n_unloc = 2262, 1446
    lon = rng.uniform(-125, -65, n)
    lat = rng.uniform(25, 55, n)
    unloc = rng.permutation(n)[:n_unloc]
    lon[unloc] = np.nan
    lat[unloc] = np.nan
    labels = rng.integers(0, 500, n).astype(str)
    return classification_rows(rng, np.arange(n).astype(str), lon, lat, list(labels), 500)


def regression_base(rng: np.random.Generator) -> pd.DataFrame:
    from locbench.datasets import load_split

    s = load_split(REGRESSION_DS)
    y = s.targets[:, 0]
    return pd.DataFrame({"sample_id": s.sample_ids.astype(str), "lon": s.lon, "lat": s.lat,
                         "y_true": y, "y_pred": y + rng.normal(0, 0.3, len(y))})


def write(folder: Path, card_obj: dict | bytes | str | None, files: dict[str, pd.DataFrame | bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(card_obj, dict):
        (folder / "submission.json").write_text(json.dumps(card_obj, indent=2, ensure_ascii=False), encoding="utf-8")
    elif isinstance(card_obj, bytes):
        (folder / "submission.json").write_bytes(card_obj)
    elif isinstance(card_obj, str):
        (folder / "submission.json").write_text(card_obj, encoding="utf-8")
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        elif name.endswith(".parquet"):
            content.to_parquet(folder / name, index=False)
        else:
            content.to_csv(folder / name, index=False, float_format="%.10g", lineterminator="\n")


def make_corpus(out: str | Path) -> dict[str, Case]:
    """Write every case under `out` and return the expectations by folder name."""
    out = Path(out)
    rng = np.random.default_rng(SEED)
    good = verified_base(rng)
    bird = unverified_base(rng)
    reg = regression_base(rng)
    V = f"{VERIFIED_DS}.csv"
    cases: dict[str, Case] = {}

    def add(case: Case, card_obj: dict | bytes | str | None, files: dict[str, pd.DataFrame | bytes]) -> None:
        write(out / case.name, card_obj, files)
        cases[case.name] = case

    def mutated(fn: Callable[[pd.DataFrame], pd.DataFrame | None], base: pd.DataFrame = good) -> pd.DataFrame:
        df = base.copy()
        res = fn(df)
        return df if res is None else res

    # controls
    write(out / "good-verified", card("good-verified"), {V: good, f"{REGRESSION_DS}.parquet": reg})
    write(out / "good-unverified", card("good-unverified"), {f"{UNVERIFIED_DS}.csv.gz": bird.copy()})
    gz = out / "good-unverified" / f"{UNVERIFIED_DS}.csv.gz"
    import gzip

    raw = bird.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode("utf-8")
    gz.write_bytes(gzip.compress(raw, mtime=0))

    # model card
    add(Case("card-missing", "missing model card", file="submission.json"), None, {V: good})
    add(Case("card-not-json", "not valid JSON", row=2, file="submission.json"), '{\n  "model_id": "card-not-json",\n  oops\n}', {V: good})
    add(Case("card-not-utf8", "not valid UTF-8", file="submission.json"),
        json.dumps(card("card-not-utf8", name="Caf\u00e9"), ensure_ascii=False).encode("utf-8").replace(b"Caf\xc3\xa9", b"Caf\xe9"), {V: good})
    add(Case("card-missing-field", "missing required field", column="licence"),
        card("card-missing-field", licence=...), {V: good})
    add(Case("card-unknown-field", "did you mean 'licence'", column="licens"),
        {**card("card-missing-field"), "model_id": "card-unknown-field", "licens": "MIT"}, {V: good})
    add(Case("card-wrong-type", "must be array", column="authors"), card("card-wrong-type", authors="A. Author"), {V: good})
    add(Case("card-control-chars", "control characters", column="name"),
        card("card-control-chars", name="Bell\x07model"), {V: good})
    add(Case("card-too-long", "at most 200 allowed", column="name"), card("card-too-long", name="x" * 201), {V: good})
    add(Case("card-bad-url", "starting with http:// or https://", column="paper_url"),
        card("card-bad-url", paper_url="javascript:alert(1)"), {V: good})
    add(Case("card-bad-family", "is not one of", column="encoder_family"),
        card("card-bad-family", encoder_family="4D"), {V: good})
    add(Case("model-id-traversal", "'..' (path traversal)", column="model_id"),
        card("../../escaped-model"), {V: good})
    add(Case("model-id-mismatch", "must equal the submission folder name", column="model_id"),
        card("some-other-model"), {V: good})

    # files
    add(Case("unknown-dataset", "Did you mean: embedded-cities-continent", file="embedded-cities-continet.csv"),
        card("unknown-dataset"), {"embedded-cities-continet.csv": good})
    add(Case("unexpected-file", "unexpected file", file="predictions.xlsx"),
        card("unexpected-file"), {V: good, "predictions.xlsx": b"PK\x03\x04"})
    add(Case("no-predictions", "no predictions files"), card("no-predictions"), {})
    add(Case("two-files-one-dataset", "two predictions files", file=f"{VERIFIED_DS}.parquet"),
        card("two-files-one-dataset"), {V: good, f"{VERIFIED_DS}.parquet": good})

    # predictions, structure and values
    add(Case("missing-column", "missing required column", column="hit@3"),
        card("missing-column"), {V: good.drop(columns=["hit@3"])})
    add(Case("predictions-not-utf8", "not valid UTF-8", file=V), card("predictions-not-utf8"),
        {V: good.to_csv(index=False).replace("Europe", "Europ\u00e9", 1).encode("latin-1")})
    add(Case("duplicate-ids", "duplicate sample_id", column="sample_id", row=10),
        card("duplicate-ids"), {V: mutated(lambda d: d.assign(sample_id=np.r_[d.sample_id[:10], d.sample_id[:1], d.sample_id[11:]]))})
    add(Case("missing-ids", "sample id(s) of the 'test' split are missing", column="sample_id"),
        card("missing-ids"), {V: good.iloc[:-5]})
    add(Case("extra-ids", "is not in the dataset's 'test' split", column="sample_id", row=len(good)),
        card("extra-ids"), {V: pd.concat([good, good.iloc[:1].assign(sample_id="not-a-city")], ignore_index=True)})
    add(Case("coords-mismatch", "by more than 0.0001 deg", column="lon", row=7),
        card("coords-mismatch"), {V: mutated(lambda d: d.assign(lon=d.lon.where(d.index != 7, d.lon + 0.01)))})
    add(Case("coords-out-of-range", "lat 91.0 outside [-90.0, 90.0]", column="lat", row=3),
        card("coords-out-of-range"), {V: mutated(lambda d: d.assign(lat=d.lat.where(d.index != 3, 91.0)))})
    add(Case("coords-inf", "outside [-180.0, 180.0]", column="lon", row=4),
        card("coords-inf"), {V: mutated(lambda d: d.assign(lon=d.lon.where(d.index != 4, np.inf)))})
    add(Case("half-located", "both be present or both be empty", row=5),
        card("half-located"), {V: mutated(lambda d: d.assign(lon=d.lon.where(d.index != 5, np.nan)))})
    add(Case("probability-out-of-range", "must be a finite number in [0, 1]", column="true_class_prob", row=2),
        card("probability-out-of-range"), {V: mutated(lambda d: d.assign(true_class_prob=d.true_class_prob.where(d.index != 2, 1.5)))})
    add(Case("value-nan", "must be a finite number in [0, 1]", column="reciprocal_rank", row=6),
        card("value-nan"), {V: mutated(lambda d: d.assign(reciprocal_rank=d.reciprocal_rank.where(d.index != 6, np.nan)))})
    first_miss = int(np.nonzero(good["hit@1"].to_numpy() == 0)[0][0])
    add(Case("hit-inconsistent", "disagrees with reciprocal_rank", column="hit@1", row=first_miss),
        card("hit-inconsistent"), {V: mutated(lambda d: d.assign(**{"hit@1": d["hit@1"].where(d.index != first_miss, 1.0)}))})
    add(Case("label-mismatch", "disagrees with the dataset's label", column="y_true", row=0),
        card("label-mismatch"), {V: mutated(lambda d: d.assign(y_true=d.y_true.where(d.index != 0, "Atlantis")))})
    add(Case("regression-nonfinite", "must be a finite number", column="y_pred", row=1),
        card("regression-nonfinite"), {f"{REGRESSION_DS}.csv": mutated(lambda d: d.assign(y_pred=d.y_pred.where(d.index != 1, np.inf)), reg)})

    # against the registry's published facts (data not on disk)
    B = f"{UNVERIFIED_DS}.csv"
    add(Case("registry-row-count", "but the 'test' split of birdsnap has 2,262: 262 sample id(s) missing", file=B),
        card("registry-row-count"), {B: bird.iloc[:2000]})
    add(Case("registry-class-id", "outside 0..499", column="y_pred", row=9),
        card("registry-class-id"), {B: mutated(lambda d: d.assign(y_pred=d.y_pred.where(d.index != 9, "612")), bird)})
    eb = bird.copy()
    loc_row = int(np.nonzero(np.isfinite(eb.lon.to_numpy()))[0][0])
    eb.loc[loc_row, "lon"] = 10.0
    add(Case("registry-coord-bounds", "outside the dataset's published range", column="lon", row=loc_row,
             file="birdsnap-ebird.csv"), card("registry-coord-bounds"), {"birdsnap-ebird.csv": eb})
    (out / "cases.json").write_text(json.dumps({k: v.__dict__ for k, v in cases.items()}, indent=2) + "\n")
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    found = make_corpus(sys.argv[1])
    print(f"wrote {len(found)} broken submissions (+2 good controls) to {sys.argv[1]}")
