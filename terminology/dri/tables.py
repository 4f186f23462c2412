"""Dietary Reference Intakes of the National Academies, written by hand from the DRI tables.

Values are per day for healthy people from 1 year of age; pregnancy and lactation are not
covered. Each table maps an age band and sex to an amount. Sources (cited in ``SOURCES``):
- NASEM 2019, *Dietary Reference Intakes for Sodium and Potassium*: sodium AI and Chronic
  Disease Risk Reduction Intake (CDRR), potassium AI;
- IOM 2011, *Dietary Reference Intakes for Calcium and Vitamin D*: calcium and vitamin D RDA
  and UL;
- IOM 2001, *DRI for Vitamin A, Vitamin K, ..., Iron, ...*: iron RDA and UL, vitamin K AI;
- IOM 2000, *DRI for Vitamin C, Vitamin E, Selenium, and Carotenoids*: vitamin C RDA and UL;
- IOM 2005, *DRI for Energy, Carbohydrate, Fiber, Fat, Fatty Acids, Cholesterol, Protein, and
  Amino Acids*: protein and carbohydrate RDA, total fibre AI, AMDRs.
"""

from __future__ import annotations

from dataclasses import dataclass

# Age bands in years, [low, high); the NASEM tables' 1-3, 4-8, 9-13, 14-18, 19-30, 31-50,
# 51-70 and >70 years.
BANDS: tuple[tuple[float, float], ...] = (
    (1, 4), (4, 9), (9, 14), (14, 19), (19, 31), (31, 51), (51, 71), (71, 200),
)  # fmt: skip


@dataclass(frozen=True)
class DriTable:
    """One reference value by band: ``male`` and ``female`` give one amount per band."""

    nutrient: str
    kind: str
    unit: str
    male: tuple[float | None, ...]
    female: tuple[float | None, ...]
    source: str


def _same(*values: float | None) -> tuple[float | None, ...]:
    return values


TABLES: tuple[DriTable, ...] = (
    DriTable("protein", "rda", "g/d",
             (13, 19, 34, 52, 56, 56, 56, 56), (13, 19, 34, 46, 46, 46, 46, 46), "iom-2005"),
    DriTable("carbohydrate", "rda", "g/d", _same(*[130] * 8), _same(*[130] * 8), "iom-2005"),
    DriTable("fiber", "ai", "g/d",
             (19, 25, 31, 38, 38, 38, 30, 30), (19, 25, 26, 26, 25, 25, 21, 21), "iom-2005"),
    DriTable("sodium", "ai", "mg/d",
             (800, 1000, 1200, 1500, 1500, 1500, 1500, 1500),
             (800, 1000, 1200, 1500, 1500, 1500, 1500, 1500), "nasem-2019"),
    DriTable("sodium", "cdrr", "mg/d",
             (1200, 1500, 1800, 2300, 2300, 2300, 2300, 2300),
             (1200, 1500, 1800, 2300, 2300, 2300, 2300, 2300), "nasem-2019"),
    DriTable("potassium", "ai", "mg/d",
             (2000, 2300, 2500, 3000, 3400, 3400, 3400, 3400),
             (2000, 2300, 2300, 2300, 2600, 2600, 2600, 2600), "nasem-2019"),
    DriTable("calcium", "rda", "mg/d",
             (700, 1000, 1300, 1300, 1000, 1000, 1000, 1200),
             (700, 1000, 1300, 1300, 1000, 1000, 1200, 1200), "iom-2011"),
    DriTable("calcium", "ul", "mg/d",
             (2500, 2500, 3000, 3000, 2500, 2500, 2000, 2000),
             (2500, 2500, 3000, 3000, 2500, 2500, 2000, 2000), "iom-2011"),
    DriTable("iron", "rda", "mg/d", (7, 10, 8, 11, 8, 8, 8, 8), (7, 10, 8, 15, 18, 18, 8, 8),
             "iom-2001"),
    DriTable("iron", "ul", "mg/d", (40, 40, 40, 45, 45, 45, 45, 45),
             (40, 40, 40, 45, 45, 45, 45, 45), "iom-2001"),
    DriTable("vitamin_k", "ai", "ug/d", (30, 55, 60, 75, 120, 120, 120, 120),
             (30, 55, 60, 75, 90, 90, 90, 90), "iom-2001"),
    DriTable("vitamin_c", "rda", "mg/d", (15, 25, 45, 75, 90, 90, 90, 90),
             (15, 25, 45, 65, 75, 75, 75, 75), "iom-2000"),
    DriTable("vitamin_c", "ul", "mg/d", (400, 650, 1200, 1800, 2000, 2000, 2000, 2000),
             (400, 650, 1200, 1800, 2000, 2000, 2000, 2000), "iom-2000"),
    DriTable("vitamin_d", "rda", "ug/d", (15, 15, 15, 15, 15, 15, 15, 20),
             (15, 15, 15, 15, 15, 15, 15, 20), "iom-2011"),
    DriTable("vitamin_d", "ul", "ug/d", (63, 75, 100, 100, 100, 100, 100, 100),
             (63, 75, 100, 100, 100, 100, 100, 100), "iom-2011"),
)  # fmt: skip

