"""Full-text search (https://hl7.org/fhir/R4/search.html#text): ``_text`` on the narrative,
``_content`` on every string value; all words of a value (AND), comma = OR, repeat = AND.

Expected results come from ``tests.fulltext_scan``, a plain scan of the JSON the server
returned, on the R4 examples and one Synthea patient's resources (new ids, one batch tag).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from resources import error_codes
from resources.search.index_rows import PLAIN_WORDS
from tests.examples import load, r4_example_paths, without_id
from tests.fulltext_scan import content_words, matches, narrative_words
from tests.integration.fhir_http import assert_outcome
from tests.integration.phi.phi_data import libpq
from tests.integration.test_search_engine_support import TAG_SYSTEM, Batch
from tests.synthea import bundle_paths, bundle_resources, read_bundle

pytestmark = pytest.mark.integration

Resource = dict[str, Any]
SCANS = {"_text": narrative_words, "_content": content_words}


def _renamed(resources: list[Resource]) -> list[Resource]:
    """The resources with fresh ids, references rewritten (other tests load the same ids)."""
    text = json.dumps(resources)
    for resource in resources:
        text = text.replace(resource["id"], str(uuid.uuid4()))
    renamed: list[Resource] = json.loads(text)
    return renamed


def _put(batch: Batch, resource: Resource) -> Resource:
    """PUT a copy under this batch's tag alone, without identifiers: the searches over the
    Synthea data elsewhere in the session select it by its tag and identifiers."""
    meta = {**resource.get("meta", {}), "tag": [{"system": TAG_SYSTEM, "code": batch.code}]}
    url = f"/{resource['resourceType']}/{resource['id']}"
    copy = {k: v for k, v in resource.items() if k != "identifier"}
    response = batch.client.put(url, json={**copy, "meta": meta})
    assert response.status_code in (200, 201), response.text
    stored: Resource = response.json()
    batch.created.append(stored)
    return stored


@pytest.fixture(scope="module")
def corpus(base_url: str) -> Iterator[Batch]:
    """The R4 examples and one Synthea patient with its resources, under one tag."""
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        batch = Batch(client)
        for path in r4_example_paths():
            batch.create(without_id(load(path)))
        synthea = bundle_resources(read_bundle(bundle_paths()[0]))
        for resource in _renamed(synthea)[:40]:
            _put(batch, resource)
        yield batch


def _expected(batch: Batch, code: str, values: list[list[str]], types: list[str]) -> list[str]:
    """Keys of the batch's resources matching every repetition (an OR of values each)."""
    scan = SCANS[code]
    found = []
    for resource in batch.created:
        if resource["resourceType"] not in types:
            continue
        have = scan(resource)
        if all(any(matches(have, v) for v in ors) for ors in values):
            found.append(f"{resource['resourceType']}/{resource['id']}")
    return sorted(found)


