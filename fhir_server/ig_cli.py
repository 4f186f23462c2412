"""``nutrivision ig``: build the static IG site, rebuild the compact base definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from conformance.guide import published
from operations import REGISTRY
from profiles_ig.base_build import build as build_base
from profiles_ig.definitions import BASE_FILE, default_definitions
from profiles_ig.site import build_site

DEFAULT_SITE = Path(".nutrivision/ig-site")
"""``ig-site`` in the default data directory, where the server serves /ig/ from."""

ig_app = typer.Typer(help="The implementation guide", no_args_is_help=True)


@ig_app.command("build")
def build(
    out: Annotated[Path, typer.Option(help="Where to write the HTML site")] = DEFAULT_SITE,
) -> None:
    """Write the IG as static HTML (served under /ig/ from the data directory's ig-site)."""
    operations = [published("OperationDefinition", str(m.DEFINITION["id"])) for m in REGISTRY]
    pages = build_site(default_definitions(), [op for op in operations if op is not None])
    out.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
    typer.echo(f"{len(pages)} pages in {out}")


@ig_app.command("base")
def base(
    definitions: Annotated[Path, typer.Option(help="The FHIR R4 definitions folder")],
    r5: Annotated[Path, typer.Option(help="The folder with NutritionIntake's R5 definition")],
) -> None:
    """Rebuild the compact copy of the base definitions that ships in profiles_ig/data."""
    counts = build_base(definitions, r5, BASE_FILE)
    typer.echo(", ".join(f"{key} {value}" for key, value in counts.items()))
