"""Realistic searches over Synthea patients, each checked against an independent scan.

The Synthea bundles in ``tests/fixtures/synthea/`` are loaded once (by PUT, see
``tests/synthea.py``); every query below is then answered by the server (all pages, following
``next`` links, under ``Prefer: handling=strict``) and by ``tests/search_scan.py`` over the same
resources, and the two are compared: match ids and include ids as sets, the order where
``_sort`` asks for one, and ``total`` where the Bundle carries it.

Query values are picked from the data (the busiest patient, the most frequent code, quiet
days between dates, quartiles of values), so the queries stay meaningful if the fixture
changes; every query is restricted to the loaded data (``_tag``, a loaded patient, ``_id`` or a
loaded identifier), and the data has a database and server of its own, because other tests in the
session write their own resources, Synthea's among them.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.search_scan import (
    Range,
    Resource,
    ScanResult,
    ScanStore,
    key_of,
    leaf_values,
    param_of,
)
from tests.servers import fresh_database, running_server
from tests.synthea import SYNTHEA_TAG, Loaded, load_synthea, synthea_resources

pytestmark = pytest.mark.integration

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
CVX = "http://hl7.org/fhir/sid/cvx"
SSN = "http://hl7.org/fhir/sid/us-ssn"
CLAIM_ID = "https://bluebutton.cms.gov/resources/variables/clm_id"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
HEADERS = {"Accept": "application/fhir+json", "Prefer": "handling=strict"}
TAG = ("_tag", SYNTHEA_TAG)


@dataclass(frozen=True)
class Run:
    """The loaded state a late value is computed from."""

    loaded: Loaded
    base: str


Value = str | Callable[[Run], str]  # a callable is evaluated once the data is loaded


@dataclass(frozen=True)
class Query:
    """One search: a name for the report, the type, the parameters (in order)."""

    name: str
    resource_type: str
    params: tuple[tuple[str, Value], ...]
    empty: bool = False  # deliberately expects no match

    def resolve(self, run: Run) -> list[tuple[str, str]]:
        """The parameters with late values filled in."""
        return [(k, v if isinstance(v, str) else v(run)) for k, v in self.params]


# --- picking values from the data ----------------------------------------------------------


class Facts:
    """Values for the queries, computed from the (rewritten) fixture resources."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.store = ScanStore(resources)
        self.observations = self.store.of_type("Observation")
        self.patients = sorted(self.store.of_type("Patient"), key=key_of)

    def values(self, resource: Resource, name: str) -> list[Any]:
        """The scan's values of a parameter in a resource."""
        return leaf_values(param_of(resource["resourceType"], name), resource)

    def of_patient(self, resource_type: str, patient: Resource) -> list[Resource]:
        """Resources of a type whose ``patient`` parameter names ``patient``."""
        key = key_of(patient)
        return [r for r in self.store.of_type(resource_type) if key in self.values(r, "patient")]

    def busiest(self, resource_type: str) -> Resource:
        """The patient with the most resources of a type."""
        return max(self.patients, key=lambda p: len(self.of_patient(resource_type, p)))

    def codes(self, resources: Sequence[Resource], name: str = "code") -> Counter[str]:
        """``system|code`` of a token parameter, counted over resources (once per resource)."""
        return Counter(
            code
            for r in resources
            for code in {f"{s}|{c}" for s, c, _ in self.values(r, name) if s and c}
        )

    def quantities(self, code: str) -> list[tuple[Decimal, str, str]]:
        """(value, system, unit code) of the Observations with ``code``."""
        found = []
        for obs in self.observations:
            if code in self.codes([obs]):
                found += [
                    (v, s or "", c or "") for v, s, c, _ in self.values(obs, "value-quantity")
                ]
        return found

    def components(self, code: str) -> list[Decimal]:
        """Values of the Observation components with a LOINC code."""
        return [
            Decimal(repr(part["valueQuantity"]["value"]))
            for obs in self.observations
            for part in obs.get("component", [])
            if any(c.get("code") == code for c in part["code"].get("coding", []))
        ]


def quiet_day(busy: Sequence[Range], around: datetime) -> str:
    """The day nearest ``around`` with no value within a day of it either side, so that the
    server's choice of time zone for a date without one cannot change the answer."""
    for offset in range(800):
        for sign in (1, -1):
            day = (around + sign * timedelta(days=offset)).date()
            low = datetime.combine(day, time(), UTC) - timedelta(days=1)
            high = low + timedelta(days=3)
            if all(r_high <= low or r_low >= high for r_low, r_high in busy):
                return day.isoformat()
    raise ValueError("no quiet day found")


