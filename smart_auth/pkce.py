"""PKCE (RFC 7636): only the S256 method, as SMART App Launch 2 requires.

https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-pkce-support
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def s256(verifier: str) -> str:
    """The S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def valid_challenge(challenge: str) -> bool:
    """Whether a code_challenge has the S256 form (43 base64url characters)."""
    return bool(_CHALLENGE.match(challenge))


def verify(verifier: str, challenge: str) -> bool:
    """Whether the token request's verifier matches the authorization request's challenge."""
    if not _VERIFIER.match(verifier):
        return False
    return hmac.compare_digest(s256(verifier), challenge)
