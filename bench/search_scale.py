"""Search latency and throughput at 10k, 100k and 1M resources.

The database grows by copies of the Synthea patients (``scale_seed``); at each size a server
(``nutrivision serve``, auth off, ``--workers``) answers each query shape under wrk
(``--connections`` connections, one thread, ``--duration`` s after a warm-up), each request a
path drawn at random from 200 of that shape spread over all copies:

- ``patient-name``: ``Patient?family=X`` (X matches ``--name-hits`` Patients);
- ``obs-patient-code-date``: ``Observation?patient=P&code=loinc|C&date=geY&date=ltY+1``;
- ``obs-include``: the same without dates, with ``_include=Observation:subject``;
- ``chain-2``: ``Observation?encounter.patient.family=X&_count=20`` (two chained levels);
- ``has``: ``Patient?_has:Observation:patient:code=loinc|C&_count=20``;
- ``count-10pct``: ``Observation?code=loinc|C&_summary=count``, C the code of the
  Observations closest to a tenth of them.

Everything runs on an embedded PostgreSQL under a temporary folder (``--keep`` keeps it).

    python -m bench.search_scale [--scales 10000,100000,1000000] [--duration 8]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

from bench.ingest import SYNTHEA
from bench.processes import Child
from bench.run import libpq_url
from bench.scale_seed import Copier, Template, family_of, load_template
from bench.served import cpu_mark, cpu_since, serve
from bench.wrk import Load, Measured, run_wrk
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices, ServiceUrls
from fhir_server.keys_cli import prepare_keys
from fhir_server.settings import Settings
from resources.search.registry import default_registry

LOINC = "http://loinc.org"
PATHS_PER_SHAPE = 200


def _loinc(resource: dict[str, Any]) -> str | None:
    codings = resource.get("code", {}).get("coding", [])
    return next((c["code"] for c in codings if c.get("system") == LOINC), None)


def shapes(template: Template, copies: int, name_hits: int) -> dict[str, list[str]]:
    """The request paths of each query shape, spread over ``copies`` copies."""
    draw = random.Random(7)
    resources = [orjson.loads(r.body) for r in template.resources]
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    observations = [r for r in resources if r["resourceType"] == "Observation" and _loinc(r)]
    codes = Counter(_loinc(r) for r in observations)
    tenth = min(codes, key=lambda c: abs(codes[c] / len(observations) - 0.1))
    found: dict[str, list[str]] = {name: [] for name in SHAPES}
    for _ in range(PATHS_PER_SHAPE):
        copy = draw.randrange(copies)
        group = draw.randrange((copies - 1) // name_hits + 1)
        family = family_of(draw.choice(patients)["name"][0]["family"], group)
        obs = draw.choice(observations)
        patient = f"{obs['subject']['reference'].split('/')[1]}-{copy}"
        code, year = _loinc(obs), int(str(obs.get("effectiveDateTime", "2000"))[:4])
        found["patient-name"].append(f"/fhir/Patient?family={family}")
        found["obs-patient-code-date"].append(
            f"/fhir/Observation?patient={patient}&code={LOINC}|{code}"
            f"&date=ge{year}-01-01&date=lt{year + 1}-01-01"
        )
        found["obs-include"].append(
            f"/fhir/Observation?patient={patient}&code={LOINC}|{code}&_include=Observation:subject"
        )
        found["chain-2"].append(f"/fhir/Observation?encounter.patient.family={family}&_count=20")
        found["has"].append(f"/fhir/Patient?_has:Observation:patient:code={LOINC}|{code}&_count=20")
        found["count-10pct"].append(f"/fhir/Observation?code={LOINC}|{tenth}&_summary=count")
    return found


SHAPES = ("patient-name", "obs-patient-code-date", "obs-include", "chain-2", "has", "count-10pct")


def grow(urls: ServiceUrls, copier: Copier, have: int, want: int) -> float:
    """Write copies ``have`` .. ``want``-1, then VACUUM and ANALYZE; seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(libpq_url(urls.database_url)) as conn:
        for copy in range(have, want):
            copier.copy(conn, copy)
        conn.autocommit = True
        # as autovacuum would soon: done now, it does not run inside a measurement
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def check(port: int, paths: list[str]) -> str:
    """One request of the shape, which must answer 200: its hits (total or entries)."""
    answer = httpx.get(f"http://127.0.0.1:{port}{paths[0]}", timeout=60)
    if answer.status_code != 200:
        raise SystemExit(f"{paths[0]}: {answer.status_code} {answer.text[:400]}")
    bundle = answer.json()
    matches = sum(1 for e in bundle.get("entry", []) if e["search"]["mode"] == "match")
    return str(bundle.get("total", matches))


def measure(
    child: Child, port: int, folder: Path, name: str, paths: list[str], args: Any
) -> Measured:
    """wrk on the shape's paths: a warm-up, then the measured run with its CPU per request
    (server and PostgreSQL: the figure a busy machine moves least)."""
    listed = folder / f"{name}.txt"
    listed.write_text("\n".join(paths) + "\n")
    base = f"http://127.0.0.1:{port}"
    run_wrk(base, "paths", Load(args.connections, 1, args.warmup), [str(listed)])
    mark = cpu_mark(child, folder)
    measured = run_wrk(base, "paths", Load(args.connections, 1, args.duration), [str(listed)])
    return measured.with_cpu(*cpu_since(child, folder, mark))


def main() -> None:
    """Grow the database to each scale and measure every shape there."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="10000,100000,1000000", help="resources")
    parser.add_argument("--bundles", type=Path, default=SYNTHEA, help="folder of Bundles")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--name-hits", type=int, default=10, help="Patients per family name")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nutrivision-search-scale-"))
    registry = default_registry()
    with EmbeddedServices(folder / "services") as urls:
        migrate.upgrade(urls.database_url)
        prepare_keys(Settings(data_dir=folder / "data"), urls.database_url)
        template = load_template(args.bundles, registry)
        copier = Copier(template, registry, args.name_hits)
        have = 0
        print(
            "| Resources | Query | hits | req/s | p50 ms | p99 ms | CPU µs/req app + db |\n"
            "|---:|---|---:|---:|---:|---:|---:|"
        )
        for scale in (int(s) for s in args.scales.split(",")):
            want = max(1, round(scale / len(template.resources)))
            seconds = grow(urls, copier, have, want)
            have = want
            total = have * len(template.resources)
            print(f"<!-- {total} resources, {want} copies, grown in {seconds:.0f} s -->")
            child, port = serve(urls, folder, args.workers)
            try:
                for name, paths in shapes(template, have, args.name_hits).items():
                    hits = check(port, paths)
                    m = measure(child, port, folder, name, paths, args)
                    errors = f" ({m.errors} errors)" if m.errors else ""
                    print(
                        f"| {total:,} | {name} | {hits} | {m.rps:,.0f}{errors} "
                        f"| {m.p50_ms:.1f} | {m.p99_ms:.1f} "
                        f"| {m.app_cpu_us or 0:,.0f} + {m.db_cpu_us or 0:,.0f} |"
                    )
                    sys.stdout.flush()
            finally:
                child.stop()
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at the end: {Path('/proc/loadavg').read_text()[:14]}")


if __name__ == "__main__":
    main()
