"""``Patient/[id]/$clinical-report`` over HTTP: the FHIR document's figures against an
independent computation, the PDF's text and pages, the HL7 v2 lab values, authorization."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hl7apy.parser import parse_message  # type: ignore[import-untyped]
from PIL import Image
from pypdf import PdfReader

from operations import clinical_report
from resources.model import validation_issues
from tests.auth_fixtures import TokenMinter
from tests.integration.report.world import World, build_world, store

pytestmark = pytest.mark.integration
Resource = dict[str, Any]


@pytest.fixture(scope="module")
def world(base_url: str) -> World:
    """The enriched Synthea patient, stored once for the module."""
    built, resources = build_world()
    with httpx.Client(base_url=base_url, timeout=120) as client:
        store(client, resources)
    return built


def _report(client: httpx.Client, world: World, **params: str) -> httpx.Response:
    query = {"start": world.start.isoformat(), "end": world.end.isoformat(), **params}
    return client.get(f"/Patient/{world.patient_id}/$clinical-report", params=query)


@pytest.fixture(scope="module")
def bundle(base_url: str, world: World) -> Resource:
    """The document Bundle of the period."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        response = _report(client, world, format="fhir")
    assert response.status_code == 200, response.text[:2000]
    found: Resource = response.json()
    return found


def _nutrient_obs(bundle: Resource, key: str) -> Resource:
    return next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"].get("coding", [{}])[0].get("code") == key
    )


def test_daily_totals_and_means_match_an_independent_computation(
    bundle: Resource, world: World
) -> None:
    for key in ("energy", "protein", "sodium", "potassium", "fiber"):
        obs = _nutrient_obs(bundle, key)
        per_day = {c["code"]["text"]: c["valueQuantity"]["value"] for c in obs["component"]}
        expected = {d: t[key] for d, t in world.daily.items()}
        assert per_day.keys() == expected.keys()
        for day, value in expected.items():
            assert per_day[day] == pytest.approx(value, abs=0.01), (key, day)
        mean = sum(expected.values()) / len(expected)
        assert obs["valueQuantity"]["value"] == pytest.approx(mean, abs=0.051)


def test_targets_name_their_source_and_condition(bundle: Resource) -> None:
    sodium = _nutrient_obs(bundle, "sodium")
    texts = [r["text"] for r in sodium["referenceRange"]]
    assert any("hypertension" in t and "1500" not in t for t in texts)
    highs = sorted(r["high"]["value"] for r in sodium["referenceRange"] if "high" in r)
    # ACC/AHA for hypertension; the stricter limit replaces the CDRR and ADA's 2,300 mg/d.
    assert highs == [1500]
    assert any("ACC/AHA" in t for t in texts)
    assert all("source:" in t for t in texts)
    fiber = [r["text"] for r in _nutrient_obs(bundle, "fiber")["referenceRange"]]
    assert any("type2_diabetes (E11.9)" in t and "Diabetes Care" in t for t in fiber)  # ADA
    protein = _nutrient_obs(bundle, "protein")
    assert protein["referenceRange"][0]["low"]["value"] == 56  # RDA, adult man


def _section(bundle: Resource, code: str) -> Resource:
    composition = bundle["entry"][0]["resource"]
    return next(s for s in composition["section"] if s["code"]["coding"][0]["code"] == code)


def test_document_is_valid_and_holds_every_cited_resource(bundle: Resource, world: World) -> None:
    assert bundle["type"] == "document"
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    r5 = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "NutritionIntake"]
    assert len(r5) == sum(1 for _ in world.daily) * 3
    assert validation_issues(bundle) == []  # the R5 entries with their own model
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for section in bundle["entry"][0]["resource"]["section"]:
        for entry in section.get("entry", []):
            ref = entry["reference"]
            assert ref in full_urls or any(u.endswith("/" + ref) for u in full_urls), ref
    codes = {s["code"]["coding"][0]["code"] for s in bundle["entry"][0]["resource"]["section"]}
    assert {"48765-2", "10160-0", "11450-4", "30954-2", "61144-2"} <= codes


