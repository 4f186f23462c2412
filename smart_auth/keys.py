"""The server's signing key: an RSA key in a private JWK file, its public half as JWKS.

One RSA key signs access tokens (RS384) and OpenID Connect id_tokens (RS256, the algorithm
OIDC clients must support). The file is created on first start and reused after, so tokens
stay valid across restarts and across worker processes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

ACCESS_TOKEN_ALG = "RS384"  # noqa: S105 - an algorithm name
ID_TOKEN_ALG = "RS256"  # noqa: S105 - an algorithm name
CLIENT_ASSERTION_ALGS = ("RS384", "ES384")
KEY_BITS = 2048


def generate_signing_key() -> RSAKey:
    """A new private RSA key with a thumbprint ``kid``."""
    key = RSAKey.generate_key(KEY_BITS, parameters={"use": "sig"}, private=True)
    key.ensure_kid()
    return key


def _write_new(path: Path, key: RSAKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(key.as_dict(private=True), out)
    try:
        # link fails if another process created the key first: both then use that one
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def load_or_create_signing_key(path: Path) -> RSAKey:
    """The key stored at ``path``, created there (mode 0600) when missing."""
    if not path.exists():
        _write_new(path, generate_signing_key())
    data = json.loads(path.read_text())
    key = RSAKey.import_key(data)
    key.ensure_kid()
    return key


def public_jwks(key: RSAKey) -> dict[str, Any]:
    """The JWK Set publishing the public half of the signing key."""
    public = key.as_dict(private=False)
    return {"keys": [{**public, "use": "sig", "kid": key.kid}]}
