"""Seeded generators of tiny datasets in each exact on-disk layout locbench reads.

Importable helper (tests and other areas use it):

    import sys; sys.path.insert(0, "tests/data")
    from make_dataset_fixtures import write_fixture, corrupt, region_boxes
    fx = write_fixture("birdsnap-ebird", tmp_path, seed=0, n=60, num_classes=4,
                       class_regions="auto", image_signal=2.0)
    fx.splits["test"]["labels"], fx.splits["test"]["image_probs"]    # what load_split must return

`class_regions` places every class in a known lon/lat box ("auto": one box per class, see
`region_boxes`; or a dict class -> (lon_min, lon_max, lat_min, lat_max)); None = uniform on the globe.
`image_signal` sets how strongly the written image-prediction matrix favours the true class.
Every random choice comes from numpy default_rng(seed). Nothing here is committed as data.

Run as a script to write every fixture under a folder:  python tests/data/make_dataset_fixtures.py OUT
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse

from locbench.datasets import get_dataset, list_datasets

Box = tuple[float, float, float, float]


@dataclass
class Fixture:
    """What was written and what `load_split(name, split, root)` must return for each split (default options)."""

    name: str
    root: Path
    files: list[Path] = field(default_factory=list)
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    class_names: tuple[str, ...] | None = None


def region_boxes(num_classes: int) -> dict[int, Box]:
    """One disjoint box per class: longitude bands between 60 S and 60 N."""
    width = 360.0 / num_classes
    return {c: (-180.0 + c * width + 0.1 * width, -180.0 + (c + 1) * width - 0.1 * width, -60.0, 60.0)
            for c in range(num_classes)}


def _coords(rng: np.random.Generator, labels: np.ndarray, class_regions: dict[int, Box] | str | None,
            num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    n = labels.shape[0]
    if class_regions is None:
        return rng.uniform(-179.0, 179.0, n), np.degrees(np.arcsin(rng.uniform(-0.98, 0.98, n)))
    boxes = region_boxes(num_classes) if class_regions == "auto" else class_regions
    lon = np.empty(n)
    lat = np.empty(n)
    for i, c in enumerate(labels):
        lo0, lo1, la0, la1 = boxes[int(c)]
        lon[i] = rng.uniform(lo0, lo1)
        lat[i] = rng.uniform(la0, la1)
    return np.round(lon, 6), np.round(lat, 6)


def _probs(rng: np.random.Generator, labels: np.ndarray, num_classes: int, signal: float, sparse: bool) -> np.ndarray:
    logits = rng.normal(0.0, 1.0, (labels.shape[0], num_classes)) + signal * np.eye(num_classes)[labels]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
    if sparse:
        p[p < 0.02] = 0.0  # the released matrices are sparse: small probabilities are dropped
    return p


def _write_json(path: Path, obj: Any, fx: Fixture) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    fx.files.append(path)


def _write_npy(path: Path, arr: np.ndarray, fx: Fixture) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, arr)
    fx.files.append(path)


def _write_npz(path: Path, arr: np.ndarray, fx: Fixture) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.sparse.save_npz(path, scipy.sparse.csr_matrix(arr))
    fx.files.append(path)


def _write_csv(path: Path, df: pd.DataFrame, fx: Fixture) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    fx.files.append(path)


def _none(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


# ------------------------------------------------------------------ layouts

def _birds(spec, root: Path, rng, n: int, num_classes: int, regions, signal: float, preds_rows: str, fx: Fixture):
    ds, meta_type = spec.params["dataset"], spec.params["meta_type"]
    classes = [f"Bird species {c}" for c in range(num_classes)]
    fx.class_names = tuple(classes)
    data: dict[str, Any] = {"classes": classes}
    feats_dim = 8
    for split in ("train", "valid", "test"):
        labels = rng.integers(0, num_classes, n)
        lon, lat = _coords(rng, labels, regions, num_classes)
        valid = rng.random(n) > 0.1
        valid[0] = True
        unloc = rng.random(n) < 0.2
        user = rng.integers(0, 50, n).astype(float)
        user[rng.random(n) < 0.1] = np.nan
        date = np.round(rng.random(n), 4)
        date[rng.random(n) < 0.1] = np.nan
        lon_w, lat_w = lon.copy(), lat.copy()
        lon_w[unloc], lat_w[unloc] = np.nan, np.nan
        entries = []
        for i in range(n):
            own = {"user_id": None if np.isnan(user[i]) else int(user[i]), "lon": _none(lon_w[i]),
                   "lat": _none(lat_w[i]), "date": _none(date[i])}
            other = {"user_id": int(i), "lon": float(rng.uniform(-100, -60)), "lat": float(rng.uniform(20, 50)),
                     "date": 0.5}
            entries.append({"valid_image": bool(valid[i]), "im_path": f"images/{split}/{i:05d}.jpg",
                            "class_id": int(labels[i]),
                            "orig_meta": own if meta_type == "orig_meta" else other,
                            "ebird_meta": own if meta_type == "ebird_meta" else other})
        data[split] = entries
        probs_valid = _probs(rng, labels[valid], num_classes, signal, sparse=True)
        feats_valid = rng.normal(size=(int(valid.sum()), feats_dim)).astype(np.float32)
        fi = root / ds / "features_inception"
        if preds_rows == "valid":
            stored, stored_f = probs_valid, feats_valid
        else:  # one row per JSON entry; invalid-image rows hold zeros
            stored = np.zeros((n, num_classes), np.float32)
            stored[valid] = probs_valid
            stored_f = np.zeros((n, feats_dim), np.float32)
            stored_f[valid] = feats_valid
        _write_npz(fi / f"{ds}_{split}_preds_sparse.npz", stored, fx)
        _write_npy(fi / f"{ds}_{split}_net_feats.npy", stored_f, fx)
        keep = valid.copy()
        if split == spec.train_split:
            keep &= ~unloc & ~np.isnan(user) & ~np.isnan(date)
        vpos = np.cumsum(valid) - 1
        idx = np.flatnonzero(keep)
        fx.splits[split] = {
            "sample_ids": np.array([f"{split}:{i}" for i in idx]), "lon": lon_w[idx], "lat": lat_w[idx],
            "located": ~unloc[idx], "labels": labels[idx],
            "image_probs": None if split == spec.train_split else probs_valid[vpos[idx]],
            "image_probs_all": probs_valid[vpos[idx]], "features": feats_valid[vpos[idx]],
            "n_entries": n, "n_valid": int(valid.sum()), "im_path": np.array([f"images/{split}/{i:05d}.jpg" for i in idx]),
        }
    _write_json(root / ds / f"{ds}_with_loc_2019.json", data, fx)


def _inat_like(spec, root: Path, rng, n: int, num_classes: int, regions, signal: float, fx: Fixture):
    year = spec.params.get("year")
    folder = root / spec.dirname
    names = [f"Species {c}" for c in range(num_classes)]
    fx.class_names = tuple(names)
    if year:
        cats = [{"id": c, "name": names[c]} for c in rng.permutation(num_classes).tolist()]
        _write_json(folder / f"categories{year}.json", cats, fx)
    else:
        _write_json(folder / "category.json", {names[c]: c for c in rng.permutation(num_classes).tolist()}, fx)
    next_id = 1000
    for split in ("train", "val"):
        ids = next_id + rng.permutation(n * 3)[:n]
        next_id += n * 3
        labels = rng.integers(0, num_classes, n)
        lon, lat = _coords(rng, labels, regions, num_classes)
        unloc = rng.random(n) < 0.15
        lon[unloc], lat[unloc] = np.nan, np.nan
        no_user = rng.random(n) < 0.1
        images = [{"id": int(ids[i]), "file_name": f"{split}/{ids[i]}.jpg"} for i in range(n)]
        anns = [{"id": int(k), "image_id": int(ids[i]), "category_id": int(labels[i])}
                for k, i in enumerate(rng.permutation(n).tolist())]
        locs = [{"id": int(ids[i]), "lon": _none(lon[i]), "lat": _none(lat[i]), "date_c": round(float(rng.random()), 4),
                 "user_id": None if no_user[i] else int(rng.integers(0, 99))} for i in rng.permutation(n).tolist()]
        if year:
            _write_json(folder / f"{split}{year}.json", {"images": images, "annotations": anns,
                                                         "categories": [{"id": c} for c in range(num_classes)]}, fx)
            _write_json(folder / f"{split}{year}_locations.json", locs, fx)
        else:
            _write_json(folder / f"{split}.json", {"images": images, "annotations": anns}, fx)
            _write_json(folder / f"{split}_location.json", locs, fx)
        probs = _probs(rng, labels, num_classes, signal, sparse=bool(year))
        feats = rng.normal(size=(n, 6)).astype(np.float32)
        if year:
            _write_npz(folder / "features_inception" / f"inat{year}_{split}_preds_sparse.npz", probs, fx)
            _write_npy(folder / "features_inception" / f"inat{year}_{split}_net_feats.npy", feats, fx)
        else:
            _write_npy(folder / "feature_moco" / f"fmow_{split}_preds.npy", probs, fx)
            _write_npy(folder / "features_inception_pretrain" / f"fmow_{split}_pretrain_net_feats.npy", feats, fx)
        keep = np.ones(n, bool) if split == spec.reported_split else (~unloc & ~no_user)
        idx = np.flatnonzero(keep)
        fx.splits[split] = {"sample_ids": ids[idx].astype(str), "lon": lon[idx], "lat": lat[idx],
                            "located": ~unloc[idx], "labels": labels[idx],
                            "image_probs": probs[idx] if split == spec.reported_split else None,
                            "image_probs_all": probs[idx], "features": feats[idx]}


def _yfcc(spec, root: Path, rng, n: int, num_classes: int, regions, signal: float, fx: Fixture):
    folder = root / "yfcc"
    names = [f"tag{c}" for c in range(num_classes)]
    fx.class_names = tuple(names)
    _write_csv(folder / "class_names.csv", pd.DataFrame({"id": range(num_classes), "name": names}), fx)
    total = 3 * n
    split = np.array(["train"] * n + ["valid"] * n + ["test"] * n)[rng.permutation(total)]
    labels = rng.integers(0, num_classes, total)
    lon, lat = _coords(rng, labels, regions, num_classes)
    _write_csv(folder / "train_test_split.csv", pd.DataFrame({"lon": lon, "lat": lat, "class": labels, "split": split}), fx)
    for s in ("train", "valid", "test"):
        rows = np.flatnonzero(split == s)
        probs = _probs(rng, labels[rows], num_classes, signal, sparse=False)
        if s != "valid":
            _write_npy(folder / "features_inception" / f"YFCC_{s}_preds.npy", probs, fx)
        fx.splits[s] = {"sample_ids": rows.astype(str), "lon": lon[rows], "lat": lat[rows],
                        "located": np.ones(rows.size, bool), "labels": labels[rows],
                        "image_probs": probs if s == "test" else None, "image_probs_all": probs}


def _mosaiks(spec, root: Path, rng, n: int, fx: Fixture):
    name = spec.params["file_name"]
    total = 2 * n
    split = np.where(rng.random(total) < 0.5, "train", "test")
    lon, lat = _coords(rng, np.zeros(total, int), None, 1)
    y = np.round(np.abs(lat) / 10 + rng.normal(0, 0.1, total), 5)
    x = rng.normal(size=(total, 8)).astype(np.float32)
    _write_csv(root / "mosaiks" / f"Y_{name}.csv", pd.DataFrame({"lon": lon, "lat": lat, name: y, "split": split}), fx)
    _write_npy(root / "mosaiks" / f"X_{name}.npy", x, fx)
    for s in ("train", "test"):
        rows = np.flatnonzero(split == s)
        fx.splits[s] = {"sample_ids": rows.astype(str), "lon": lon[rows], "lat": lat[rows],
                        "located": np.ones(rows.size, bool), "targets": y[rows][:, None], "features": x[rows]}


SUSTAIN_LABELS = ("asset_index", "under5_mort", "water_index", "women_bmi", "women_edu", "sanitation_index")


def _sustainbench(spec, root: Path, rng, n: int, fx: Fixture):
    label = spec.params["label"]
    for s, fname in (("train", "dhs_trainval_labels.csv"), ("test", "dhs_test_labels.csv")):
        lon, lat = _coords(rng, np.zeros(n, int), None, 1)
        cols = {"lon": lon, "lat": lat}
        for lab in SUSTAIN_LABELS:
            v = np.round(rng.normal(size=n), 5)
            v[rng.random(n) < 0.25] = np.nan
            cols[f"{lab}_normalized"] = v
        cols["nl_mean"] = np.round(rng.gamma(2.0, 1.0, n), 5)
        df = pd.DataFrame(cols)
        _write_csv(root / "sustainbench" / fname, df, fx)
        rows = np.flatnonzero(~np.isnan(df[f"{label}_normalized"].to_numpy()))
        fx.splits[s] = {"sample_ids": np.array([f"{s}:{r}" for r in rows]), "lon": lon[rows], "lat": lat[rows],
                        "located": np.ones(rows.size, bool), "targets": df[f"{label}_normalized"].to_numpy()[rows][:, None],
                        "features": df["nl_mean"].to_numpy()[rows][:, None].astype(np.float32)}


def _gair(spec, root: Path, rng, n: int, regions, fx: Fixture, embed_dim: int = 5):
    folder = root / spec.dirname
    params = spec.params
    if spec.task_type == "classification":
        names = spec.class_names or tuple(str(c) for c in (10, 11, 20, 30, 40, 50, 60, 80, 90, 100, 130, 190, 200, 210))
        fx.class_names = names
        k = len(names)
    for split, fname in params["files"].items():
        df = pd.DataFrame()
        if params.get("id_column"):
            df[params["id_column"]] = [f"{split}-{u}" for u in rng.permutation(10 * n)[:n]]
        if spec.task_type == "classification":
            labels = rng.integers(0, k, n)
            labels[: min(k, n)] = np.arange(min(k, n))  # every class occurs, so codes-from-data match `names`
            lon, lat = _coords(rng, labels, regions, k)
            label_col = params["label_column"]
            df["lon"], df["lat"] = lon, lat
            # every label layout at once: names (fMoW-Sentinel, IPCC, streetscapes), ids (EuroSAT), codes (LCCS)
            df[label_col] = labels if label_col == "category_id" else [names[c] for c in labels]
            if spec.dirname.endswith("streetscapes"):
                for other, choices in (("quality", ("good", "slightly poor", "very poor")),
                                       ("platform", ("driving surface", "walking surface", "cycling surface",
                                                     "tunnel", "fields", "railway")),
                                       ("view_direction", ("front/back", "side"))):
                    if other != label_col:
                        df[other] = [choices[i] for i in rng.integers(0, len(choices), n)]
            if spec.dirname.endswith("worldstrat"):
                other = "LCCS" if label_col == "IPCC" else "IPCC"
                df[other] = rng.integers(0, 3, n) * 10 + 10 if other == "LCCS" else "Forest"
            truth = {"labels": labels}
        else:
            lon, lat = _coords(rng, np.zeros(n, int), regions, 1)
            df["lon"], df["lat"] = lon, lat
            t = np.round(rng.normal(size=(n, len(params["target_columns"]))), 5)
            for j, c in enumerate(params["target_columns"]):
                df[c] = t[:, j]
            truth = {"targets": t}
        df["image_path"] = [f"img/{split}/{i}.tif" for i in range(n)]
        _write_csv(folder / fname, df, fx)
        emb = rng.normal(size=(n, embed_dim)).astype(np.float32)
        _write_npy(folder / "embeddings" / f"{split}.npy", emb, fx)
        ids = df[params["id_column"]].to_numpy().astype(str) if params.get("id_column") else \
            np.array([f"{split}:{r}" for r in range(n)])
        fx.splits[split] = {"sample_ids": ids, "lon": lon, "lat": lat, "located": np.ones(n, bool),
                            "features": emb, **truth}


def write_fixture(name: str, root: str | Path, seed: int = 0, n: int = 40, *, num_classes: int = 5,
                  class_regions: dict[int, Box] | str | None = None, image_signal: float = 1.5,
                  preds_rows: str = "valid") -> Fixture:
    """Write dataset `name` in its exact layout under `root` (a data root) and return the expected arrays.

    n: entries per split (birds, iNat/fMoW, YFCC, GAIR) or per file half (MOSAIKS, SustainBench).
    preds_rows (birds): "valid" = one matrix row per valid_image entry (TorchSpatial); "all" = one per entry.
    """
    spec = get_dataset(name)
    root = Path(root)
    rng = np.random.default_rng(seed)
    fx = Fixture(name=name, root=root)
    if _kind(spec) == "birds":
        _birds(spec, root, rng, n, num_classes, class_regions, image_signal, preds_rows, fx)
    elif _kind(spec) == "inat":
        _inat_like(spec, root, rng, n, num_classes, class_regions, image_signal, fx)
    elif _kind(spec) == "yfcc":
        _yfcc(spec, root, rng, n, num_classes, class_regions, image_signal, fx)
    elif _kind(spec) == "mosaiks":
        _mosaiks(spec, root, rng, n, fx)
    elif _kind(spec) == "sustainbench":
        _sustainbench(spec, root, rng, n, fx)
    elif _kind(spec) == "gair-csv":
        _gair(spec, root, rng, n, class_regions, fx)
    else:
        raise ValueError(f"{name}: embedded datasets need no fixture")
    return fx


def _kind(spec: Any) -> str:
    """Short name of a spec's file layout (which writer and which corruptions apply)."""
    return {"BirdsJson": "birds", "CocoJson": "inat", "YfccCsv": "yfcc", "MosaiksCsvNpy": "mosaiks",
            "SustainBenchCsv": "sustainbench", "GairCsv": "gair-csv"}.get(type(spec.loader).__name__, "embedded")