def window(busy: Sequence[Range]) -> tuple[str, str]:
    """Two quiet days around the first and third quartile of the values."""
    starts = sorted(low for low, _ in busy)
    return quiet_day(busy, starts[len(starts) // 4]), quiet_day(busy, starts[3 * len(starts) // 4])


def ranges(facts: Facts, resources: Sequence[Resource], name: str) -> list[Range]:
    """Every date range of a parameter over resources."""
    return [r for res in resources for r in facts.values(res, name)]


def median_last_updated(resource_type: str) -> Callable[[Run], str]:
    """``ge`` + the median ``meta.lastUpdated`` the server gave the loaded resources of a type."""

    def late(run: Run) -> str:
        stamps = sorted(
            str(r["meta"]["lastUpdated"])
            for r in run.loaded.resources
            if r["resourceType"] == resource_type
        )
        return "ge" + stamps[len(stamps) // 2]

    return late


def text_prefix(facts: Facts, observations: Sequence[Resource]) -> str:
    """A code text where starts-with and contains agree (so ``:text`` is unambiguous)."""
    texts = [str(t) for obs in observations for _, _, ts in facts.values(obs, "code") for t in ts]
    for text, _ in Counter(texts).most_common():
        wanted = text.lower()
        if {t for t in texts if wanted in t.lower()} == {
            t for t in texts if t.lower().startswith(wanted)
        }:
            return wanted
    raise ValueError("no unambiguous text")


# --- the queries ---------------------------------------------------------------------------


def observation_queries(facts: Facts) -> list[Query]:
    """Observation searches: patient/code/date, values, composites, chains, sorting."""
    busy = facts.busiest("Observation")
    busy_obs = facts.of_patient("Observation", busy)
    busy_code = facts.codes(busy_obs).most_common(1)[0][0]
    coded = [o for o in busy_obs if busy_code in facts.codes([o])]
    first, last = window(ranges(facts, coded, "date"))
    valued = Counter(
        code for o in facts.observations if "valueQuantity" in o for code in facts.codes([o])
    )
    value_code = valued.most_common(1)[0][0]
    numbers = facts.quantities(value_code)
    q1, _, q3 = statistics.quantiles([v for v, _, _ in numbers], n=4)
    _, system, unit = numbers[0]
    middle = statistics.median_low([v for v, _, _ in numbers])
    second_code = valued.most_common(2)[1][0]
    second = facts.quantities(second_code)
    systolic, diastolic = facts.components(SYSTOLIC), facts.components(DIASTOLIC)
    above_diastolic = int(max(diastolic)) + 1
    assert any(v > above_diastolic for v in systolic), (
        "the empty composite query would prove little"
    )
    family = busy["name"][0]["family"]
    visited = [
        facts.store.by_key[e] for o in facts.observations for e in facts.values(o, "encounter")
    ]
    classes = Counter(c for e in visited for _, c, _ in facts.values(e, "class"))
    common_class = classes.most_common(1)[0][0]  # Synthea's Observations are all ambulatory
    visit_day = window(ranges(facts, visited, "date"))[1]
    provider = facts.store.resolve(visited[0]["serviceProvider"]["reference"])
    assert provider is not None
    pid = busy["id"]
    three = [facts.of_patient("Observation", p)[0]["id"] for p in facts.patients[:3]]
    unknown = str(uuid.uuid5(uuid.NAMESPACE_URL, "nutrivision:not-loaded"))
    tagged_code = ("code", busy_code)
    return [
        Query(
            "Observation?patient&code&date=ge..&date=le..",
            "Observation",
            (("patient", pid), ("code", busy_code), ("date", f"ge{first}"), ("date", f"le{last}")),
        ),
        Query(
            "Observation?code&value-quantity=gt..&value-quantity=lt.. (units)",
            "Observation",
            (
                ("code", value_code),
                ("value-quantity", f"gt{q1:.2f}|{system}|{unit}"),
                ("value-quantity", f"lt{q3:.2f}|{system}|{unit}"),
                TAG,
            ),
        ),
        Query(
            "Observation?value-quantity=N||unit (implicit precision)",
            "Observation",
            (("code", value_code), ("value-quantity", f"{round(middle)}||{unit}"), TAG),
        ),
        Query(
            "Observation?code:text",
            "Observation",
            (("patient", pid), ("code:text", text_prefix(facts, busy_obs))),
        ),
        Query(
            "Observation?value-quantity:missing=true",
            "Observation",
            (("patient", pid), ("value-quantity:missing", "true")),
        ),
        Query(
            "Observation?category:not=vital-signs",
            "Observation",
            (("patient", pid), ("category:not", f"{OBS_CATEGORY}|vital-signs")),
        ),
        Query(
            "Observation?component-code-value-quantity (systolic gt median)",
            "Observation",
            (
                (
                    "component-code-value-quantity",
                    f"{LOINC}|{SYSTOLIC}$gt{statistics.median(systolic):.1f}|{system}|mm[Hg]",
                ),
                TAG,
            ),
        ),
        Query(
            "Observation?component-code-value-quantity (diastolic above all: one component)",
            "Observation",
            (
                (
                    "component-code-value-quantity",
                    f"{LOINC}|{DIASTOLIC}$gt{above_diastolic}|{system}|mm[Hg]",
                ),
                TAG,
            ),
            empty=True,
        ),
        Query(
            "Observation?code-value-quantity",
            "Observation",
            (
                (
                    "code-value-quantity",
                    f"{second_code}$lt{statistics.median([v for v, _, _ in second]):.2f}"
                    f"|{second[0][1]}|{second[0][2]}",
                ),
                TAG,
            ),
        ),
        Query(
            "Observation?subject:Patient.name (chain)",
            "Observation",
            (("subject:Patient.name", family.upper()), tagged_code, TAG),
        ),
        Query(
            "Observation?encounter.class&encounter.date=ge.. (chains)",
            "Observation",
            (
                ("encounter.class", f"{ACT_CODE}|{common_class}"),
                ("encounter.date", f"ge{visit_day}"),
                TAG,
            ),
        ),
        Query(
            "Observation?encounter:Encounter.service-provider.name (two-level chain)",
            "Observation",
            (
                ("encounter:Encounter.service-provider.name", provider["name"].split()[0].lower()),
                TAG,
            ),
        ),
        Query(
            "Observation?patient&_sort=-date&_count=5 (paged, ties)",
            "Observation",
            (("patient", pid), ("_sort", "-date"), ("_count", "5")),
        ),
        Query(
            "Observation?code&_sort=date,_id&_count=4",
            "Observation",
            (("code", value_code), ("_sort", "date,_id"), ("_count", "4"), TAG),
        ),
        Query(
            "Observation?code&_summary=count",
            "Observation",
            (("code", busy_code), ("_summary", "count"), TAG),
        ),
        Query(
            "Observation?_lastUpdated=ge.. (median of this load)",
            "Observation",
            (("_lastUpdated", median_last_updated("Observation")), TAG),
        ),
        Query(
            "Observation?_id=a,b,c,unknown",
            "Observation",
            (("_id", ",".join([*three, unknown])),),
        ),
    ]


def clinical_queries(facts: Facts) -> list[Query]:
    """Condition, MedicationRequest, Encounter, Immunization, Procedure, DiagnosticReport."""
    conditions = facts.store.of_type("Condition")
    condition_code = facts.codes(conditions).most_common(1)[0][0]
    sick = facts.busiest("Condition")
    onsets = ranges(facts, facts.of_patient("Condition", sick), "onset-date")
    onset_day = quiet_day(onsets, sorted(low for low, _ in onsets)[len(onsets) // 2])
    prescribed = facts.busiest("MedicationRequest")
    statuses = Counter(
        s for m in facts.store.of_type("MedicationRequest") for _, s, _ in facts.values(m, "status")
    )
    encounters = facts.store.of_type("Encounter")
    enc_first, enc_last = window(ranges(facts, encounters, "date"))
    seen = facts.busiest("Encounter")
    seen_ranges = ranges(facts, facts.of_patient("Encounter", seen), "date")
    seen_day = quiet_day(seen_ranges, sorted(low for low, _ in seen_ranges)[len(seen_ranges) // 2])
    immunizations = facts.store.of_type("Immunization")
    vaccine = facts.codes(immunizations, "vaccine-code").most_common(1)[0][0]
    vaccinated = [i for i in immunizations if vaccine in facts.codes([i], "vaccine-code")]
    vaccine_day = window(ranges(facts, vaccinated, "date"))[1]
    procedure = facts.codes(facts.store.of_type("Procedure")).most_common(1)[0][0]
    reports = facts.store.of_type("DiagnosticReport")
    result_codes = Counter(
        code
        for report in reports
        for code in {
            c
            for ref in facts.values(report, "result")
            for c in facts.codes([facts.store.by_key[ref]])
        }
    )
    result_code = min(result_codes, key=lambda c: (result_codes[c], c))
    return [
        Query("Condition?code", "Condition", (("code", condition_code), TAG)),
        Query(
            "Condition?clinical-status=system|resolved",
            "Condition",
            (("clinical-status", f"{CLINICAL}|resolved"), TAG),
        ),
        Query(
            "Condition?clinical-status:not=resolved",
            "Condition",
            (("clinical-status:not", "resolved"), TAG),
        ),
        Query(
            "Condition?patient&onset-date=ge..",
            "Condition",
            (("patient", f"Patient/{sick['id']}"), ("onset-date", f"ge{onset_day}")),
        ),
        Query(
            "Condition?abatement-date:missing=true",
            "Condition",
            (("abatement-date:missing", "true"), TAG),
        ),
        Query(
            "MedicationRequest?patient&_include=:patient&_include=:requester",
            "MedicationRequest",
            (
                ("patient", prescribed["id"]),
                ("_include", "MedicationRequest:patient"),
                ("_include", "MedicationRequest:requester"),
            ),
        ),
        Query(
            "MedicationRequest?status&_include=:medication (nothing to include)",
            "MedicationRequest",
            (
                ("status", statuses.most_common(1)[0][0]),
                ("_include", "MedicationRequest:medication"),
                TAG,
            ),
        ),
        Query(
            "Encounter?date=ge..&date=lt..",
            "Encounter",
            (("date", f"ge{enc_first}"), ("date", f"lt{enc_last}"), TAG),
        ),
        Query(
            "Encounter?patient&date=ge..&_revinclude=Observation:encounter",
            "Encounter",
            (
                ("patient", seen["id"]),
                ("date", f"ge{seen_day}"),
                ("_revinclude", "Observation:encounter"),
            ),
        ),
        Query(
            "Encounter?patient&_total=accurate&_count=2",
            "Encounter",
            (("patient", seen["id"]), ("_total", "accurate"), ("_count", "2")),
        ),
        Query(
            "Immunization?vaccine-code&date=ge..",
            "Immunization",
            (("vaccine-code", vaccine), ("date", f"ge{vaccine_day}"), TAG),
        ),
        Query("Procedure?code", "Procedure", (("code", procedure), TAG)),
        Query(
            "DiagnosticReport?result.code (chain through result)",
            "DiagnosticReport",
            (("result.code", result_code), TAG),
        ),
    ]


def patient_queries(facts: Facts) -> list[Query]:
    """Patient searches: names, dates, tokens, identifiers, ``_has``."""
    families = Counter(n["family"] for p in facts.patients for n in p["name"][:1])
    family = families.most_common(1)[0][0]
    given = next(g for p in facts.patients for n in p["name"] for g in n["given"] if len(g) >= 5)
    years = Counter(p["birthDate"][:4] for p in facts.patients)
    common_year = years.most_common(1)[0][0]
    genders = Counter(p["gender"] for p in facts.patients)
    gender = min(genders, key=lambda g: (genders[g], g))
    city = facts.patients[0]["address"][0]["city"]
    ssn = next(i["value"] for i in facts.patients[1]["identifier"] if i.get("system") == SSN)
    per_patient = {
        key_of(p): facts.codes(facts.of_patient("Observation", p)) for p in facts.patients
    }
    partial = [
        code
        for code in sorted(set().union(*per_patient.values()))
        if 0 < sum(code in codes for codes in per_patient.values()) < len(per_patient)
    ]
    condition_codes = facts.codes(facts.store.of_type("Condition"))
    shared_condition = condition_codes.most_common(1)[0][0]
    folded = family[:1].upper() + family[1:3].upper().replace("E", "Ë").replace("O", "Ö")
    return [
        Query("Patient?name", "Patient", (("name", family), TAG)),
        Query(
            "Patient?family (case- and accent-folded prefix)", "Patient", (("family", folded), TAG)
        ),
        Query("Patient?family:exact", "Patient", (("family:exact", family), TAG)),
        Query(
            "Patient?family:exact (other case: no match)",
            "Patient",
            (("family:exact", family.lower()), TAG),
            empty=True,
        ),
        # :contains and date ranges on PHI are refused (blind indexes): tests/integration/phi
        Query("Patient?given (prefix)", "Patient", (("given", given[:4].lower()), TAG)),
        Query("Patient?birthdate=YYYY", "Patient", (("birthdate", common_year), TAG)),
        Query("Patient?gender", "Patient", (("gender", gender), TAG)),
        Query("Patient?address-city", "Patient", (("address-city", city[:4].lower()), TAG)),
        Query("Patient?identifier=ssn|value", "Patient", (("identifier", f"{SSN}|{ssn}"),)),
        Query(
            "Patient?_has:Observation:patient:code",
            "Patient",
            (("_has:Observation:patient:code", partial[0]), TAG),
        ),
        Query(
            "Patient?_has:Condition:subject:code",
            "Patient",
            (("_has:Condition:subject:code", shared_condition), TAG),
        ),
        Query(
            "Patient?_profile=us-core-patient (none has a profile)",
            "Patient",
            (("_profile", US_CORE_PATIENT), TAG),
            empty=True,
        ),
    ]


def financial_queries(facts: Facts) -> list[Query]:
    """Claim and ExplanationOfBenefit: reference forms and identifiers."""
    patient = facts.busiest("Claim")
    eob = facts.store.of_type("ExplanationOfBenefit")[0]
    claim_id = next(i["value"] for i in eob["identifier"] if i.get("system") == CLAIM_ID)

    def absolute(run: Run) -> str:
        return f"{run.base.rstrip('/')}/Patient/{patient['id']}"

    return [
        Query("Claim?patient=<bare id>", "Claim", (("patient", patient["id"]),)),
        Query(
            "ExplanationOfBenefit?patient=<absolute URL>",
            "ExplanationOfBenefit",
            (("patient", absolute),),
        ),
        Query(
            "ExplanationOfBenefit?identifier=clm_id|value",
            "ExplanationOfBenefit",
            (("identifier", f"{CLAIM_ID}|{claim_id}"),),
        ),
    ]


def build_queries(resources: Sequence[Resource]) -> list[Query]:
    """Every query, values picked from ``resources``."""
    facts = Facts(resources)
    return [
        *observation_queries(facts),
        *clinical_queries(facts),
        *patient_queries(facts),
        *financial_queries(facts),
    ]


QUERIES = build_queries(synthea_resources())


# --- running them --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(services: ServiceUrls, settings: Settings) -> Iterator[Run]:
    """The Synthea bundles, loaded once for this module into a database of its own: other
    tests load the same bundles with server-assigned ids and the same tag (a transaction
    test), which the scan would not know of."""
    with fresh_database(services.database_url) as database_url:
        urls = ServiceUrls(database_url, services.redis_url)
        with (
            running_server(urls, settings) as base,
            httpx.Client(base_url=base, timeout=60) as http,
        ):
            yield Run(load_synthea(http), base)


@pytest.fixture(scope="module")
def scan(run: Run) -> ScanStore:
    """The independent scan over what was loaded."""
    return ScanStore(run.loaded.resources, base=run.base)


@dataclass
class Answer:
    """What the server answered over all pages."""

    matches: list[str]
    includes: set[str]
    totals: list[int]
    pages: list[dict[str, Any]]
    warnings: list[str]


def fetch_all(
    client: httpx.Client, resource_type: str, params: Sequence[tuple[str, str]]
) -> Answer:
    """GET the search and every ``next`` page."""
    answer = Answer([], set(), [], [], [])
    response = client.get(f"/{resource_type}", params=httpx.QueryParams(list(params)))
    while True:
        assert response.status_code == 200, (
            f"GET {response.request.url} -> {response.status_code}: {diagnostics(response)}"
        )
        bundle: dict[str, Any] = response.json()
        assert bundle["resourceType"] == "Bundle", bundle
        assert bundle["type"] == "searchset", bundle
        answer.pages.append(bundle)
        if "total" in bundle:
            answer.totals.append(bundle["total"])
        for entry in bundle.get("entry", []):
            mode = entry.get("search", {}).get("mode")
            resource = entry["resource"]
            if mode == "match":
                answer.matches.append(key_of(resource))
            elif mode == "include":
                answer.includes.add(key_of(resource))
            elif resource["resourceType"] == "OperationOutcome":
                answer.warnings += [i.get("diagnostics", "") for i in resource.get("issue", [])]
            else:
                raise AssertionError(f"entry without a search mode: {entry}")
        next_url = next((k["url"] for k in bundle.get("link", []) if k["relation"] == "next"), None)
        if next_url is None:
            return answer
        assert len(answer.pages) < 200, "paging does not end"
        response = client.get(next_url)


def diagnostics(response: httpx.Response) -> str:
    """The issues of an OperationOutcome answer, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    issues = body.get("issue", []) if isinstance(body, dict) else []
    texts = [f"{i.get('severity')}: {i.get('diagnostics', '')}" for i in issues]
    return "; ".join(texts) if texts else response.text[:300]


def difference(label: str, server: set[str], expected: set[str]) -> str:
    """A short report of two differing id sets."""
    missing, extra = sorted(expected - server), sorted(server - expected)
    return (
        f"{label}: server {len(server)}, scan {len(expected)}; "
        f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}; "
        f"extra {extra[:5]}{'...' if len(extra) > 5 else ''}"
    )


def check_order(answer: Answer, expected: ScanResult) -> None:
    """The server's order respects the scan's sort groups (ties may come in any order)."""
    ranks = [expected.ranks[key] for key in answer.matches]
    assert ranks == sorted(ranks), f"order differs from _sort: ranks {ranks}"


def check_pages(answer: Answer, params: list[tuple[str, str]]) -> None:
    """No page is larger than ``_count``, and no match is repeated across pages."""
    counts = [int(v) for k, v in params if k == "_count"]
    for page in answer.pages:
        matches = [e for e in page.get("entry", []) if e.get("search", {}).get("mode") == "match"]
        assert not counts or len(matches) <= counts[0], f"page of {len(matches)} > _count"
    assert len(answer.matches) == len(set(answer.matches)), "a match appears twice"


def test_there_are_enough_realistic_queries() -> None:
    assert len(QUERIES) >= 30
    assert len({q.name for q in QUERIES}) == len(QUERIES)
    assert sum(q.empty for q in QUERIES) <= 4
    for query in QUERIES:
        keys = {k.split(":")[0] for k, _ in query.params}
        assert keys & {"_tag", "patient", "_id", "identifier"}, f"{query.name} is unrestricted"


def test_loaded_resources_read_back(run: Run) -> None:
    loaded = run.loaded.resources
    assert len(loaded) > 250
    assert run.loaded.requests >= len(loaded)
    with httpx.Client(base_url=run.base, timeout=60, headers=HEADERS) as client:
        for resource in loaded:
            response = client.get(f"/{key_of(resource)}")
            assert response.status_code == 200, response.text
            stored = response.json()
            assert "urn:uuid:" not in response.text, key_of(resource)
            assert stored["meta"]["lastUpdated"] == resource["meta"]["lastUpdated"]
            if "subject" in resource:
                assert stored["subject"] == resource["subject"]


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_search_matches_the_scan(query: Query, run: Run, scan: ScanStore) -> None:
    params = query.resolve(run)
    expected = scan.search(query.resource_type, params)
    if query.empty:
        assert expected.total == 0, "a deliberately empty query found something in the scan"
    else:
        assert expected.total > 0, "the scan finds nothing: the query proves little"
    with httpx.Client(base_url=run.base, timeout=60, headers=HEADERS) as client:
        answer = fetch_all(client, query.resource_type, params)
    assert not answer.warnings, f"server warnings: {answer.warnings}"
    if expected.count_only:
        assert answer.totals[:1] == [expected.total], f"total {answer.totals} != {expected.total}"
        assert answer.matches == [], "_summary=count returned entries"
        return
    assert all(k.startswith(f"{query.resource_type}/") for k in answer.matches)
    assert set(answer.matches) == set(expected.matches), difference(
        "matches", set(answer.matches), set(expected.matches)
    )
    assert answer.includes == set(expected.includes), difference(
        "includes", answer.includes, set(expected.includes)
    )
    check_pages(answer, params)
    if any(k == "_sort" for k, _ in params):
        check_order(answer, expected)
    if ("_total", "accurate") in params:
        assert answer.totals, "_total=accurate but no total"
    assert all(t == expected.total for t in answer.totals), f"total {answer.totals}"
