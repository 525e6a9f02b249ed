"""`locbench evaluate` as a library: encoder x dataset -> predictions, metrics + geo-bias, run record.

For every pair it writes a submission-style folder `out/<model-id>/` so `locbench submit
out/<model-id>` is how our own runs reach the leaderboard:

    submission.json          model card (model_id, name, authors, ... description)
    <dataset>.csv            per-sample predictions (locbench.predictions schema)
    <dataset>.result.json    locbench.results.build_result: metrics + Geo-Bias Scores
    <dataset>.run.json       run record: full config, versions, seed, timings, hardware

Everything is validated before any training starts, so a typo costs nothing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from locbench import atomic
from locbench.datasets.holdout import HOLDOUTS
from locbench.errors import InputError
from locbench.training import DEFAULTS as TRAINING

if TYPE_CHECKING:
    from locbench.cards import ModelMeta
    from locbench.datasets.spec import DatasetSpec
    from locbench.encoders.spec import EncoderSpec
    from locbench.results import Result

# The no-argument run: a small, meaningful comparison on the embedded (offline) datasets.
# xyz is left out: with this little training it does not separate land from sea (71.2 vs 71.0 % no-prior).
DEFAULT_ENCODERS = ("no_prior", "Sphere2Vec-sphereM", "Space2Vec-theory", "spherical_harmonics")
# Image x location (Köppen: frozen p(y|I) x geo-prior; elevation: MOSAIKS features + location, no prior =
# image only) and the location-only twin of the elevation task, so one run shows image-only,
# location-only and both side by side.
DEFAULT_DATASETS = ("embedded-koppen", "embedded-elevation", "embedded-elevation-location")
# Training budget of the no-argument run per task type: (epochs, training rows kept, seeded).
# Chosen so the whole run, first-use feature build and Geo-Bias Scores included, stays under 3 min
# on 2 CPU cores; the test split is never cut, so the numbers are real (if under-trained) evaluations.
QUICK_BUDGET = {"classification": (5, 10000), "regression": (2, 12000)}
DEFAULT_OUT = "locbench-runs"


class Reporter(Protocol):
    """What evaluate tells its caller while it works (the CLI draws rich progress bars)."""

    def start(self, label: str) -> None: ...
    def advance(self, stage: str, completed: int, total: int) -> None: ...
    def finish(self, outcome: RunOutcome) -> None: ...


class _Silent:
    def start(self, label: str) -> None:
        pass

    def advance(self, stage: str, completed: int, total: int) -> None:
        pass

    def finish(self, outcome: RunOutcome) -> None:
        pass


@dataclass
class RunOutcome:
    """One encoder x dataset run, as the summary table shows it."""

    model_id: str
    encoder: str
    dataset: str
    probe: str
    task_type: str
    primary_metric: str
    primary_value: float | None
    higher_is_better: bool
    geobias: float | None  # the headline geo-bias score (scoreinfo HEADLINE_KEY); None when not computed
    geobias_significant: bool | None
    location_only: float | None
    seconds: float
    paths: dict[str, str] = field(default_factory=dict)
    geobias_warnings: tuple[str, ...] = ()  # what the engine asked to check (also in the result file)
    quick: bool = False  # the no-argument quick comparison (QUICK_BUDGET): under-trained, labelled as such

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def model_id_for(encoder_name: str) -> str:
    """`locbench-<slug>` for our encoders, `plugin-<slug>` for a plugin (not ours, so not our namespace)."""
    from locbench.encoders.catalog import is_builtin
    from locbench.ids import model_id

    return model_id("locbench" if is_builtin(encoder_name) else "plugin", encoder_name)


def citation_authors(citation: str) -> list[str]:
    """Author names from an 'A, B & C. Title. Venue.' citation ('X et al.' kept as one entry)."""
    head = (citation or "").split(". ", 1)[0].strip().rstrip(".")
    names = [n.strip() for n in re.split(r",|&|\band\b", head) if n.strip()]
    names = [n + "." if n.endswith(" et al") else n for n in names]
    return names or ["unknown"]


def model_card(spec: EncoderSpec, model_id: str, n_parameters: int | None, *, custom: bool = False,
               weights_sha256: str | None = None) -> ModelMeta:
    """The submission.json card for one of our runs of a registered encoder.

    `custom` (a --model-id run, e.g. user-supplied embeddings): the model is the user's, so the card
    names it by its id with authors 'unknown' — edit the card before submitting.
    """
    from locbench.cards import ModelMeta
    from locbench.results import now_iso

    if not custom and not _is_ours(spec):
        return plugin_card(spec, model_id, n_parameters)
    if custom:
        return ModelMeta(
            model_id=model_id, name=model_id, authors=("unknown",), licence="unknown",
            encoder_family="other" if spec.family == "baseline" else spec.family, date=now_iso()[:10],
            weights_sha256=weights_sha256,
            description=(f"Scored by `locbench evaluate` with location encoder {spec.name!r} and "
                         "the dataset's user-supplied embeddings (if any). Edit name, authors and licence "
                         "before submitting."))
    return ModelMeta(
        model_id=model_id,
        name=spec.name if spec.family != "baseline" else f"{spec.name} (no location prior)",
        authors=tuple(citation_authors(spec.citation)), licence="MIT", encoder_family=spec.family,
        n_parameters=n_parameters, date=now_iso()[:10], weights_sha256=weights_sha256,
        description=(f"{spec.description} Trained and scored by `locbench evaluate` "
                     f"(standardized probes, seeded). Citation: {spec.citation}").strip())


NOT_STATED = "not stated"


def _is_ours(spec: EncoderSpec) -> bool:
    from locbench.encoders.catalog import is_builtin

    return is_builtin(spec.name)


def plugin_card(spec: EncoderSpec, model_id: str, n_parameters: int | None) -> ModelMeta:
    """A plugin's card: licence, authors and citation as the plugin states them, 'not stated' otherwise
    (never an assumed licence: the plugin's code is not ours)."""
    from locbench.cards import ModelMeta
    from locbench.results import now_iso

    authors = tuple(str(a) for a in spec.authors if str(a).strip()) or (NOT_STATED,)
    return ModelMeta(
        model_id=model_id, name=spec.name, authors=authors, licence=spec.licence.strip() or NOT_STATED,
        encoder_family="plugin", n_parameters=n_parameters, date=now_iso()[:10],
        description=(f"{spec.description} Plugin encoder, trained and scored by `locbench evaluate` "
                     f"(standardized probes, seeded). Citation: {spec.citation.strip() or NOT_STATED}").strip())


def default_datasets() -> list[str]:
    """`DEFAULT_DATASETS`: embedded, built from installed packages, so the default run needs no downloads."""
    return list(DEFAULT_DATASETS)


def _resolve_encoder(name: str) -> EncoderSpec:
    from locbench import encoders

    return encoders.resolve_encoder(name)


def _load(spec: Any, split: str | None, data_root: str | None, holdout: str) -> Any:
    """load_split; the holdout goes to datasets that assign their own splits (embedded ones).

    Their split seed stays the dataset default (not --seed), so every run scores the same rows.
    """
    from locbench.datasets import load_split

    kwargs: dict[str, Any] = {"split": split, "data_root": data_root}
    if spec.assigns_splits:
        kwargs["holdout"] = holdout
    return load_split(spec.name, **kwargs)


def _n_params(spec: EncoderSpec, seed: int, dataset: str,
              hparams: dict[str, Any] | None = None) -> tuple[int | None, dict[str, str] | None]:
    """(parameters of the built encoder, its pretrained weights file and sha256 when it has one)."""
    try:
        module = spec.build(seed=seed, preset=dataset, **(hparams or {}))
    except Exception:  # noqa: BLE001 - a card field only; the run itself reports real errors
        return None, None
    if module is None:
        return 0, None
    return int(sum(p.numel() for p in module.parameters())), weights_of(module)


def weights_of(module: Any) -> dict[str, str] | None:
    """{"path", "sha256"} of the weights a pretrained encoder was loaded from (`weights_sha256` attribute)."""
    sha = getattr(module, "weights_sha256", None)
    return None if sha is None else {"path": str(getattr(module, "weights_file", "")), "sha256": str(sha)}


def weights_overrides(enc_specs: list[Any], path: str | None) -> dict[str, dict[str, Any]]:
    """`--encoder-weights PATH`: the `weights` hparam of every encoder that loads pretrained weights.

    An encoder without a `weights` setting is an error (no_prior is skipped); a missing file too.
    """
    if path is None:
        return {}
    from pathlib import Path as _Path

    if not _Path(path).is_file():
        raise InputError("weights file not found", file=path, column="--encoder-weights")
    out: dict[str, dict[str, Any]] = {}
    for spec in enc_specs:
        if spec.family == "baseline":
            continue
        if "weights" not in spec.defaults:
            raise InputError(f"encoder {spec.name!r} loads no pretrained weights; --encoder-weights applies to "
                             "pretrained encoders such as GeoCLIP", column="--encoder-weights")
        out[spec.name] = {"weights": str(_Path(path).resolve())}
    return out


def plan(encoders: list[str], datasets: list[str], probe: str | None,
         model_id: str | None = None) -> tuple[list[EncoderSpec], list[DatasetSpec]]:
    """Resolve every name and check probe/task compatibility before any work (errors → exit 2)."""
    from locbench.datasets import get_dataset
    from locbench.probes import check_probe

    enc_specs = [_resolve_encoder(e) for e in encoders]
    ds_specs = [get_dataset(d) for d in datasets]
    for ds in ds_specs:
        if probe is not None:
            check_probe(probe, ds.task_type)
    if model_id is not None:
        from locbench.results import check_id

        check_id(model_id)
        if len(encoders) != 1:
            raise InputError("--model-id names one model: pass exactly one --encoder with it", column="--model-id")
    ids = [model_id_for(s.name) for s in enc_specs]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise InputError(f"encoders map to the same model id: {', '.join(sorted(dup))}", column="--encoder")
    return enc_specs, ds_specs


def training_overrides(enc_specs: list[Any], ds_specs: list[Any], probe: str | None,
                       batch_size: int | None, activation: str | None) -> dict[str, dict[str, Any]]:
    """Check `--batch-size` / `--activation` before any work; encoder name -> hparams for its probe.

    The batch size is the probe's training batch, so only the geoprior and regression probes
    (which train the encoder) take it. The activation is an FFN hyper-parameter: an encoder
    without one (wrap's fixed FCNet, GeoCLIP) is an error, `no_prior` (no network) is skipped.
    """
    from locbench.encoders.networks import ACTIVATIONS
    from locbench.probes import REGISTRY, default_probe, get_probe

    if batch_size is not None:
        if int(batch_size) < 1:
            raise InputError(f"--batch-size must be >= 1, got {batch_size}", column="--batch-size")
        for ds in ds_specs:
            p = probe or default_probe(ds.task_type, ds)
            if not get_probe(p).trains_in_batches:
                trainers = ", ".join(n for n, q in REGISTRY.items() if q.trains_in_batches)
                raise InputError(f"--batch-size sets the training batch of the {trainers} probes; "
                                 f"probe {p!r} on {ds.name} trains no encoder in batches", column="--batch-size")
    hparams: dict[str, dict[str, Any]] = {s.name: {} for s in enc_specs}
    if activation is None:
        return hparams
    if activation not in ACTIVATIONS:
        raise InputError(f"--activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}",
                         column="--activation")
    for spec in enc_specs:
        if spec.family == "baseline":
            continue
        if "activation" not in spec.defaults:
            raise InputError(f"encoder {spec.name!r} has no activation setting (its network is fixed); "
                             "drop --activation or run that encoder separately", column="--activation")
        hparams[spec.name] = {"activation": activation}
    return hparams


def evaluate(encoders: list[str] | None = None, datasets: list[str] | None = None, *, probe: str | None = None,
             seed: int = TRAINING.seed, device: str = TRAINING.device, epochs: int | None = None,
             out: str | Path = DEFAULT_OUT, data_root: str | None = None, holdout: str = HOLDOUTS[0],
             geobias: bool = True, geobias_kwargs: dict[str, Any] | None = None, threads: int | None = None,
             max_train_rows: int | None = None, model_id: str | None = None,
             batch_size: int | None = None, activation: str | None = None,
             encoder_weights: str | None = None, reporter: Reporter | None = None) -> list[RunOutcome]:
    """Run every encoder on every dataset; write the folder layout above; return the outcomes.

    With neither encoders nor datasets given, runs the quick default comparison
    (`DEFAULT_ENCODERS` on `DEFAULT_DATASETS` with the `QUICK_BUDGET` training budget, unless
    `epochs` / `max_train_rows` are set). `max_train_rows` keeps a seeded random subset of the
    training split (the reported split is never cut). `model_id` replaces the derived
    `locbench-<encoder>` id (one encoder only), e.g. for user-supplied GAIR embeddings.
    `batch_size` / `activation` override the encoder preset's training batch and FFN activation
    (None: the preset's, else the protocol default); see `training_overrides`. `encoder_weights` is
    the pretrained weights file of the encoders that load one (GeoCLIP); its sha256 goes into the run
    record and the model card.
    """
    from locbench.probes import resolve_device

    if holdout not in HOLDOUTS:
        raise InputError(f"--holdout must be one of {', '.join(HOLDOUTS)}, got {holdout!r}", column="--holdout")
    quick = not encoders and not datasets
    encoders = list(encoders or DEFAULT_ENCODERS)
    datasets = list(datasets or default_datasets())
    if not datasets:
        raise InputError("no datasets to evaluate (no embedded datasets are registered); pass --dataset")
    if max_train_rows is not None and max_train_rows < 1:
        raise InputError(f"--max-train-rows must be >= 1, got {max_train_rows}", column="--max-train-rows")
    device = resolve_device(device)
    enc_specs, ds_specs = plan(encoders, datasets, probe, model_id)
    enc_hparams = training_overrides(enc_specs, ds_specs, probe, batch_size, activation)
    for name, hp in weights_overrides(enc_specs, encoder_weights).items():
        enc_hparams[name].update(hp)
    reporter = reporter or _Silent()
    out = Path(out)
    outcomes: list[RunOutcome] = []
    for ds in ds_specs:
        data = prepare_data(ds, seed=seed, epochs=epochs, max_train_rows=max_train_rows, data_root=data_root,
                            holdout=holdout, probe=probe, quick=quick)
        for spec in enc_specs:
            enc_name = spec.name
            mid = model_id or model_id_for(enc_name)
            outcome = evaluate_one(spec, data, out / mid, model_id=mid, seed=seed, device=device,
                                   geobias=geobias, geobias_kwargs=geobias_kwargs, threads=threads,
                                   custom_model_id=model_id is not None, reporter=reporter,
                                   batch_size=batch_size, activation=activation, hparams=enc_hparams[enc_name])
            outcomes.append(outcome)
            reporter.finish(outcome)
    atomic.write_json(out / "summary.json", {"seed": seed, "device": device, "probe": probe,
                                             "runs": [o.to_dict() for o in outcomes]})
    return outcomes


@dataclass
class PreparedData:
    """One dataset loaded for runs: train (possibly capped) and reported splits, and the run settings."""

    spec: Any
    train: Any
    test: Any
    probe: str
    epochs: int | None
    max_train_rows: int | None
    n_train_full: int
    load_seconds: float
    data_root: str | None
    holdout: str
    quick: bool


def prepare_data(ds: Any, *, seed: int, epochs: int | None, max_train_rows: int | None, data_root: str | None,
                 holdout: str, probe: str | None, quick: bool = False) -> PreparedData:
    """Load the train and reported splits of `ds`, keep a seeded training subset of `max_train_rows`."""
    from locbench.probes import default_probe

    t_load = time.perf_counter()
    train = _load(ds, ds.train_split, data_root, holdout)
    test = _load(ds, None, data_root, holdout)
    ep, cap = epochs, max_train_rows
    if quick:
        q_ep, q_cap = QUICK_BUDGET[ds.task_type]
        ep, cap = (q_ep if ep is None else ep), (q_cap if cap is None else cap)
    n_train_full = len(train.sample_ids)
    if cap is not None and n_train_full > cap:
        import numpy as np

        train = train.subset(np.sort(np.random.default_rng(seed).choice(n_train_full, cap, replace=False)))
    return PreparedData(spec=ds, train=train, test=test, probe=probe or default_probe(ds.task_type, ds),
                        epochs=ep, max_train_rows=cap, n_train_full=n_train_full,
                        load_seconds=time.perf_counter() - t_load, data_root=data_root, holdout=holdout,
                        quick=quick)


def evaluate_one(spec: EncoderSpec, data: PreparedData, folder: Path, *, model_id: str, seed: int, device: str,
                 geobias: bool = True, geobias_kwargs: dict[str, Any] | None = None, threads: int | None = None,
                 custom_model_id: bool = False, reporter: Reporter | None = None,
                 batch_size: int | None = None, activation: str | None = None,
                 hparams: dict[str, Any] | None = None) -> RunOutcome:
    """One encoder on one prepared dataset: train, score, write the four files of `folder`.

    `batch_size` / `activation` are the user's overrides (checked by `training_overrides`, which also
    gives `hparams`, the encoder hyper-parameters they imply); None keeps the preset's.

    `folder` receives submission.json, <dataset>.csv, <dataset>.result.json and <dataset>.run.json
    (the layout `evaluate` writes per model; `locbench sweep` writes one such folder per job).
    """
    from locbench.cards import CARD_FILE
    from locbench.predictions import write_predictions
    from locbench.probes import run_probe
    from locbench.results import build_result
    from locbench.runrecord import Schedule, build_run_record, training_summary

    reporter = reporter or _Silent()
    ds, p, enc_name = data.spec, data.probe, spec.name
    reporter.start(f"{enc_name} · {ds.name} · {p}")
    t0 = time.perf_counter()
    options: dict[str, Any] = {"holdout": data.holdout}  # every probe's validation carve follows --holdout
    if data.quick:  # the quick look trains exactly its few epochs on all its rows (no carve, no refit)
        options["early_stopping"] = False
    if batch_size is not None:
        options["batch_size"] = batch_size
    df, info = run_probe(p, spec, data.train, data.test, seed=seed, device=device, epochs=data.epochs,
                         progress=reporter.advance, threads=threads, hparams=hparams or {}, **options)
    probe_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    schedule = Schedule.of_run(quick=data.quick, probe=p, epochs=data.epochs, max_train_rows=data.max_train_rows,
                               probe_info=info)
    run_summary = {"probe": p, "encoder": enc_name, "epochs": (info.get("config") or {}).get("epochs"),
                   "training": training_summary(info),
                   "device": device, "holdout": data.holdout, "run_record": f"{ds.name}.run.json",
                   "location_only": info.get("location_only"), "quick": data.quick, "schedule": schedule.to_dict()}
    result = build_result(model_id=model_id, spec=ds, split=data.test.split, predictions=df,
                          source="evaluate", verified=True, seed=seed, geobias_kwargs=geobias_kwargs,
                          run=run_summary, compute_geobias_scores=geobias)
    from locbench.resultchecks import annotate

    result = annotate([result], {(model_id, ds.name): df})[0]  # near chance / duplicates (one model here)
    score_s = time.perf_counter() - t1
    paths = {
        "predictions": str(write_predictions(df, folder / f"{ds.name}.csv")),
        "result": str(atomic.write_text(folder / f"{ds.name}.result.json", result.to_json())),
    }
    config = _run_config(enc_name, info, data, seed=seed, device=device, geobias=geobias,
                         geobias_kwargs=geobias_kwargs, threads=threads)
    n_params, weights = _n_params(spec, seed, ds.name, hparams)
    config.update({"batch_size": batch_size, "activation": activation, "encoder_weights": weights})
    record = build_run_record(model_id=model_id, encoder=enc_name, dataset=ds.name, split=data.test.split,
                              train_split=data.train.split, probe=p, config=config, probe_info=info,
                              timings={"load": data.load_seconds, "probe": probe_s,
                                       "train": info.get("train_seconds") or 0.0,
                                       "metrics_and_geobias": score_s, "total": probe_s + score_s},
                              seed=seed, device=device)
    paths["run"] = str(atomic.write_json(folder / f"{ds.name}.run.json", record))
    card = model_card(spec, model_id, n_params, custom=custom_model_id,
                      weights_sha256=(weights or {}).get("sha256"))
    paths["card"] = str(atomic.write_json(folder / CARD_FILE, card.to_dict()))
    return _outcome(result, info, encoder=enc_name, probe=p, seconds=time.perf_counter() - t0, paths=paths,
                    quick=data.quick)


def _outcome(result: Result, info: dict[str, Any], *, encoder: str, probe: str, seconds: float,
             paths: dict[str, str], quick: bool = False) -> RunOutcome:
    """The one-line summary of a run the CLI table shows."""
    from locbench.scoreinfo import HEADLINE_KEY, finite

    summary = result.geobias.get("summary") or {}
    significant = summary.get("headline_significant")
    return RunOutcome(
        model_id=result.model_id, encoder=encoder, dataset=result.dataset, probe=probe, task_type=result.task_type,
        primary_metric=result.primary_metric, primary_value=finite(result.primary_value),
        higher_is_better=result.higher_is_better,
        geobias=finite(summary.get(HEADLINE_KEY)),
        geobias_significant=significant if isinstance(significant, bool) else None,
        location_only=finite((info.get("location_only") or {}).get(result.primary_metric)),
        seconds=seconds, paths=paths, geobias_warnings=result.geobias_warnings, quick=quick)


def _run_config(enc_name: str, info: dict[str, Any], data: PreparedData, *, seed: int, device: str,
                geobias: bool, geobias_kwargs: dict[str, Any] | None, threads: int | None) -> dict[str, Any]:
    """The `config` block of a run record: every setting that produced the numbers."""
    ds = data.spec
    return {"encoder": enc_name, "encoder_hparams": info.get("encoder_hparams"), "dataset": ds.name,
            "dataset_version": ds.version, "split": data.test.split,
            "train_split": data.train.split, "probe": data.probe, "probe_config": info.get("config"),
            "seed": seed, "epochs": data.epochs, "device": device, "holdout": data.holdout,
            "max_train_rows": data.max_train_rows, "n_train_rows_available": data.n_train_full,
            "n_train_rows_used": len(data.train.sample_ids),
            "data_root": data.data_root, "geobias": geobias, "geobias_kwargs": geobias_kwargs,
            "quick_default_run": data.quick, "threads": threads}

