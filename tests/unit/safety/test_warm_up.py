"""The re-check hook loads every knowledge base when it is built (a server builds it at
startup, before freezing its startup objects), so no request pays for loading one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
from operations.safety import foods
from operations.safety.recheck import SafetyRecheck
from terminology.interactions.knowledge import knowledge_base
from terminology.medications.knowledge import medication_knowledge

loads = (knowledge_base, foods.vocabulary, foods.spelling, medication_knowledge)
SafetyRecheck()
print(" ".join(f"{f.__name__}={f.cache_info().currsize}" for f in loads))
"""


def test_building_the_hook_loads_the_knowledge_a_check_reads() -> None:
    """In a process of its own: in this one, earlier tests have loaded them already."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [
        "knowledge_base=1",
        "vocabulary=1",
        "spelling=1",
        "medication_knowledge=1",
    ]