def test_labs_alerts_and_allergies(bundle: Resource, world: World) -> None:
    labs = _section(bundle, "30954-2")
    by_ref = {"/".join(e["fullUrl"].split("/")[-2:]): e["resource"] for e in bundle["entry"]}
    hba1c = sorted(
        (r["effectiveDateTime"][:10], r["valueQuantity"]["value"])
        for r in (by_ref[e["reference"]] for e in labs["entry"])
        if r["code"]["coding"][0]["code"] == "4548-4"
        and r["effectiveDateTime"] >= world.start.isoformat()
    )
    assert hba1c == [(d, v) for d, v, _ in world.hba1c]
    assert f"HbA1c: {world.hba1c[-1][1]}" in labs["text"]["div"]
    alerts = _section(bundle, "69730-0")
    assert len(alerts["entry"]) == world.alerts_in_period
    assert alerts["text"]["div"].count("(acknowledged)") == world.acknowledged
    allergies = _section(bundle, "48765-2")
    assert "Peanut (high, severe): Anaphylaxis" in allergies["text"]["div"]
    problems = _section(bundle, "11450-4")["text"]["div"]
    assert "Essential (primary) hypertension I10" in problems
    assert "Type 2 diabetes mellitus without complications E11.9" in problems


@pytest.fixture(scope="module")
def pdf(base_url: str, world: World) -> bytes:
    """The PDF of the period, asked for with Accept: application/pdf."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        query = {"start": world.start.isoformat(), "end": world.end.isoformat()}
        response = client.get(
            f"/Patient/{world.patient_id}/$clinical-report",
            params={**query, "format": "pdf"},
            headers={"Accept": "application/pdf"},
        )
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def test_pdf_text_has_every_section_and_key_figure(pdf: bytes, world: World) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    for heading in (
        "Problems",
        "Allergies",
        "Medications",
        "Nutrition: mean daily intake",
        "Trends",
        "Laboratory results",
        "Alerts",
        "Data quality",
        "Recommendations",
        "Review and signature",
    ):
        assert heading in text, heading
    assert all("Müller-Ångström" in page for page in pages)  # identity on every page
    assert all(f"Page {n}" in page for n, page in enumerate(pages, 1))
    assert f"Period {world.start.isoformat()} to {world.end.isoformat()}" in text
    assert "Peanut" in text
    assert "Anaphylaxis" in text
    assert "Essential (primary) hypertension" in text
    sodium = sum(d["sodium"] for d in world.daily.values()) / len(world.daily)
    assert f"{round(sodium, 1):g} mg" in text
    assert f"{world.hba1c[-1][1]:g} %" in text
    fonts: Any = reader.pages[0]["/Resources"]
    font_names = {str(f.get_object()["/BaseFont"]) for f in fonts["/Font"].values()}
    assert any("DejaVuSans" in name for name in font_names)  # embedded TrueType, not Helvetica


def test_pdf_pages_render_and_none_is_blank(pdf: bytes, tmp_path: Path) -> None:
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed")
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    run = subprocess.run(
        [tool, "-r", "72", "-png", str(source), str(tmp_path / "page")],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert not run.stderr.strip(), run.stderr
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == len(PdfReader(io.BytesIO(pdf)).pages)
    for image in images:
        with Image.open(image) as picture:
            width, height = picture.size  # the body: running header and footer left out
            body = picture.convert("L").crop((0, height // 12, width, height - height // 12))
            dark_pixels = sum(body.histogram()[:128])
        assert dark_pixels > 1000, f"{image.name} has no body"


def test_non_latin_name_renders_as_text(base_url: str, world: World) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        created = client.post(
            "/Patient",
            json={
                "resourceType": "Patient",
                "gender": "female",
                "birthDate": "1970-05-01",
                "name": [{"given": ["Ελένη"], "family": "Иванова"}],
            },
        )
        assert created.status_code == 201, created.text
        response = client.get(
            f"/Patient/{created.json()['id']}/$clinical-report",
            params={"period": "7_days", "format": "pdf"},
            headers={"Accept": "application/pdf"},
        )
    assert response.status_code == 200, response.text
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ελένη Иванова" in text


def test_pdf_as_fhir_is_a_document_reference(client: httpx.Client, world: World) -> None:
    response = _report(client, world, format="pdf")
    assert response.status_code == 200, response.text[:500]
    reference = response.json()
    assert reference["resourceType"] == "DocumentReference"
    assert validation_issues(reference) == []
    data = base64.b64decode(reference["content"][0]["attachment"]["data"])
    assert data.startswith(b"%PDF")


def test_document_attaches_the_pdf_when_asked(client: httpx.Client, world: World) -> None:
    response = _report(client, world, format="fhir", attachPdf="true", include="labs")
    assert response.status_code == 200, response.text[:500]
    kinds = [e["resource"]["resourceType"] for e in response.json()["entry"]]
    assert "DocumentReference" in kinds
    assert "AllergyIntolerance" in kinds  # allergies are never left out


def test_hl7_v2_parses_back_with_the_lab_values(client: httpx.Client, world: World) -> None:
    response = _report(client, world, format="hl7")
    assert response.status_code == 200, response.text[:500]
    message = parse_message(response.text.replace("\n", "\r"), find_groups=False)
    assert message.msh.msh_9.to_er7() == "ORU^R01^ORU_R01"
    values = [
        (obx.obx_14.to_er7()[:8], float(obx.obx_5.to_er7()), obx.obx_6.to_er7().split("^")[0])
        for obx in message.obx
        if obx.obx_3.to_er7().startswith("4548-4")
        and obx.obx_14.to_er7()[:8] >= world.start.strftime("%Y%m%d")
    ]
    assert values == [(d.replace("-", ""), v, u) for d, v, u in world.hba1c]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"period": "2_days"}, 400),
        ({"format": "docx"}, 400),
        ({"include": "everything"}, 400),
        ({"start": "2026-13-01"}, 400),
        ({"start": "2026-02-01", "end": "2026-01-01"}, 400),
    ],
)
def test_bad_parameters_are_400(
    client: httpx.Client, world: World, params: dict[str, str], status: int
) -> None:
    response = client.get(f"/Patient/{world.patient_id}/$clinical-report", params=params)
    assert response.status_code == status, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_unknown_patient_is_404(client: httpx.Client) -> None:
    response = client.get("/Patient/does-not-exist/$clinical-report")
    assert response.status_code == 404


def test_patient_token_gets_only_its_own_report(
    auth_base_url: str, mint_token: TokenMinter, world: World
) -> None:
    with httpx.Client(base_url=auth_base_url, timeout=60) as client:
        headers = {
            "Authorization": "Bearer " + mint_token("patient/*.rs", patient=world.patient_id)
        }
        own = client.get(
            f"/Patient/{world.patient_id}/$clinical-report",
            params={"period": "7_days"},
            headers=headers,
        )
        assert own.status_code == 200, own.text[:500]
        assert own.json()["type"] == "document"
        other = mint_token("patient/*.rs", patient="someone-else")
        refused = client.get(
            f"/Patient/{world.patient_id}/$clinical-report",
            headers={"Authorization": f"Bearer {other}"},
        )
        assert refused.status_code in (403, 404), refused.text


def test_post_with_parameters_gives_the_same_sections(client: httpx.Client, world: World) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "format", "valueCode": "fhir"},
            {"name": "period", "valueCode": "7_days"},
            {"name": "include", "valueString": "labs,alerts"},
        ],
    }
    response = client.post(f"/Patient/{world.patient_id}/$clinical-report", json=body)
    assert response.status_code == 200, response.text[:500]
    sections = response.json()["entry"][0]["resource"]["section"]
    codes = {s["code"]["coding"][0]["code"] for s in sections}
    assert {"30954-2", "69730-0", "48765-2"} <= codes


def test_definition_is_valid_and_in_the_capability_statement(client: httpx.Client) -> None:
    assert validation_issues(clinical_report.DEFINITION) == []
    statement = client.get("/metadata").json()
    operations = [o["name"] for r in statement["rest"] for o in r.get("operation", [])] + [
        o["name"]
        for r in statement["rest"]
        for t in r.get("resource", [])
        for o in t.get("operation", [])
    ]
    assert "clinical-report" in operations


def test_respond_async_gives_a_status_url_that_serves_the_report(
    client: httpx.Client, world: World
) -> None:
    response = client.get(
        f"/Patient/{world.patient_id}/$clinical-report",
        params={"period": "7_days", "format": "pdf"},
        headers={"Prefer": "respond-async", "Accept": "application/pdf"},
    )
    assert response.status_code == 202, response.text[:500]
    status_url = response.headers["Content-Location"]
    assert "/_report-status/" in status_url
    other = client.get(status_url, headers={"Authorization": "Bearer someone-else"})
    assert other.status_code == 404
    deadline = time.monotonic() + 60
    done = client.get(status_url)
    while done.status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.2)
        done = client.get(status_url)
    assert done.status_code == 200, done.text[:500]
    assert done.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(done.content)).pages)
    assert "Müller-Ångström" in text


def test_unknown_report_job_is_404(client: httpx.Client) -> None:
    assert client.get("/_report-status/no-such-job").status_code == 404
