"""`locbench datasets list | info | check` through locbench.cli.main: exit codes and JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_dataset_fixtures import corrupt, write_fixture  # noqa: E402

from locbench.cli import main  # noqa: E402


def _json(capsys, argv):
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_list_fresh_checkout(capsys, tmp_path):
    code, data = _json(capsys, ["datasets", "list", "--json", "--data-root", str(tmp_path)])
    assert code == 0 and data["data_root"] == str(tmp_path)
    groups = {}
    for row in data["datasets"]:
        groups.setdefault(row["group"], []).append(row)
    assert len(groups["locbench"]) == 11 and len(groups["gair"]) == 7 and len(groups["geobs"]) == 4 and len(groups["embedded"]) == 7
    assert all(r["present"] and r["status"] == "embedded" for r in groups["embedded"])
    assert not any(r["present"] for g in ("locbench", "gair", "geobs", "sustainbench") for r in groups[g])


def test_list_group_filter_and_env_root(capsys, tmp_path, monkeypatch):
    write_fixture("inat2018", tmp_path, n=5)
    monkeypatch.setenv("LOCBENCH_DATA", str(tmp_path))
    code, data = _json(capsys, ["datasets", "list", "--group", "locbench", "--json"])
    assert code == 0 and len(data["datasets"]) == 11
    present = {r["name"] for r in data["datasets"] if r["present"]}
    assert present == {"inat2018"}
    assert main(["datasets", "list", "--group", "nope"]) == 2


def test_list_table_prints(capsys, tmp_path):
    assert main(["datasets", "list", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "embedded-land-sea" in out and "missing" in out


def test_info_json_lists_exact_files(capsys, tmp_path):
    code, info = _json(capsys, ["datasets", "info", "yfcc", "--json", "--data-root", str(tmp_path)])
    assert code == 0 and info["name"] == "yfcc" and info["n_eval_rows"] == 17798 and info["status"] == "missing"
    required = [f["path"] for f in info["files"] if f["required"]]
    assert required == ["yfcc/train_test_split.csv", "yfcc/class_names.csv", "yfcc/features_inception/YFCC_test_preds.npy"]
    assert all(f["absolute"].startswith(str(tmp_path)) for f in info["files"])
    assert main(["datasets", "info", "yfc"]) == 2
    assert "Did you mean: yfcc" in capsys.readouterr().err


def test_info_table_prints(capsys):
    assert main(["datasets", "info", "embedded-cities-continent"]) == 0
    assert "geonameid" in capsys.readouterr().out


def test_check_named_missing_present_malformed(capsys, tmp_path):
    assert main(["datasets", "check", "fmow", "--data-root", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    flat = "".join(out.split())  # rich wraps long temp paths at the terminal width
    assert "missing" in out and "fmow/category.json" in flat and "10.6084/m9.figshare.26026798" in flat
    fx = write_fixture("fmow", tmp_path, n=6)
    code, reports = _json(capsys, ["datasets", "check", "fmow", "--json", "--data-root", str(tmp_path)])
    assert code == 0 and reports[0]["status"] == "present"
    assert reports[0]["loaded"] == {"train": len(fx.splits["train"]["sample_ids"]), "val": 6}
    assert "published count is 53,041" in reports[0]["warnings"][0]
    corrupt(fx, "row-mismatch")
    code, reports = _json(capsys, ["datasets", "check", "fmow", "--json", "--data-root", str(tmp_path)])
    assert code == 2 and reports[0]["status"] == "malformed"
    assert any("fmow_val_preds.npy" in p and "row counts disagree" in p for p in reports[0]["problems"])


def test_check_all_reports_and_exits_zero(capsys, tmp_path):
    write_fixture("geobs-eurosat", tmp_path, n=5)
    code, reports = _json(capsys, ["datasets", "check", "--json", "--data-root", str(tmp_path)])
    status = {r["name"]: r["status"] for r in reports}
    assert code == 0 and len(reports) == 35
    assert status["geobs-eurosat"] == "present" and status["embedded-land-sea"] == "embedded"
    assert status["inat2017"] == "missing"
    assert main(["datasets", "check", "embedded-land-sea"]) == 0


def test_tasks_lists_gair_v1_with_referenced_locbench_sets(capsys, tmp_path):
    write_fixture("yfcc", tmp_path, n=5)
    code, data = _json(capsys, ["datasets", "tasks", "--json", "--data-root", str(tmp_path)])
    assert code == 0 and len(data["tasks"]) == 10 and "v1" in data["follows"]
    flickr = data["tasks"][-1]
    assert flickr["datasets"] == [{"name": "yfcc", "group": "locbench", "present": True}]
    assert [d["group"] for d in data["tasks"][4]["datasets"]] == ["gair"]