def _found(batch: Batch, path: str, params: list[tuple[str, str]]) -> list[str]:
    bundle = batch.bundle(path, [*params, ("_count", "200")])
    assert "next" not in {link["relation"] for link in bundle.get("link", [])}
    keys = (e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match")
    return sorted(f"{r['resourceType']}/{r['id']}" for r in keys)


def _words(batch: Batch, code: str, resource_type: str) -> list[str]:
    """Some alphabetic words of the type's resources (so never a server timestamp)."""
    scan = SCANS[code]
    seen: dict[str, None] = {}
    for resource in batch.of_type(resource_type):
        for word in sorted(scan(resource)):
            if word.isalpha() and len(word) >= 3:
                seen[word] = None
    words = list(seen)
    return words[:: max(1, len(words) // 12)][:12]


@pytest.mark.parametrize("code", ["_text", "_content"])
@pytest.mark.parametrize("resource_type", ["Patient", "Observation", "Condition", "Encounter"])
def test_single_words_match_the_scan(corpus: Batch, code: str, resource_type: str) -> None:
    words = _words(corpus, code, resource_type)
    if code == "_text" and resource_type in ("Observation", "Encounter", "Condition"):
        words += ["zzznotaword"]
    assert words
    for word in words:
        expected = _expected(corpus, code, [[word]], [resource_type])
        assert _found(corpus, resource_type, [(code, word)]) == expected, word
        assert expected or word == "zzznotaword"


def test_all_words_any_value_every_repetition(corpus: Batch) -> None:
    patient_words = _words(corpus, "_content", "Patient")
    observation_words = _words(corpus, "_content", "Observation")
    both = f"{patient_words[0]} {patient_words[-1]}"
    cases: list[list[list[str]]] = [
        [[both]],
        [[f"{patient_words[0]} zzznotaword"]],
        [[patient_words[1], observation_words[2]]],
        [[patient_words[0]], [patient_words[2], "zzznotaword"]],
        [[observation_words[0]], [observation_words[-1]]],
    ]
    for case in cases:
        params = [("_content", ",".join(ors)) for ors in case]
        for types in (["Patient"], ["Observation"]):
            expected = _expected(corpus, "_content", case, types)
            assert _found(corpus, types[0], params) == expected, case


def test_case_accents_and_punctuation_are_ignored(corpus: Batch) -> None:
    created = corpus.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "Crème brûlée intake, per-day"},
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ate <b>Crème</b>'
                "&amp;<i>brûlée</i> &lt;twice&gt;</p></div>",
            },
        }
    )
    key = f"Observation/{created['id']}"
    assert key in _found(corpus, "Observation", [("_content", "CREME BRULEE per day")])
    assert key in _found(corpus, "Observation", [("_text", "creme twice")])
    assert key not in _found(corpus, "Observation", [("_text", "intake")])
    assert key not in _found(corpus, "Observation", [("_text", "amp")])


