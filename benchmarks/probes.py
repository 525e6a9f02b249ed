"""Benchmark: geo-prior training throughput at LocBench scale, and the default `locbench evaluate` wall time.

Throughput uses the probe's own pieces (class-balanced sampler, uniform-sphere background points,
`full_loss`, Adam) on a synthetic set shaped like iNat2018 (436k training rows, 8,142 classes,
each class in its own region); samples/s counts training rows (each also costs one background
forward/backward, as in the protocol).

    python benchmarks/probes.py                                # full scale, CPU, plus default evaluate
    python benchmarks/probes.py --rows 50000 --steps 10 --skip-evaluate
    python benchmarks/probes.py --device cuda --encoder Sphere2Vec-sphereM --skip-evaluate
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def synthetic(rows: int, classes: int, seed: int):
    """Labels with a long-tailed class distribution (as iNat) and one region per class."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, classes + 1) ** 0.6
    labels = rng.choice(classes, size=rows, p=weights / weights.sum())
    centre_lon = rng.uniform(-180, 180, classes)
    centre_lat = np.degrees(np.arcsin(rng.uniform(-0.9, 0.9, classes)))
    lon = (centre_lon[labels] + rng.normal(0, 5, rows) + 180) % 360 - 180
    lat = np.clip(centre_lat[labels] + rng.normal(0, 5, rows), -89.9, 89.9)
    return np.stack([lon, lat], 1).astype(np.float32), labels.astype(np.int64)


def throughput(args: argparse.Namespace) -> dict:
    import numpy as np
    import torch

    from locbench.encoders import resolve_encoder
    from locbench.probes.common import deterministic_torch, resolve_device, uniform_sphere
    from locbench.probes.geoprior import balanced_epoch, full_loss

    device = resolve_device(args.device)
    t0 = time.perf_counter()
    lonlat, labels = synthetic(args.rows, args.classes, args.seed)
    gen_s = time.perf_counter() - t0
    with deterministic_torch(args.seed, args.threads):
        spec = resolve_encoder(args.encoder)
        enc = spec.build(seed=args.seed, preset="inat2018").to(device)
        head = torch.nn.Linear(enc.output_dim, args.classes, bias=False).to(device)
        opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=1e-3)
        rng = np.random.default_rng(args.seed)
        t1 = time.perf_counter()
        idx = balanced_epoch(labels, 100, rng)
        sampler_s = time.perf_counter() - t1
        g = torch.Generator().manual_seed(args.seed)
        x_all, y_all = torch.from_numpy(lonlat), torch.from_numpy(labels)
        bs = args.batch_size

        def step(i: int) -> None:
            bi = torch.from_numpy(idx[(i * bs) % max(len(idx) - bs, 1):][:bs])
            xb = torch.cat([x_all[bi], uniform_sphere(len(bi), g)]).to(device)
            logits = head(enc(xb))
            loss = full_loss(logits[:len(bi)], logits[len(bi):], y_all[bi].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        for i in range(args.warmup):
            step(i)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t2 = time.perf_counter()
        for i in range(args.steps):
            step(args.warmup + i)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        train_s = time.perf_counter() - t2
        threads = torch.get_num_threads()
    sps = args.steps * bs / train_s
    return {"encoder": spec.name, "rows": args.rows, "classes": args.classes, "batch_size": bs,
            "steps": args.steps, "device": device, "torch_threads": threads,
            "samples_per_epoch": int(len(idx)), "samples_per_second": round(sps, 1),
            "epoch_seconds_estimate": round(len(idx) / sps, 1), "sampler_seconds": round(sampler_s, 3),
            "synthetic_data_seconds": round(gen_s, 2), "load_average_1m": os.getloadavg()[0]}


def default_evaluate_wall() -> dict:
    """Wall time of `locbench evaluate` with no arguments (fresh process, output to a temp folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "locbench", "evaluate", "--out", tmp],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        summary = {}
        path = os.path.join(tmp, "summary.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                summary = json.load(fh)
    return {"exit_code": proc.returncode, "wall_seconds": round(wall, 1), "runs": len(summary.get("runs", [])),
            "load_average_1m": os.getloadavg()[0], "stderr_tail": proc.stderr[-400:] if proc.returncode else ""}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=436_063, help="training rows (iNat2018 train: 436,063)")
    p.add_argument("--classes", type=int, default=8_142, help="classes (iNat2018: 8,142)")
    p.add_argument("--steps", type=int, default=30, help="timed training steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--encoder", default="Sphere2Vec-sphereM")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the probe default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-evaluate", action="store_true", help="do not time the default `locbench evaluate`")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = p.parse_args(argv)
    out = {"geoprior_throughput": throughput(args)}
    if not args.skip_evaluate:
        out["default_evaluate"] = default_evaluate_wall()
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    t = out["geoprior_throughput"]
    print(f"geo-prior training, {t['encoder']}, {t['rows']:,} rows x {t['classes']:,} classes, batch {t['batch_size']}, "
          f"{t['device']} ({t['torch_threads']} torch threads, load {t['load_average_1m']:.1f}):")
    print(f"  {t['samples_per_second']:,.0f} samples/s over {t['steps']} steps; balanced epoch "
          f"{t['samples_per_epoch']:,} samples ≈ {t['epoch_seconds_estimate']:,.0f} s; sampler {t['sampler_seconds']} s")
    if "default_evaluate" in out:
        e = out["default_evaluate"]
        print(f"default `locbench evaluate`: {e['wall_seconds']} s wall, {e['runs']} runs, exit {e['exit_code']} "
              f"(load {e['load_average_1m']:.1f})")
        if e["exit_code"]:
            print(e["stderr_tail"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