# Acceptable Macronutrient Distribution Ranges, % of energy (IOM 2005): 1-3 y, 4-18 y, adults.
AMDR: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "protein": ((5, 20), (10, 30), (10, 35)),
    "carbohydrate": ((45, 65), (45, 65), (45, 65)),
    "fat": ((30, 40), (25, 35), (20, 35)),
}

SOURCES: dict[str, str] = {
    "nasem-2019": "National Academies of Sciences, Engineering, and Medicine. Dietary Reference "
    "Intakes for Sodium and Potassium. Washington, DC: The National Academies Press; 2019. "
    "doi:10.17226/25353",
    "iom-2011": "Institute of Medicine. Dietary Reference Intakes for Calcium and Vitamin D. "
    "Washington, DC: The National Academies Press; 2011. doi:10.17226/13050",
    "iom-2005": "Institute of Medicine. Dietary Reference Intakes for Energy, Carbohydrate, "
    "Fiber, Fat, Fatty Acids, Cholesterol, Protein, and Amino Acids. Washington, DC: The "
    "National Academies Press; 2005. doi:10.17226/10490",
    "iom-2001": "Institute of Medicine. Dietary Reference Intakes for Vitamin A, Vitamin K, "
    "Arsenic, Boron, Chromium, Copper, Iodine, Iron, Manganese, Molybdenum, Nickel, Silicon, "
    "Vanadium, and Zinc. Washington, DC: The National Academies Press; 2001. doi:10.17226/10026",
    "iom-2000": "Institute of Medicine. Dietary Reference Intakes for Vitamin C, Vitamin E, "
    "Selenium, and Carotenoids. Washington, DC: The National Academies Press; 2000. "
    "doi:10.17226/9810",
    "dga-2020": "U.S. Department of Agriculture and U.S. Department of Health and Human "
    "Services. Dietary Guidelines for Americans, 2020-2025. 9th ed. December 2020",
    "aha-2017": "Whelton PK, Carey RM, et al. 2017 ACC/AHA guideline for the prevention, "
    "detection, evaluation, and management of high blood pressure in adults. Hypertension "
    "2018;71:e13-e115 (recommendations on sodium below 1500 mg/d, potassium 3500-5000 mg/d, "
    "and the DASH diet)",
    "ada-2025": "American Diabetes Association Professional Practice Committee. 5. Facilitating "
    "Positive Health Behaviors and Well-being to Improve Health Outcomes: Standards of Care in "
    "Diabetes-2025. Diabetes Care 2025;48(Suppl 1):S86-S127",
    "ada-2019": "Evert AB, Dennison M, Gardner CD, et al. Nutrition therapy for adults with "
    "diabetes or prediabetes: a consensus report. Diabetes Care 2019;42:731-754",
    "kdoqi-2020": "Ikizler TA, Burrowes JD, Byham-Gray LD, et al. KDOQI Clinical Practice "
    "Guideline for Nutrition in CKD: 2020 Update. Am J Kidney Dis 2020;76(3 Suppl 1):S1-S107",
}


def band_index(age_years: float) -> int:
    """The index of the DRI age band holding ``age_years`` (ValueError under 1 year)."""
    for index, (low, high) in enumerate(BANDS):
        if low <= age_years < high:
            return index
    raise ValueError(f"no Dietary Reference Intakes here for age {age_years} (from 1 year)")


def amdr_index(age_years: float) -> int:
    """0 for 1-3 years, 1 for 4-18 years, 2 for adults."""
    return 0 if age_years < 4 else 1 if age_years < 19 else 2
