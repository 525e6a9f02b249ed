"""Forward throughput (points/s) of every location encoder on CPU.

Eval mode, no grad, batched; default hyper-parameters (tile: its default 2° grid; rbf: anchors
from the benchmark points themselves). Prints a table; `--json` writes the rows too.

    python benchmarks/encoders.py                 # 1,000,000 points per encoder
    python benchmarks/encoders.py --n 20000       # quick run
    python benchmarks/encoders.py --only xyz NeRF --batch-size 65536 --threads 1
"""

from __future__ import annotations

import argparse
import time


def _measure(spec, pts, args) -> dict:  # type: ignore[no-untyped-def]
    """One encoder's forward throughput over all points (a row with `error` when it cannot be built)."""
    import torch

    try:
        enc = spec.build(seed=args.seed, train_lonlat=pts[:10_000].numpy() if spec.needs_train_locations else None)
    except Exception as exc:  # e.g. GeoCLIP not installed: report, keep going
        return {"encoder": spec.name, "error": str(exc).splitlines()[0]}
    enc.eval()
    with torch.inference_mode():
        enc(pts[:256])  # warm-up
        start = time.perf_counter()
        for i in range(0, args.n, args.batch_size):
            enc(pts[i:i + args.batch_size])
        secs = time.perf_counter() - start
    return {"encoder": spec.name, "pe_dim": spec.pe_dim(), "output_dim": int(enc.output_dim),
            "params": int(sum(p.numel() for p in enc.parameters())),
            "seconds": round(secs, 3), "points_per_s": round(args.n / secs)}


def _print_table(rows: list[dict], args) -> None:  # type: ignore[no-untyped-def]
    import torch
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"forward throughput, {args.n:,} points, batch {args.batch_size:,}, "
                        f"{torch.get_num_threads()} thread(s), torch {torch.__version__}")
    for col in ("encoder", "PE dim", "D", "params", "seconds", "points/s"):
        table.add_column(col, justify="left" if col == "encoder" else "right")
    for r in rows:
        if "error" in r:
            table.add_row(r["encoder"], "", "", "", "", f"skipped: {r['error']}")
        else:
            table.add_row(r["encoder"], str(r["pe_dim"]), str(r["output_dim"]), f"{r['params']:,}",
                          f"{r['seconds']:.2f}", f"{r['points_per_s']:,}")
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="points per encoder (default 1M)")
    parser.add_argument("--batch-size", type=int, default=65_536)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    parser.add_argument("--only", nargs="*", default=None, help="encoder names to run (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file (atomic)")
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from rich.progress import Progress

    from locbench.encoders import get_encoder, list_encoders

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(-180.0, 180.0, args.n)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, args.n)))
    pts = torch.tensor(np.stack([lon, lat], axis=1), dtype=torch.float32)
    specs = [get_encoder(n) for n in args.only] if args.only else \
        [s for s in list_encoders() if s.family != "baseline"]

    rows = []
    with Progress(transient=True) as progress:
        task = progress.add_task("encoders", total=len(specs))
        for spec in specs:
            progress.update(task, description=spec.name)
            rows.append(_measure(spec, pts, args))
            progress.advance(task)
    _print_table(rows, args)
    if args.json:
        from locbench.atomic import write_json

        write_json(args.json, {"n": args.n, "batch_size": args.batch_size,
                               "threads": torch.get_num_threads(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
