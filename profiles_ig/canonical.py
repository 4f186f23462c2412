"""The one canonical base of the Nutri-Vision implementation guide.

Every conformance resource of the guide (profiles, extensions, value sets, code systems, search
parameters, the guide itself) has the URL ``{BASE}/{resourceType}/{id}``. It is the base the
server's error-code system already uses, so one host names everything we define.
"""

from __future__ import annotations

BASE = "https://nutrivision.example.org/fhir"
HL7_SD = "http://hl7.org/fhir/StructureDefinition/"
IG_ID = "nutrivision"
IG_URL = f"{BASE}/ImplementationGuide/{IG_ID}"


def canonical(resource_type: str, id_: str) -> str:
    """The canonical URL of one of our conformance resources."""
    return f"{BASE}/{resource_type}/{id_}"


def profile_url(id_: str) -> str:
    """The canonical URL of one of our StructureDefinitions."""
    return canonical("StructureDefinition", id_)