# ------------------------------------------------------------------ malformed variants

CORRUPTIONS = ("missing-file", "missing-json-key", "wrong-shape", "nan-label", "truncated-npy", "row-mismatch")


def corruptions_for(name: str) -> tuple[str, ...]:
    """The malformed variants a dataset's layout has (no JSON key in a CSV layout, no .npy in SustainBench)."""
    loader = _kind(get_dataset(name))
    kinds = list(CORRUPTIONS)
    if loader not in ("birds", "inat"):
        kinds.remove("missing-json-key")
    if loader == "sustainbench":
        for k in ("wrong-shape", "truncated-npy", "row-mismatch"):
            kinds.remove(k)
    return tuple(kinds)


# The file each corruption damages, by layout: the split file read first, and the (N, C) .npy matrix.
_MAIN_FILE = {
    "birds": lambda p: f"{p['dataset']}_with_loc_2019.json",
    "inat": lambda p: f"val{p['year']}_locations.json" if p.get("year") else "val_location.json",
    "yfcc": lambda p: "train_test_split.csv",
    "mosaiks": lambda p: f"Y_{p['file_name']}.csv",
    "sustainbench": lambda p: "dhs_test_labels.csv",
}
_MATRIX_FILE = {
    "birds": lambda p: f"{p['dataset']}_test_net_feats.npy",
    "inat": lambda p: f"inat{p['year']}_val_net_feats.npy" if p.get("year") else "fmow_val_preds.npy",
    "yfcc": lambda p: "YFCC_test_preds.npy",
    "mosaiks": lambda p: f"X_{p['file_name']}.npy",
}


