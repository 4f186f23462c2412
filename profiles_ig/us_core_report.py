"""The Inferno reference data against the reconstructed US Core profiles (``us_core``).

``python -m profiles_ig.us_core_report [FIXTURES]`` prints, per US Core version of the test kit's
metadata, how many resources claim a reconstructed profile, how many pass, and each error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from profiles_ig.definitions import default_definitions, load_definitions
from profiles_ig.us_core import reconstruct_all
from profiles_ig.validation import claimed_profiles, is_error, validate_resource
from profiles_ig.validator import Validator

KIT = Path("inferno-us-core-test-kit/lib/us_core_test_kit/generated")
DATA = Path("inferno-reference-server-data/resources")


@dataclass
class DataReport:
    """Resources read, those claiming a reconstructed profile, and the errors of those that fail."""

    resources: int = 0
    checked: int = 0
    failed: dict[str, list[str]] = field(default_factory=dict)
    """Per resource id, its error messages."""

    @property
    def passed(self) -> int:
        """Resources that claim a reconstructed profile and have no error against it."""
        return self.checked - len(self.failed)


def metadata_file(fixtures: Path, version: str) -> Path:
    """The test kit's metadata of one US Core version (``v3.1.1``)."""
    return fixtures / KIT / version / "metadata.json"


def us_core_validator(metadata: Path) -> Validator:
    """A validator over the base, our guide and the profiles reconstructed from ``metadata``."""
    profiles = [r.profile for r in reconstruct_all(metadata, default_definitions())]
    return Validator(load_definitions(profiles))


def reference_resources(fixtures: Path) -> Iterator[dict[str, Any]]:
    """Every resource of the US Core patient bundles of the reference data."""
    for path in sorted((fixtures / DATA).glob("uscore_bundle_patient_*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            yield entry["resource"]


def validate_reference_data(fixtures: Path, validator: Validator) -> DataReport:
    """Each resource that claims a profile the validator knows, validated against its claims."""
    report = DataReport()
    for resource in reference_resources(fixtures):
        report.resources += 1
        claims = claimed_profiles(resource)
        if not any(validator.definitions.structure(c) is not None for c in claims):
            continue
        report.checked += 1
        errors = [
            i.diagnostics for i in validate_resource(resource, validator=validator) if is_error(i)
        ]
        if errors:
            report.failed[str(resource["id"])] = errors
    return report


def main() -> None:
    """Print the report for US Core 3.1.1 and 6.1.0."""
    fixtures = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/fixtures")
    for version in ("v3.1.1", "v6.1.0"):
        report = validate_reference_data(
            fixtures, us_core_validator(metadata_file(fixtures, version))
        )
        print(
            f"{version}: {report.resources} resources, {report.checked} claim a reconstructed "
            f"profile, {report.passed} pass"
        )
        for id_, errors in report.failed.items():
            print(f"  {id_}: {'; '.join(errors)}")


if __name__ == "__main__":
    main()
