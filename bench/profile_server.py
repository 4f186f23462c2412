"""Where a server worker's CPU time goes under load: py-spy samples during one wrk run.

``python -m bench.profile_server --scenario read`` starts the same services as ``bench.run``,
drives one scenario with wrk and samples every server worker with ``py-spy record``
(``pip install py-spy``; ``--py-spy PATH`` if it is not on PATH). It prints the share of
samples by package and the functions with the most self and inclusive time, and keeps the
raw collapsed stacks (for flamegraph.pl or speedscope) in the results folder.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench.matrix import SCENARIOS, Config
from bench.processes import worker_pids
from bench.run import Bench, libpq_url
from bench.wrk import Load, Measured, run_wrk
from fhir_server.embedded import EmbeddedServices

Stacks = Counter[tuple[str, ...]]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_server", description=__doc__)
    parser.add_argument("--app", choices=("server", "bare-asgi"), default="server")
    parser.add_argument("--scenario", choices=SCENARIOS, default="read")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25, help="functions listed")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy executable")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    return parser.parse_args(argv)


def _sampled_pids(leader: int, workers: int) -> list[int]:
    """The leader itself with one worker (uvicorn serves in-process), else its spawned workers."""
    if workers == 1:
        return [leader]
    pids = []
    for pid in worker_pids(leader):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"spawn_main" in cmdline:
            pids.append(pid)
    return pids


def read_collapsed(path: Path) -> Stacks:
    """py-spy's raw format: ``frame;frame;... count`` per line, root first."""
    stacks: Stacks = Counter()
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def package_of(frame: str) -> str:
    """The top-level module of a frame ``function (path/to/file.py:line)``."""
    location = frame.rpartition(" (")[2].rstrip(")")
    path = location.rpartition(":")[0]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "/lib/python3" in path:
        return "stdlib"
    parts = [p for p in path.split("/") if p]
    head = parts[0] if parts else "?"
    return head.removesuffix(".py") if len(parts) <= 1 else head


def summarize(stacks: Stacks, top: int, us_per_sample: float) -> str:
    """Shares by package (self time), then top functions by self and by inclusive time;
    ``us_per_sample`` (CPU microseconds per request that one sample stands for) adds a
    per-request figure to each line."""
    total = sum(stacks.values()) or 1

    def line(name: str, n: int) -> str:
        return f"  {n / total:6.1%} {n * us_per_sample:7.0f} us/req  {name}"

    by_package: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks.items():
        by_package[package_of(frames[-1])] += count
        self_time[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [
        f"{total} samples = {total * us_per_sample:.0f} us of sampled CPU per request"
        " (CPU-active samples only; SQLAlchemy's greenlet frames start their own stacks,"
        " so inclusive shares of the outer ASGI frames are too low)",
        "",
        "self time by package:",
    ]
    lines += [line(name, n) for name, n in by_package.most_common()]
    lines += ["", f"top {top} functions by self time:"]
    lines += [line(name, n) for name, n in self_time.most_common(top)]
    lines += ["", f"top {top} functions by inclusive time:"]
    lines += [line(name, n) for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def _record(py_spy: str, pid: int, seconds: float, rate: int, out: Path) -> subprocess.Popen[bytes]:
    argv = [py_spy, "record", "--pid", str(pid), "--duration", str(round(seconds))]
    argv += ["--rate", str(rate), "--format", "raw", "--nonblocking", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def profile(
    args: argparse.Namespace, bench: Bench, leader: int, port: int
) -> tuple[Stacks, Measured]:
    """Warm up, then run wrk and py-spy side by side; the merged stacks of every worker."""
    url = f"http://127.0.0.1:{port}/fhir/Patient"
    script_args = bench.script_args(args.scenario)
    threads = 1
    run_wrk(url, args.scenario, Load(args.connections, threads, 2.0), script_args)
    outputs: list[Path] = []
    name = f"profile-{args.app}-{args.scenario}-{args.workers}w"
    samplers = []
    for pid in _sampled_pids(leader, args.workers):
        outputs.append(args.out / f"{name}-{pid}.txt")
        samplers.append(_record(args.py_spy, pid, args.duration, args.rate, outputs[-1]))
    result: list[Measured] = []
    load = Load(args.connections, threads, args.duration)
    driver = threading.Thread(
        target=lambda: result.append(run_wrk(url, args.scenario, load, script_args))
    )
    driver.start()
    for sampler in samplers:
        _, err = sampler.communicate(timeout=args.duration + 60)
        if sampler.returncode != 0:
            raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')}")
    driver.join(timeout=args.duration + 60)
    if not result:
        raise RuntimeError("wrk did not finish")
    m = result[0]
    print(f"under profile: {m.rps:.1f} req/s, p50 {m.p50_ms:.2f} ms, p99 {m.p99_ms:.2f} ms")
    merged: Stacks = Counter()
    for path in outputs:
        merged.update(read_collapsed(path))
    return merged, m


def main(argv: list[str] | None = None) -> None:
    """Profile one scenario and print the summary."""
    args = _parse_args(argv)
    if not args.py_spy:
        sys.exit("py-spy not found: pip install py-spy, or pass --py-spy PATH")
    args.out.mkdir(parents=True, exist_ok=True)
    config = Config((args.workers,), (args.connections,), (args.scenario,), 0, 0, 1, 1000, args.out)
    with tempfile.TemporaryDirectory(prefix="nv-profile-") as tmp:
        folder = Path(tmp)
        with EmbeddedServices(folder / "data") as urls:
            print(f"database: {libpq_url(urls.database_url)}")
            bench = Bench(config, folder, urls)
            with bench.server(args.workers) as served:
                bench.seed_once(served.port)
                if args.app == "server":
                    stacks, measured = profile(args, bench, served.child.pid, served.port)
            if args.app == "bare-asgi":
                with bench.bare_asgi(args.workers) as bare:
                    stacks, measured = profile(args, bench, bare.child.pid, bare.port)
    us_per_sample = 1e6 / args.rate / max(1, measured.requests)
    summary = summarize(stacks, args.top, us_per_sample)
    name = f"profile-{args.app}-{args.scenario}-{args.workers}w-summary.txt"
    (args.out / name).write_text(summary + "\n")
    print(summary)


if __name__ == "__main__":
    main()
