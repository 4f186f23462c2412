"""Which requested scopes a client may be granted, from the scopes registered for it.

This only narrows a request to what the client was registered for (an authorization server
duty, RFC 6749 section 3.3); what a granted scope allows on each request is the access
policy's job.
"""

from __future__ import annotations

import re

from smart_auth.oauth_errors import invalid_scope

_RESOURCE_SCOPE = re.compile(
    r"^(?P<ctx>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<perm>[a-z*]+)(?P<q>\?.*)?$"
)
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_V2 = re.compile(r"^c?r?u?d?s?$")

LAUNCH_SCOPES = ("launch", "launch/patient", "launch/encounter")
IDENTITY_SCOPES = ("openid", "fhirUser", "profile")
REFRESH_SCOPES = ("offline_access", "online_access")


def _permissions(perm: str) -> set[str] | None:
    if perm in _V1:
        return set(_V1[perm])
    if perm and _V2.match(perm):
        return set(perm)
    return None


def covers(allowed: str, requested: str) -> bool:
    """Whether the registered scope ``allowed`` includes the requested scope."""
    if allowed == requested:
        return True
    have, want = _RESOURCE_SCOPE.match(allowed), _RESOURCE_SCOPE.match(requested)
    if have is None or want is None or have["ctx"] != want["ctx"]:
        return False
    if have["type"] not in ("*", want["type"]) or (have["q"] and have["q"] != want["q"]):
        return False
    have_perms, want_perms = _permissions(have["perm"]), _permissions(want["perm"])
    return have_perms is not None and want_perms is not None and want_perms <= have_perms


def grantable(requested: list[str], registered: list[str]) -> tuple[str, ...]:
    """The requested scopes the client may have (order kept); ``invalid_scope`` if none."""
    granted = tuple(s for s in requested if any(covers(a, s) for a in registered))
    if not granted:
        raise invalid_scope("none of the requested scopes is allowed for this client")
    return granted


def is_resource_scope(scope: str) -> bool:
    """Whether a scope names FHIR resources (``patient/Observation.rs``)."""
    return _RESOURCE_SCOPE.match(scope) is not None


def context_of(scope: str) -> str | None:
    """``patient``, ``user`` or ``system`` for a resource scope, else None."""
    match = _RESOURCE_SCOPE.match(scope)
    return match["ctx"] if match else None


_ACTIONS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
_WHO = {"patient": "for the selected patient", "user": "that you can access", "system": "all"}
_FIXED = {
    "openid": "Confirm your identity to the app",
    "fhirUser": "Tell the app who you are (your FHIR user record)",
    "profile": "Tell the app your profile details",
    "launch": "Use the patient and encounter open in your record system",
    "launch/patient": "Let you choose which patient the app works on",
    "launch/encounter": "Let the app know the current encounter",
    "offline_access": "Keep access when you are not signed in (until you revoke it)",
    "online_access": "Keep access while you are signed in",
}


def describe(scope: str) -> str:
    """The scope in plain words, for the consent screen."""
    if scope in _FIXED:
        return _FIXED[scope]
    match = _RESOURCE_SCOPE.match(scope)
    if match is None:
        return scope
    perms = _permissions(match["perm"]) or set()
    actions = ", ".join(_ACTIONS[p] for p in "cruds" if p in perms)
    what = "all records" if match["type"] == "*" else f"{match['type']} records"
    limit = f" (only {match['q'][1:]})" if match["q"] else ""
    return f"{actions.capitalize()} {what} {_WHO[match['ctx']]}{limit}"
