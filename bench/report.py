"""The results: machine facts, ratios to the ceilings, a JSON file and a Markdown table."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg

from bench.matrix import CEILING_OF, DIRECT_INSERT, SERVER, TARGET_WORKERS, TARGETS, Config, Row
from bench.wrk import wrk_path


def machine_info() -> dict[str, Any]:
    """Cores (as ``nproc`` counts them), CPU model, load, versions, date."""
    model = "unknown"
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, check=False)
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "loadavg_at_start": load_average(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr or "?").splitlines()[0].split(" Copyright")[0],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def code_revision(label: str) -> str:
    """Where the served ``fhir_server`` comes from, its git revision, and whether the tree
    outside ``bench/`` has uncommitted changes."""
    import fhir_server

    root = Path(fhir_server.__file__).resolve().parent.parent
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return f"{label or root} (not a git checkout)"
    status = [*git, "status", "--porcelain", "--", ".", ":!bench"]
    dirty = subprocess.run(status, capture_output=True, text=True, check=False).stdout.strip()
    changes = " + uncommitted changes" if dirty else ""
    return f"{label + ': ' if label else ''}{root} @ {head.stdout.strip()}{changes}"


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    return [round(x, 2) for x in os.getloadavg()]


def postgres_version(url: str) -> str:
    """``SELECT version()`` of the benchmarked PostgreSQL."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version()").fetchone()
    return str(row[0]).split(" on ", 1)[0] if row else "unknown"


def _find(rows: list[Row], target: str, scenario: str, workers: int, conns: int) -> Row | None:
    for row in rows:
        key = (row.target, row.scenario, row.workers, row.connections)
        if key == (target, scenario, workers, conns):
            return row
    return None


def ratios(rows: list[Row]) -> list[dict[str, Any]]:
    """Each of our runs that has a ceiling, as a fraction of it, with its target if any."""
    found: list[dict[str, Any]] = []
    for row in rows:
        if row.target != SERVER or row.scenario not in CEILING_OF:
            continue
        ceiling = _find(rows, *CEILING_OF[row.scenario], row.workers, row.connections)
        if ceiling is None or ceiling.measured.rps == 0:
            continue
        ratio = row.measured.rps / ceiling.measured.rps
        target = TARGETS[row.scenario] if row.workers == TARGET_WORKERS else None
        found.append(
            {
                "scenario": row.scenario,
                "workers": row.workers,
                "connections": row.connections,
                "ours_rps": round(row.measured.rps, 1),
                "ceiling": ceiling.target,
                "ceiling_rps": round(ceiling.measured.rps, 1),
                "ratio": round(ratio, 3),
                "target": target,
                "met": None if target is None else ratio >= target,
            }
        )
    return found


def _cell(row: Row | None) -> list[str]:
    if row is None:
        return ["—", "—", "—", "—"]
    m = row.measured
    cpu = f"{m.app_cpu_us or 0:,.0f} + {m.db_cpu_us or 0:,.0f}"
    return [f"{m.rps:,.0f}", f"{m.p50_ms:.2f}", f"{m.p99_ms:.2f}", cpu]


def _verdict(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "—"
    if entry["target"] is None:
        return f"{entry['ratio']:.0%}"
    mark = "met" if entry["met"] else "MISSED"
    return f"{entry['ratio']:.0%} (target {entry['target']:.0%}: {mark})"


def markdown(config: Config, machine: dict[str, Any], rows: list[Row]) -> str:
    """The results table: ours beside its ceiling, with the ratio and the target."""
    by_key = {(e["scenario"], e["workers"], e["connections"]): e for e in ratios(rows)}
    lines = [
        f"Machine: {machine['nproc']} cores ({machine['cpu_model']}), {machine['date']}, "
        f"{machine.get('postgres', '')}, {machine['wrk']}; {config.duration_s:g} s runs after "
        f"{config.warmup_s:g} s warm-up, wrk -t{config.threads}; code {machine.get('code', '?')}; "
        f"load average at start {machine['loadavg_at_start']}, "
        f"at end {machine.get('loadavg_at_end', '?')}.",
        "",
        "| Workers | Conns | Scenario | Ours req/s | p50 ms | p99 ms | CPU µs/req app + db "
        "| Ceiling | Ceiling /s | p50 ms | p99 ms | CPU µs/req app + db | Ours / ceiling |",
        "|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if row.target != SERVER:
            continue
        target, scenario = CEILING_OF.get(row.scenario, ("—", ""))
        ceiling = _find(rows, target, scenario, row.workers, row.connections)
        entry = by_key.get((row.scenario, row.workers, row.connections))
        cells = [str(row.workers), str(row.connections), row.scenario, *_cell(row)]
        cells += [target, *_cell(ceiling), _verdict(entry)]
        lines.append("| " + " | ".join(cells) + " |")
    single = _find(rows, DIRECT_INSERT, "insert", 1, 1)
    if single is not None:
        m = single.measured
        lines += [
            "",
            f"One psycopg connection committing each insert: {m.rps:,.0f}/s "
            f"(p50 {m.p50_ms:.2f} ms, p99 {m.p99_ms:.2f} ms).",
        ]
    failed = [r for r in rows if r.measured.errors]
    for row in failed:
        m = row.measured
        lines += [
            "",
            f"**Errors**: {row.target} {row.scenario} workers={row.workers} "
            f"conns={row.connections}: {m.errors} ({m.status_errors} non-2xx responses).",
        ]
    lines += [
        "",
        "CPU µs/req: CPU time of the server's processes (for direct-insert: the client "
        "processes) and of PostgreSQL's, per request, during the measured run.",
    ]
    return "\n".join(lines)


def write(config: Config, machine: dict[str, Any], rows: list[Row]) -> list[Path]:
    """``results-<stamp>.json`` and ``.md`` in the results folder, copied to ``latest.*``."""
    config.out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in config.__dict__.items()}
    document = {
        "machine": machine,
        "config": settings,
        "runs": [row.as_json() for row in rows],
        "ratios": ratios(rows),
    }
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    table = markdown(config, machine, rows) + "\n"
    written = []
    for name, content in ((f"results-{stamp}.json", data), (f"results-{stamp}.md", table.encode())):
        path = config.out_dir / name
        path.write_bytes(content)
        (config.out_dir / f"latest{path.suffix}").write_bytes(content)
        written.append(path)
    return written
