"""`locbench sweep`: plan expansion and job keys, resume, retries and failure reports, the process pool.

Jobs run on the embedded datasets with 1 epoch on a few hundred training rows and no geo-bias (about a
second each); the Dask engine and multi-seed summaries have their own files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import locbench
from locbench.cli import main
from locbench.errors import InputError, LocbenchError
from locbench.sweep import (ExecutorSpec, LocalExecutor, ProcessExecutor, SweepSpec, build_spec, expand,
                            job_dir, job_state, parse_seeds, read_sweep_file, run_sweep)
from locbench.sweep.keys import digest
from locbench.sweep.layout import failure_file

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_dataset_fixtures import write_fixture  # noqa: E402

SMALL = dict(datasets=("embedded-cities-continent",), epochs=1, max_train_rows=300, geobias=False)
FLAKY = "test_sweep:flaky_spec"  # this module, importable in spawned workers (sys.path travels with spawn)


def flaky_spec():
    """xyz, but its builder fails while $S14_FAIL_ALWAYS is set, and once per $S14_FAIL_ONCE marker file."""
    from locbench.encoders import get_encoder

    xyz = get_encoder("xyz")

    def builder(hp, *, seed, train_lonlat):
        if os.environ.get("S14_FAIL_ALWAYS"):
            raise RuntimeError("flaky encoder: told to fail")
        marker = os.environ.get("S14_FAIL_ONCE")
        if marker and not Path(marker).exists():
            Path(marker).write_text("failed once")
            raise RuntimeError("flaky encoder: first attempt fails")
        return xyz.builder(hp, seed=seed, train_lonlat=train_lonlat)

    return dataclasses.replace(xyz, name="flaky-xyz", builder=builder, aliases=())


def spec(out: Path, **kw) -> SweepSpec:
    values = {"encoders": ("no_prior", "xyz"), "seeds": (0,), "out": str(out), **SMALL, **kw}
    return SweepSpec(**values)


def job_files(folder: Path) -> dict[str, object]:
    """What must be identical between two runs of a job: predictions bytes, result minus its date."""
    out: dict[str, object] = {}
    for path in sorted(folder.iterdir()):
        if path.name.endswith(".csv"):
            out[path.name] = path.read_bytes()
        elif path.name.endswith(".result.json"):
            out[path.name] = {k: v for k, v in json.loads(path.read_text()).items() if k != "date"}
    return out


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".") and p.name not in (".sweep", "lock", "attempts")
            and ".sweep" not in p.parts]


class Killer(threading.Thread):
    """SIGKILLs the worker process of the first job attempt that appears under out/.sweep/attempts."""

    def __init__(self, out: Path) -> None:
        super().__init__(daemon=True)
        self.out, self.killed_job, self.stop = out, None, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for marker in sorted((self.out / ".sweep" / "attempts").glob("*/*.json")):
                try:
                    info = json.loads(marker.read_text())
                except (OSError, json.JSONDecodeError):
                    continue
                if info["pid"] != os.getpid():
                    os.kill(info["pid"], signal.SIGKILL)
                    self.killed_job = info["job"]
                    return
            time.sleep(0.01)



# ------------------------------------------------------------------------------------- plan

def test_parse_seeds_ranges_lists_and_errors():
    assert parse_seeds("0-4") == (0, 1, 2, 3, 4)
    assert parse_seeds("7,0,3,3") == (0, 3, 7)
    assert parse_seeds("0-2,9") == (0, 1, 2, 9)
    assert parse_seeds([2, 1]) == (1, 2) and parse_seeds(5) == (5,)
    for bad in ("4-2", "a", "-1", "", [True]):
        with pytest.raises(InputError):
            parse_seeds(bad)


def test_sweep_file_toml_and_yaml_give_the_same_spec_and_flags_win(tmp_path):
    (tmp_path / "s.toml").write_text('encoders = ["xyz", "no_prior"]\ndatasets = ["embedded-land-sea"]\n'
                                     'seeds = "0-2"\nepochs = 2\n[executor]\nkind = "processes"\nworkers = 3\n')
    (tmp_path / "s.yaml").write_text("encoders: [xyz, no_prior]\ndatasets: [embedded-land-sea]\nseeds: [0, 1, 2]\n"
                                     "epochs: 2\nexecutor: {kind: processes, workers: 3}\n")
    a = build_spec(read_sweep_file(tmp_path / "s.toml"), {})
    b = build_spec(read_sweep_file(tmp_path / "s.yaml"), {})
    assert a == b and a.seeds == (0, 1, 2) and a.executor == ExecutorSpec(kind="processes", workers=3)
    c = build_spec(read_sweep_file(tmp_path / "s.toml"), {"epochs": 5, "seeds": "4", "kind": "local"})
    assert (c.epochs, c.seeds, c.executor.kind, c.encoders) == (5, (4,), "local", ("xyz", "no_prior"))
    (tmp_path / "bad.toml").write_text('encoders = ["xyz"]\ndatasets = ["x"]\nepoch = 2\n')
    with pytest.raises(InputError, match="unknown setting.*epoch") as err:
        read_sweep_file(tmp_path / "bad.toml")
    assert err.value.problem.file == str(tmp_path / "bad.toml")
    with pytest.raises(InputError, match="--scheduler"):
        ExecutorSpec(kind="dask")
    with pytest.raises(InputError, match="gpus-per-job"):
        ExecutorSpec(kind="processes", gpus_per_job=1)


def test_expand_is_dataset_x_encoder_x_seed_with_stable_unique_keys(tmp_path):
    s = spec(tmp_path, seeds=(0, 1, 2), datasets=("embedded-cities-continent", "embedded-land-sea"))
    jobs = expand(s)
    assert [j.name for j in jobs[:3]] == [f"locbench-no_prior/embedded-cities-continent/seed-{i}" for i in range(3)]
    assert len(jobs) == 12 and len({j.key for j in jobs}) == 12
    assert [j.key for j in expand(s)] == [j.key for j in jobs]  # same inputs, same keys
    # the group key (no seed) is shared by a model's seeds on one dataset, and only by them
    assert len({j.group_key for j in jobs}) == 4
    assert all(j.key == digest(j.key_inputs) for j in jobs)


@pytest.mark.parametrize("change", [
    {"epochs": 2}, {"max_train_rows": 301}, {"holdout": "spatial-block"}, {"geobias": True}, {"threads": 2},
    {"device": "cuda"}, {"probe": "knn"}, {"seeds": (1,)}, {"encoders": ("Sphere2Vec-sphereM",)},
])
def test_every_setting_that_changes_numbers_changes_the_key(tmp_path, change):
    base = expand(spec(tmp_path, encoders=("xyz",)))[0]
    changed = expand(spec(tmp_path, **{"encoders": ("xyz",), **change}))[0]
    assert changed.key != base.key


def test_key_covers_every_leaf_of_its_inputs_and_the_versions(tmp_path, monkeypatch):
    job = expand(spec(tmp_path, encoders=("xyz",)))[0]

    def leaves(d, path=()):
        for k, v in d.items():
            if isinstance(v, dict) and v:
                yield from leaves(v, path + (k,))
            else:
                yield path + (k,)

    for path in leaves(job.key_inputs):
        mutated = json.loads(json.dumps(job.key_inputs))
        node = mutated
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = ["changed", node[path[-1]]]
        assert digest(mutated) != job.key, path
    assert job.key_inputs["encoder"]["hparams"]["lr"] > 0  # resolved hyper-parameters, training ones included
    monkeypatch.setattr(locbench, "__version__", "9.9.9")
    assert expand(spec(tmp_path, encoders=("xyz",)))[0].key != job.key


def test_key_covers_dataset_version_and_data_file_bytes(tmp_path, monkeypatch):
    root = tmp_path / "data"
    fx = write_fixture("birdsnap", root, seed=0, n=40, num_classes=4, class_regions="auto")
    s = SweepSpec(encoders=("no_prior",), datasets=("birdsnap",), data_root=str(root), out=str(tmp_path / "o"),
                  epochs=1, geobias=False)
    cache = tmp_path / "cache.json"
    first = expand(s, hash_cache=cache)[0]
    assert set(first.key_inputs["dataset"]["files"]) >= {"birdsnap/birdsnap_with_loc_2019.json"}
    assert cache.is_file() and expand(s, hash_cache=cache)[0].key == first.key
    # the job runs on the files whose hashes are in its key (data root resolved on the coordinator)
    assert first.data_root == str(root.resolve())
    assert run_sweep([first], s.out, LocalExecutor()).ok and job_state(Path(s.out), first) == "done"
    victim = next(f for f in fx.files if f.name == "birdsnap_with_loc_2019.json")
    victim.write_bytes(victim.read_bytes().replace(b"}", b" }", 1))  # same content as JSON, other bytes
    assert expand(s, hash_cache=cache)[0].key != first.key
    from locbench.datasets import registry

    real = registry.get_dataset("embedded-land-sea")
    monkeypatch.setattr("locbench.datasets.get_dataset",
                        lambda name: dataclasses.replace(real, version="2.0") if name == real.name else registry.get_dataset(name))
    before = expand(spec(tmp_path, encoders=("xyz",), datasets=("embedded-land-sea",)))
    monkeypatch.undo()
    after = expand(spec(tmp_path, encoders=("xyz",), datasets=("embedded-land-sea",)))
    assert before[0].key_inputs["dataset"]["version"] == "2.0" and before[0].key != after[0].key


def test_missing_data_files_and_unknown_names_fail_before_any_work(tmp_path):
    with pytest.raises(LocbenchError, match="missing"):
        expand(SweepSpec(encoders=("xyz",), datasets=("birdsnap",), data_root=str(tmp_path)))
    with pytest.raises(Exception, match="xyzz|did you mean"):
        expand(spec(tmp_path, encoders=("xyzz",)))
    assert main(["sweep", "-e", "xyz", "-d", "embedded-land-sea", "--seeds", "3-1", "--out", str(tmp_path)]) == 2
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------------------- run and resume

def test_resume_skips_done_jobs_and_reruns_changed_ones(tmp_path):
    s = spec(tmp_path / "runs")
    jobs = expand(s)
    first = run_sweep(jobs, s.out, LocalExecutor())
    assert first.ok and sorted(first.reports) == sorted(j.name for j in jobs)
    assert set(first.states.values()) == {"todo"}
    folder = job_dir(Path(s.out), jobs[1])
    assert sorted(p.name for p in folder.iterdir()) == ["embedded-cities-continent.csv",
                                                        "embedded-cities-continent.result.json",
                                                        "embedded-cities-continent.run.json", "job.json",
                                                        "submission.json"]
    record = json.loads((folder / "job.json").read_text())
    assert record["key"] == jobs[1].key and record["attempts"] == 1 and record["worker"]["torch_threads"] == 1
    run = json.loads((folder / "embedded-cities-continent.run.json").read_text())
    assert run["config"]["threads"] == 1 and run["hardware"]["torch_threads"] == 1 and run["seed"] == 0
    stamp = (folder / "job.json").stat().st_mtime_ns

    again = run_sweep(expand(s), s.out, LocalExecutor())
    assert again.ok and again.reports == {} and set(again.states.values()) == {"done"}
    assert (folder / "job.json").stat().st_mtime_ns == stamp

    changed = expand(dataclasses.replace(s, epochs=2))
    assert job_state(Path(s.out), changed[1]) == "changed"
    third = run_sweep(changed, s.out, LocalExecutor())
    assert sorted(third.reports) == sorted(j.name for j in jobs)
    assert json.loads((folder / "job.json").read_text())["key"] == changed[1].key
    summary = json.loads((Path(s.out) / "sweep.json").read_text())
    assert [r["state_before"] for r in summary["jobs"]] == ["changed", "changed"]
    assert [r["state_after"] for r in summary["jobs"]] == ["done", "done"]
    assert leftovers(Path(s.out)) == []


def test_sweep_job_writes_exactly_what_evaluate_writes(tmp_path):
    from locbench.evaluate import evaluate

    s = spec(tmp_path / "runs", encoders=("xyz",))
    run_sweep(expand(s), s.out, LocalExecutor())
    evaluate(["xyz"], list(s.datasets), epochs=1, max_train_rows=300, geobias=False, threads=1,
             out=tmp_path / "eval")
    sweep_folder = job_dir(Path(s.out), expand(s)[0])
    eval_folder = tmp_path / "eval" / "locbench-xyz"
    assert {p.name for p in sweep_folder.iterdir()} - {"job.json"} == {p.name for p in eval_folder.iterdir()}
    assert job_files(sweep_folder) == job_files(eval_folder)


def test_leftovers_of_killed_attempts_are_removed(tmp_path):
    s = spec(tmp_path / "runs", encoders=("xyz",))
    job = expand(s)[0]
    parent = job_dir(Path(s.out), job).parent
    for name in ("..seed-0.deadbeef.new.x.partial", ".seed-0.cafe.old"):  # staged build, replaced folder
        (parent / name).mkdir(parents=True)
        (parent / name / "half.csv").write_text("sample_id,lon\n1,")
    assert run_sweep([job], s.out, LocalExecutor()).ok
    assert leftovers(Path(s.out)) == [] and job_state(Path(s.out), job) == "done"


def test_a_job_failing_once_is_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("S14_FAIL_ONCE", str(tmp_path / "failed-once"))
    s = spec(tmp_path / "runs", encoders=(FLAKY,))
    outcome = run_sweep(expand(s), s.out, LocalExecutor(), retries=1)
    assert outcome.ok and (tmp_path / "failed-once").exists()
    (name, report), = outcome.reports.items()
    assert report.attempts == 2 and name == "plugin-flaky-xyz/embedded-cities-continent/seed-0"


def test_a_failing_job_is_reported_and_never_stops_the_others(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("S14_FAIL_ALWAYS", "1")
    out = tmp_path / "runs"
    code = main(["sweep", "-e", FLAKY, "-e", "no_prior", "-d", "embedded-cities-continent", "--seeds", "0",
                 "--epochs", "1", "--max-train-rows", "300", "--no-geobias", "--retries", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "failed jobs" in printed and "✗ plugin-flaky-xyz/embedded-cities-continent/seed-0" in printed
    assert "↻ plugin-flaky-xyz/embedded-cities-continent/seed-0: attempt 1 of 2 failed" in printed
    assert "✓ locbench-no_prior/embedded-cities-continent/seed-0" in printed
    jobs = expand(spec(out, encoders=(FLAKY, "no_prior")))
    failed = json.loads(failure_file(out, jobs[0]).read_text())
    assert failed["attempts"] == 2 and "told to fail" in failed["error"] and "Traceback" in failed["traceback"]
    assert [job_state(out, j) for j in jobs] == ["failed", "done"]
    # fixed -> the same command reruns only the failed job, and the failure record goes
    monkeypatch.delenv("S14_FAIL_ALWAYS")
    outcome = run_sweep(jobs, out, LocalExecutor())
    assert list(outcome.reports) == [jobs[0].name] and not failure_file(out, jobs[0]).exists()


def test_dry_run_prints_the_plan_and_runs_nothing(tmp_path, capsys):
    out = tmp_path / "runs"
    s = spec(out, encoders=("xyz",))
    run_sweep(expand(s), s.out, LocalExecutor())
    code = main(["sweep", "-e", "xyz", "-e", "no_prior", "-d", "embedded-cities-continent", "--seeds", "0",
                 "--epochs", "1", "--max-train-rows", "300", "--no-geobias", "--out", str(out), "--dry-run"])
    printed = capsys.readouterr().out
    assert code == 0 and "locbench sweep plan" in printed
    lines = [line for line in printed.splitlines() if "embedded-cities-continent" in line]
    assert "done" in lines[0] and "locbench-xyz" in lines[0] and "todo" in lines[1]
    assert expand(s)[0].key[:12] in lines[0]
    assert "2 jobs: 1 done (skipped), 0 changed, 0 failed before, 1 new" in printed
    assert not (out / "locbench-no_prior").exists()


def test_process_pool_survives_a_killed_worker_and_matches_a_sequential_run(tmp_path):
    s = spec(tmp_path / "seq", seeds=(0, 1, 2), encoders=("xyz",))
    jobs = expand(s)
    assert run_sweep(jobs, s.out, LocalExecutor()).ok
    par = tmp_path / "par"
    killer = Killer(par)
    killer.start()
    outcome = run_sweep(expand(dataclasses.replace(s, out=str(par))), par, ProcessExecutor(2), retries=2)
    killer.stop.set()
    assert killer.killed_job is not None
    # the broken pool was rebuilt; the killed job (and any job running beside it) ran again
    assert outcome.ok and len(outcome.reports) == 3 and outcome.reports[killer.killed_job].attempts == 2
    assert os.getpid() not in {r.worker["pid"] for r in outcome.reports.values()}
    assert leftovers(par) == []
    for job in jobs:
        assert job_files(job_dir(par, job)) == job_files(job_dir(Path(s.out), job)), job.name


def test_progress_bars_per_job_and_overall_and_late_events_are_dropped(tmp_path):
    import io

    from rich.console import Console

    from locbench.sweep import JobEvent, JobReport
    from locbench.sweep.progress import RichSweepReporter

    jobs = expand(spec(tmp_path, encoders=("xyz",), seeds=(0, 1)))
    console = Console(file=io.StringIO(), width=150)
    with RichSweepReporter(console, retries=1) as rep:
        rep.begin(jobs, {jobs[0].name: "todo", jobs[1].name: "done"}, "local")
        rep.event(JobEvent(jobs[0].name, "start", attempt=1, worker="h:1"))
        rep.event(JobEvent(jobs[0].name, "stage", stage="train", completed=3, total=6))
        task = rep.progress.tasks[-1]
        assert (task.completed, task.total) == (3, 6) and task.description.endswith("(attempt 1, h:1) · train")
        assert rep.progress.tasks[0].completed == 1 and rep.progress.tasks[0].total == 2  # overall: 1 of 2 done
        rep.done(jobs[0], JobReport(jobs[0].name, jobs[0].key, "done", 1, 2.5, "top1", 71.04, {}))
        rep.event(JobEvent(jobs[0].name, "start", attempt=1, worker="h:1"))  # delivered after its result
        assert len(rep.progress.tasks) == 1 and rep.progress.tasks[0].completed == 2
    assert "✓ locbench-xyz/embedded-cities-continent/seed-0: top1 71.040 (2.5 s, attempt 1)" in console.file.getvalue()
