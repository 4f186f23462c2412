"""The report's lab results as an HL7 v2.5.1 ORU^R01, through the outbound builder.

https://www.hl7.org/implement/standards/product_brief.cfm?product_id=144
"""

from __future__ import annotations

from typing import Any

from operations.hl7v2.oru_out import build_oru
from operations.report.gather import Record


def oru(report: dict[str, Any], record: Record) -> str:
    """MSH, PID, one OBR and an OBX per lab result of the report (oldest first per test)."""
    by_ref = {f"Observation/{o['id']}": o for o in record.of("Observation")}
    observations = [by_ref[r["reference"]] for g in report.get("labs", []) for r in g["results"]]
    summary = {
        "code": {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "30954-2",
                    "display": "Relevant diagnostic tests/laboratory data",
                }
            ]
        },
        "status": "final",
        "effectiveDateTime": report["generated"],
    }
    return build_oru(record.patient, observations, summary)
