"""Make the ICD-10-CM table that ships in ``data/`` from the ``simple-icd-10-cm`` package.

simple-icd-10-cm (MIT licence, Stefano Travasci) bundles the CMS ICD-10-CM tabular list
(public domain); version 1.5.0 carries the April 1, 2026 update of FY2026. Each row:
``code<TAB>parent<TAB>kind<TAB>display`` with kind ``chapter``, ``block`` or ``code``
(categories, subcategories and seventh-character codes). Codes are written with their dot.
A block that holds one category has the category's code; the category keeps the code and
takes the block's parent.
"""

from __future__ import annotations

import gzip
from importlib.metadata import version
from pathlib import Path

PACKAGE = "simple-icd-10-cm"


def package_version() -> str:
    """The installed simple-icd-10-cm version."""
    return version(PACKAGE)


def rows() -> list[tuple[str, str, str, str]]:
    """(code, parent, kind, display) for every chapter, block and code, in tabular order."""
    import simple_icd_10_cm as cm  # type: ignore[import-untyped]  # build time: parses 10 MB

    table: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for code in cm.get_all_codes(with_dots=True):
        if code in seen:  # a one-category block and its category share the code
            continue
        seen.add(code)
        if cm.is_chapter(code):
            kind = "chapter"
        elif cm.is_block(code) and not cm.is_category_or_subcategory(code):
            kind = "block"
        else:
            kind = "code"
        parent = cm.get_parent(code) if kind != "chapter" else ""
        if kind == "code" and cm.is_block(parent) and cm.is_category(parent) and parent == code:
            parent = cm.get_parent(parent, prioritize_blocks=True)
        display = " ".join(cm.get_description(code).split())
        table.append((code, parent or "", kind, display))
    return table


def build(target: Path) -> int:
    """Write the gzip'ed TSV to ``target``; returns the number of rows."""
    table = rows()
    header = f"# ICD-10-CM from {PACKAGE} {package_version()}\n"
    text = header + "".join("\t".join(row) + "\n" for row in table)
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return len(table)
