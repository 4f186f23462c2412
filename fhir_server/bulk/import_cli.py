"""``nutrivision import PATH...``: load Bundle (``.json``) and NDJSON (``.ndjson``) files, or
every such file under a folder, straight into the database, with a progress bar.

The run is resumable: the state file records finished files and, for NDJSON, the lines
loaded so far (see ``import_state``); running the same command again skips them. A file that
fails is reported (``path:line: message``) and the run goes on, unless ``--fail-fast``.
The exit status is 1 when anything failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from fhir_server.bulk.import_state import ImportState
from fhir_server.bulk.loader import LineError, Loaded, Loader
from fhir_server.bulk.prepare import Numbered
from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.settings import Settings, SettingsError, load_settings
from resources import fhir_json
from resources.errors import FhirError
from resources.search.registry import default_registry

import_app = typer.Typer(
    help="Load Bundle and NDJSON files",
    no_args_is_help=True,
    context_settings={"allow_interspersed_args": True},  # options after the paths too
)
SUFFIXES = (".json", ".ndjson")


def input_files(paths: list[Path]) -> list[Path]:
    """The files named, and the ``.json``/``.ndjson`` files under the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@dataclass
class Run:
    """One import run: what it loads into, its state, progress and tallies."""

    loader: Loader
    state: ImportState
    progress: Progress
    task: TaskID
    batch: int
    fail_fast: bool
    console: Console
    resources: int = 0
    failures: int = 0
    started: float = field(default_factory=time.perf_counter)

    def tally(self, loaded: Loaded, file: Path, advance: int) -> None:
        """Count what was loaded, report what was not, move the bar."""
        self.resources += loaded.resources
        for error in loaded.errors:
            self.failures += 1
            self.console.print(
                f"{file}:{error.line}: {error.message}",
                markup=False,
                soft_wrap=True,
                highlight=False,
            )
        rate = self.resources / max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(
            self.task, advance=advance, resources=self.resources, rate=f"{rate:,.0f}"
        )

    @property
    def stop(self) -> bool:
        """True when ``--fail-fast`` and something failed."""
        return self.fail_fast and self.failures > 0


def _lines(file: Path, skip: int) -> Iterator[tuple[int, bytes]]:
    with file.open("rb") as handle:
        for number, text in enumerate(handle, start=1):
            if number > skip:
                yield number, text


def _batches(file: Path, skip: int, size: int) -> Iterator[tuple[tuple[int, int], Numbered]]:
    """Batches of ``size`` non-blank lines after line ``skip``, each with the number of the
    last line read and the bytes read for it."""
    pending: Numbered = []
    for number, text in _lines(file, skip):
        if text.strip():
            pending.append((number, text))
        if len(pending) >= size:
            yield (number, sum(len(text) for _, text in pending)), pending
            pending = []
    if pending:
        yield (pending[-1][0], sum(len(text) for _, text in pending)), pending


async def _ndjson(run: Run, file: Path) -> None:
    """An NDJSON file, batch by batch (the next ones prepared while one is written), the
    position saved after each batch written."""
    record = run.state.entry(file)
    stream = run.loader.stream(_batches(file, int(record["lines"]), run.batch))
    async with contextlib.aclosing(stream):
        async for (upto, size), loaded in stream:
            run.tally(loaded, file, size)
            if run.stop:
                return
            record["lines"] = upto
            run.state.save()
    record["done"] = True
    run.state.save()


async def _bundle(run: Run, file: Path) -> None:
    """A Bundle file; one that fails as a whole is not marked done (the next run retries)."""
    failed = True
    try:
        loaded = await run.loader.bundle(fhir_json.loads(await asyncio.to_thread(file.read_bytes)))
        failed = False
    except ValueError:
        loaded = Loaded(errors=[LineError(0, "The file is not JSON", {})])
    except FhirError as error:
        loaded = Loaded(errors=[LineError(0, error.message, error.outcome())])
    run.tally(loaded, file, (await asyncio.to_thread(file.stat)).st_size)
    if not failed:
        run.state.entry(file)["done"] = True
        run.state.save()


async def _load_all(run: Run, files: list[Path]) -> None:
    for file in files:
        record = run.state.entry(file)
        if record["done"]:
            run.progress.update(run.task, advance=file.stat().st_size)
            continue
        run.progress.update(run.task, description=file.name)
        if file.suffix == ".ndjson":
            await _ndjson(run, file)
        else:
            await _bundle(run, file)
        if run.stop:
            return


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[resources]} resources, {task.fields[rate]} resources/s"),
        TimeElapsedColumn(),
        console=console,
    )


async def _import(
    settings: Settings, database_url: str, files: list[Path], state: ImportState, **options: Any
) -> Run:
    migrate.upgrade(database_url)
    base = (settings.base_url or "http://localhost/fhir").rstrip("/")
    console = Console(stderr=True)
    async with open_store(settings, database_url, 4) as opened:
        workers = settings.bulk_import_workers
        loader = Loader(opened.store, default_registry(), base, workers)
        try:
            with _progress(console) as progress:
                total = sum(f.stat().st_size for f in files)
                task = progress.add_task("import", total=total, resources=0, rate="0")
                run = Run(loader, state, progress, task, console=console, **options)
                await _load_all(run, files)
        finally:
            loader.close()
        return run


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The configured PostgreSQL, else the embedded one of the data directory."""
    if settings.database_url:
        yield settings.database_url
        return
    with EmbeddedServices(settings.data_dir) as embedded:
        yield embedded.database_url


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@import_app.callback(invoke_without_command=True)
def import_files(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders", exists=True)],
    fail_fast: Annotated[bool, typer.Option(help="Stop at the first error")] = False,
    state: Annotated[Path | None, typer.Option(help="State file (resume)")] = None,
    batch: Annotated[int, typer.Option(min=1, help="NDJSON lines per transaction")] = 500,
    fresh: Annotated[bool, typer.Option(help="Ignore the state of earlier runs")] = False,
) -> None:
    """Load Bundles (transaction, batch, collection) and NDJSON into the database."""
    settings = _settings()
    files = input_files(paths)
    state_path = state or settings.data_dir / "import-state.json"
    import_state = ImportState(state_path) if fresh else ImportState.read(state_path)
    with database(settings) as database_url:
        run = asyncio.run(
            _import(settings, database_url, files, import_state, batch=batch, fail_fast=fail_fast)
        )
    seconds = time.perf_counter() - run.started
    rate = run.resources / max(seconds, 1e-9)
    typer.echo(
        f"{run.resources} resources from {len(files)} files in {seconds:.1f} s "
        f"({rate:,.0f} resources/s); {run.failures} errors"
    )
    if run.failures:
        raise typer.Exit(1)