def test_system_compartment_and_chain(corpus: Batch) -> None:
    subjects = {o.get("subject", {}).get("reference") for o in corpus.of_type("Observation")}
    patient = next(p for p in corpus.of_type("Patient") if f"Patient/{p['id']}" in subjects)
    word = sorted(w for w in narrative_words(patient) if w.isalpha() and len(w) > 3)[0]
    system = _found(corpus, "", [("_type", "Patient,Observation"), ("_text", word)])
    assert system == _expected(corpus, "_text", [[word]], ["Patient", "Observation"])
    every = _found(corpus, "", [("_content", word)])
    all_types = sorted({r["resourceType"] for r in corpus.created})
    assert every == _expected(corpus, "_content", [[word]], all_types)
    code_word = "loinc"
    owned = [
        f"Observation/{o['id']}"
        for o in corpus.of_type("Observation")
        if o.get("subject", {}).get("reference") == f"Patient/{patient['id']}"
        and code_word in content_words(o)
    ]
    assert owned
    path = f"Patient/{patient['id']}/Observation"
    assert _found(corpus, path, [("_content", code_word)]) == sorted(owned)
    chained = _found(corpus, "Observation", [("subject:Patient._text", word)])
    assert chained == sorted(
        f"Observation/{o['id']}"
        for o in corpus.of_type("Observation")
        if o.get("subject", {}).get("reference") == f"Patient/{patient['id']}"
    )
    assert _found(corpus, "Observation", [("subject:Patient._text", "zzznotaword")]) == []
    has = _found(corpus, "Patient", [("_has:Observation:subject:_content", code_word)])
    assert has == [f"Patient/{patient['id']}"]
    form = f"_content={code_word}&subject=Patient/{patient['id']}&_tag={corpus.tag}&_count=200"
    posted = corpus.client.post(
        "/Observation/_search",
        content=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert posted.status_code == 200, posted.text
    assert sorted(f"Observation/{e['resource']['id']}" for e in posted.json()["entry"]) == sorted(
        owned
    )


def test_missing(corpus: Batch) -> None:
    for code, scan in SCANS.items():
        for flag in ("true", "false"):
            expected = sorted(
                r["id"] for r in corpus.of_type("Observation") if bool(scan(r)) == (flag == "false")
            )
            found = corpus.ids("Observation", [(f"{code}:missing", flag), ("_count", "200")])
            assert sorted(found) == expected, (code, flag)


@pytest.mark.parametrize(
    ("name", "value", "nv_code"),
    [
        ("_text:exact", "fish", error_codes.FULLTEXT_MODIFIER),
        ("_content:contains", "fish", error_codes.FULLTEXT_MODIFIER),
        ("_content:not", "fish", error_codes.FULLTEXT_MODIFIER),
        ("_text", "--- !", error_codes.FULLTEXT_NO_WORDS),
        ("_content", " ".join(f"w{n}" for n in range(40)), error_codes.FULLTEXT_TOO_MANY_WORDS),
        ("_text:missing", "maybe", error_codes.BAD_PARAMETER),
    ],
)
def test_bad_requests_are_400(client: httpx.Client, name: str, value: str, nv_code: str) -> None:
    assert_outcome(client.get("/Observation", params={name: value}), 400, nv_code)


def test_sort_on_full_text_is_refused(client: httpx.Client) -> None:
    response = client.get("/Observation", params={"_sort": "_content"})
    assert_outcome(response, 400, error_codes.BAD_PARAMETER)


def test_update_replaces_the_words(client: httpx.Client) -> None:
    batch = Batch(client)
    first = f"quorvanthel{uuid.uuid4().hex[:6]}"
    later = f"mistrelwyn{uuid.uuid4().hex[:6]}"
    div = '<div xmlns="http://www.w3.org/1999/xhtml">Note: {}</div>'
    created = batch.create(
        {
            "resourceType": "Basic",
            "code": {"text": "note"},
            "text": {"status": "generated", "div": div.format(first)},
        }
    )
    assert batch.ids("Basic", [("_text", first)]) == [created["id"]]
    updated = {**created, "text": {"status": "generated", "div": div.format(later)}}
    response = client.put(f"/Basic/{created['id']}", json=updated)
    assert response.status_code == 200, response.text
    for code in ("_text", "_content"):
        assert batch.ids("Basic", [(code, later)]) == [created["id"]]
        assert batch.ids("Basic", [(code, first)]) == []
    assert client.delete(f"/Basic/{created['id']}").status_code in (200, 204)
    assert batch.ids("Basic", [("_content", later)]) == []


def test_index_holds_no_plain_word(corpus: Batch, services: ServiceUrls) -> None:
    """Rows hold keyed digests: no word as text, and not the unkeyed digest of any word."""
    narrated = [r for r in corpus.created if narrative_words(r)]
    ids = [r["id"] for r in narrated]
    with psycopg.connect(libpq(services.database_url)) as conn:
        rows = conn.execute(
            "SELECT resource_type, resource_id, param, words::text FROM search_text"
            " WHERE resource_id = ANY(%s)",
            (ids,),
        ).fetchall()
    assert {(t, i) for t, i, p, _ in rows if p == "_text"} == {
        (r["resourceType"], r["id"]) for r in narrated
    }
    dump = "\n".join(row[3] for row in rows)
    assert re.fullmatch(r"[{}\-0-9,\n]*", dump)
    stored = {int(d) for row in rows for d in row[3].strip("{}").split(",")}
    for resource in narrated:
        words = sorted(narrative_words(resource))
        assert len({d for _, i, p, d in rows if i == resource["id"] and p == "_text"}) == 1
        assert not stored & set(PLAIN_WORDS.word_digests("_text", words))
        assert not stored & set(PLAIN_WORDS.word_digests("_content", words))


def test_reindex_rebuilds_the_rows(client: httpx.Client, services: ServiceUrls) -> None:
    """Rows lost (or from before this index existed) come back with a type's ``$reindex``."""
    batch = Batch(client)
    word = f"brindlequay{uuid.uuid4().hex[:6]}"
    div = f'<div xmlns="http://www.w3.org/1999/xhtml">{word}</div>'
    created = batch.create(
        {
            "resourceType": "Basic",
            "code": {"text": "n"},
            "text": {"status": "generated", "div": div},
        }
    )
    with psycopg.connect(libpq(services.database_url)) as conn:
        conn.execute("DELETE FROM search_text WHERE resource_id = %s", (created["id"],))
    assert batch.ids("Basic", [("_text", word)]) == []
    response = client.post("/Basic/$reindex")
    assert response.status_code == 202, response.text
    status_url = response.headers["Content-Location"]
    deadline = time.monotonic() + 60
    while (done := client.get(status_url)).status_code == 202:
        assert time.monotonic() < deadline, "reindex still running"
        time.sleep(0.1)
    assert done.status_code == 200, done.text
    assert batch.ids("Basic", [("_text", word)]) == [created["id"]]
    assert batch.ids("Basic", [("_content", f"{word} n")]) == [created["id"]]
