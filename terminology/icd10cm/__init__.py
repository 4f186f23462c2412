"""ICD-10-CM (FY2026, April 1 2026 update) as a code system with hierarchy and displays.

https://hl7.org/fhir/R4/icd.html: system ``http://hl7.org/fhir/sid/icd-10-cm``, codes with
their dot (``E11.9``). Chapters and blocks are abstract groupers above the categories.
"""

from terminology.icd10cm.codesystem import SYSTEM, VERSION, code_system
from terminology.icd10cm.validation import CodeCheck, Mode, check_icd10cm_codes

__all__ = ["SYSTEM", "VERSION", "CodeCheck", "Mode", "check_icd10cm_codes", "code_system"]
