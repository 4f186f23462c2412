"""``nutrivision terminology``: build the shipped terminology files, look codes up, convert
units, and load the shipped resources into the database (searchable like any resource)."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from fhir_server.settings import Settings
from resources.errors import FhirError

terminology_app = typer.Typer(
    help="Terminology: ICD-10-CM, LOINC subset, UCUM, FHIR R4 code systems", no_args_is_help=True
)

_PACKAGE = Path(__file__).resolve().parents[1] / "terminology"
_FHIR_TARGET = _PACKAGE / "codesystems" / "data" / "fhir-r4-terminology.json.gz"
_ICD_TARGET = _PACKAGE / "icd10cm" / "data" / "icd10cm-2026.tsv.gz"


@terminology_app.command("build-fhir")
def build_fhir(
    source: Annotated[
        Path, typer.Argument(help="Folder with valuesets.json(.gz), conceptmaps.json")
    ],
    target: Annotated[Path, typer.Option(help="File to write")] = _FHIR_TARGET,
) -> None:
    """Make the compact copy of the FHIR R4 code systems, value sets and concept maps."""
    from terminology.codesystems.build import build

    count = build(source, target)
    typer.echo(f"{count} resources written to {target} ({target.stat().st_size} bytes)")


@terminology_app.command("build-icd10cm")
def build_icd10cm(
    target: Annotated[Path, typer.Option(help="File to write")] = _ICD_TARGET,
) -> None:
    """Make the ICD-10-CM table from the installed simple-icd-10-cm package."""
    from terminology.icd10cm.build import build

    count = build(target)
    typer.echo(f"{count} ICD-10-CM rows written to {target} ({target.stat().st_size} bytes)")


@terminology_app.command("lookup")
def lookup(
    system: Annotated[str, typer.Argument(help="Code system URL, or icd10cm / loinc / ucum")],
    code: Annotated[str, typer.Argument(help="The code")],
) -> None:
    """Show a shipped code's display, parents and children (exit 1 if unknown)."""
    from terminology.codesystems import catalog

    url = _ALIASES.get(system, system)
    index = catalog().code_system(url)
    if index is None:
        typer.echo(f"Code system {url} is not shipped", err=True)
        raise typer.Exit(1)
    concept = index.get(code)
    if concept is None:
        typer.echo(f"{code}: not in {url}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{concept.code}\t{concept.display or ''}")
    typer.echo(f"parents:  {' '.join(concept.parents) or '-'}")
    typer.echo(f"children: {' '.join(index.children.get(concept.code, [])) or '-'}")
    if concept.abstract or concept.inactive:
        typer.echo("abstract" if concept.abstract else "inactive")


_ALIASES = {
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "loinc": "http://loinc.org",
    "ucum": "http://unitsofmeasure.org",
}


@terminology_app.command("convert")
def convert(
    value: Annotated[str, typer.Argument(help="The number")],
    source: Annotated[str, typer.Argument(help="Its UCUM unit")],
    target: Annotated[str, typer.Argument(help="The UCUM unit wanted")],
    analyte: Annotated[
        str | None, typer.Option(help="Analyte or LOINC code, for mass <-> substance")
    ] = None,
) -> None:
    """Convert a value between UCUM units (with a molar mass for lab analytes)."""
    from terminology.ucum import convert as convert_units
    from terminology.ucum import convert_molar

    try:
        number = Decimal(value)
        result = (
            convert_molar(number, source, target, analyte)
            if analyte
            else convert_units(number, source, target)
        )
    except InvalidOperation:
        typer.echo(f"{value!r} is not a number", err=True)
        raise typer.Exit(2) from None
    except FhirError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{result} {target}")


@terminology_app.command("load")
def load(
    kind: Annotated[
        list[str] | None, typer.Option("--type", help="Only these types (repeatable)")
    ] = None,
) -> None:
    """Store the shipped FHIR R4 code systems, value sets and concept maps and the LOINC
    subset in the database (skipping those whose URL is already stored)."""
    from fhir_server.cli import _settings, services
    from fhir_server.db import migrate

    wanted = set(kind or ("CodeSystem", "ValueSet", "ConceptMap"))
    settings = _settings()
    with services(settings) as urls:
        migrate.upgrade(urls.database_url)
        created, kept = asyncio.run(_load(settings, urls.database_url, wanted))
    typer.echo(f"{created} terminology resources stored, {kept} already there")


def shipped_resources() -> list[dict[str, Any]]:
    """Every shipped terminology resource that can be stored as it is."""
    import gzip
    import json
    from importlib.resources import files

    from terminology.codesystems.catalog import DATA_FILE
    from terminology.loinc import resource as loinc

    raw = files("terminology.codesystems").joinpath("data", DATA_FILE).read_bytes()
    resources: list[dict[str, Any]] = json.loads(gzip.decompress(raw))
    return [*resources, loinc()]


async def _load(settings: Settings, database_url: str, wanted: set[str]) -> tuple[int, int]:
    from fhir_server.composition import open_store
    from resources.search.parse import parse_search
    from resources.search.registry import default_registry

    created = kept = 0
    async with open_store(settings, database_url, 2) as opened:
        for resource in shipped_resources():
            kind = resource["resourceType"]
            if kind not in wanted:
                continue
            criteria = parse_search((kind,), [("url", resource["url"])], default_registry())
            result = await opened.store.create(kind, resource, criteria)
            created, kept = (created + 1, kept) if result.created else (created, kept + 1)
    return created, kept