def corrupt(fx: Fixture, kind: str) -> tuple[Path, str]:
    """Damage a written fixture; returns (the file that is now wrong, a phrase the error must contain).

    Kinds a layout does not have (e.g. a JSON key in a CSV layout) raise ValueError.
    """
    spec = get_dataset(fx.name)
    root = fx.root
    files = {p.name: p for p in fx.files}

    def main_file() -> Path:
        name = _MAIN_FILE.get(_kind(spec))
        return files[name(spec.params)] if name else root / spec.dirname / spec.params["files"]["test"]

    def matrix_file() -> Path:
        if _kind(spec) == "gair-csv":
            return root / spec.dirname / "embeddings" / "test.npy"
        if _kind(spec) not in _MATRIX_FILE:
            raise ValueError(f"{fx.name} has no .npy matrix")
        return files[_MATRIX_FILE[_kind(spec)](spec.params)]

    if kind == "missing-file":
        path = main_file()
        path.unlink()
        return path, "missing"
    if kind == "missing-json-key":
        path = main_file()
        if path.suffix != ".json":
            raise ValueError(f"{fx.name} has no JSON")
        data = json.loads(path.read_text())
        if _kind(spec) == "birds":
            del data["test"][1]["class_id"]
            path.write_text(json.dumps(data))
            return path, "class_id"
        del data[2]["lat"]
        path.write_text(json.dumps(data))
        return path, "lat"
    if kind == "wrong-shape":
        path = matrix_file()
        np.save(path, np.zeros((3, 2, 2), np.float32))
        return path, "shape"
    if kind == "truncated-npy":
        path = matrix_file()
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
        return path, "truncated"
    if kind == "row-mismatch":
        path = matrix_file()
        arr = np.load(path)
        np.save(path, arr[:-1])
        return path, "row counts disagree"
    if kind == "nan-label":
        path = main_file()
        if path.suffix == ".json":
            data = json.loads(path.read_text())
            if _kind(spec) == "birds":
                data["test"][1]["class_id"] = None
                path.write_text(json.dumps(data))
                return path, "class_id"
            coco = files[f"val{spec.params['year']}.json" if spec.params.get("year") else "val.json"]
            data = json.loads(coco.read_text())
            data["annotations"][0]["category_id"] = None
            coco.write_text(json.dumps(data))
            return coco, "category_id"
        df = pd.read_csv(path)
        if _kind(spec) == "yfcc":
            col = "class"
            r = int(np.flatnonzero(df["split"].to_numpy() == "test")[0])
        elif _kind(spec) == "mosaiks":
            col = spec.params["file_name"]
            r = int(np.flatnonzero(df["split"].to_numpy() == "test")[0])
        elif _kind(spec) == "sustainbench":
            col, r = "nl_mean", 0  # NaN targets are dropped by design; a NaN input feature is an error
            df.loc[df.index[0], f"{spec.params['label']}_normalized"] = 0.5
        elif spec.task_type == "classification":
            col, r = spec.params["label_column"], 1
        else:
            col, r = spec.params["target_columns"][0], 1
        df[col] = df[col].astype(object)
        df.loc[df.index[r], col] = np.nan
        df.to_csv(path, index=False)
        return path, "NaN"
    raise ValueError(f"unknown corruption {kind!r}; choose from {', '.join(CORRUPTIONS)}")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("fixtures")
    for spec in list_datasets():
        if spec.group != "embedded" and spec.loader:
            write_fixture(spec.name, out / spec.name)
    print(f"wrote fixtures under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
