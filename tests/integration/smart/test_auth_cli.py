"""``nutrivision client``, ``token``, ``user``, ``launch`` and ``serve --no-auth``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.auth_fixtures import TEST_PASSWORD, TokenMinter, private_jwks, public_jwks
from tests.integration.smart.conftest import create_patient
from tests.servers import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def env(services: ServiceUrls, auth_settings: Settings) -> dict[str, str]:
    """The CLI's environment: the test database and the auth-on server's data directory."""
    return {
        "NUTRIVISION_DATABASE_URL": services.database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
        "NUTRIVISION_DATA_DIR": str(auth_settings.data_dir),
        # the session database's keys are wrapped by the session's master key
        "NUTRIVISION_MASTER_KEY": os.environ["NUTRIVISION_MASTER_KEY"],
    }


def _run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _value(output: str, name: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(f"{name}: ")]
    return lines[0].split(": ", 1)[1]


def test_token_without_arguments_is_an_admin_token_the_server_accepts(
    env: dict[str, str], auth_base_url: str, auth_settings: Settings
) -> None:
    token = _run(env, "token").strip()
    assert (auth_settings.data_dir / "auth" / "admin-client.json").exists()
    again = _run(env, "token").strip()
    bearer = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{auth_base_url}/Patient", json={"resourceType": "Patient"}, headers=bearer
    )
    assert created.status_code == 201
    read = httpx.get(created.headers["location"], headers={"Authorization": f"Bearer {again}"})
    assert read.status_code == 200
    listed = _run(env, "client", "list")
    assert "nutrivision-admin" in listed
    assert "system/*.*" in listed


def test_admin_client_key_signs_a_backend_services_request(
    env: dict[str, str], auth_base_url: str, auth_settings: Settings
) -> None:
    _run(env, "token")
    stored = json.loads((auth_settings.data_dir / "auth" / "admin-client.json").read_text())
    from tests.auth_fixtures import BackendClient

    client = BackendClient(stored["client_id"], stored["jwks"], "ES384", auth_base_url)
    assert client.token("system/Patient.rs")


def test_client_create_list_delete_and_token_for_a_client(
    env: dict[str, str], auth_base_url: str, tmp_path: Path
) -> None:
    public = _run(
        env,
        "client",
        "create",
        "Diet app",
        "--scope",
        "launch/patient patient/*.rs",
        "--redirect-uri",
        "https://diet.example.org/cb",
    )
    public_id = _value(public, "client_id")
    secret_out = _run(
        env, "client", "create", "Lab", "--type", "confidential-symmetric", "--scope", "system/*.rs"
    )
    secret_id, secret = _value(secret_out, "client_id"), _value(secret_out, "client_secret")
    token = httpx.post(
        auth_base_url.removesuffix("/fhir") + "/auth/token",
        data={"grant_type": "client_credentials", "scope": "system/*.rs"},
        auth=(secret_id, secret),
    )
    assert token.status_code == 200
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(public_jwks(private_jwks("RS384"))))
    asym = _run(
        env,
        "client",
        "create",
        "Bulk",
        "--type",
        "confidential-asymmetric",
        "--scope",
        "system/*.rs",
        "--jwks-uri",
        jwks_file.as_uri(),
    )
    listed = _run(env, "client", "list")
    for client_id in (public_id, secret_id, _value(asym, "client_id")):
        assert client_id in listed
    assert secret not in listed
    printed = _run(env, "token", "--client", secret_id, "--scopes", "system/Patient.rs").strip()
    bearer = {"Authorization": f"Bearer {printed}"}
    assert httpx.get(f"{auth_base_url}/Patient", headers=bearer).status_code == 200
    _run(env, "client", "delete", public_id)
    assert public_id not in _run(env, "client", "list")
    missing = CliRunner().invoke(app, ["client", "delete", public_id], env=env)
    assert missing.exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--type", "public", "--scope", "patient/*.rs"],
        ["--type", "confidential-asymmetric", "--scope", "system/*.rs"],
        ["--type", "confidential-asymmetric", "--jwks-uri", "https://keys.example.org/jwks"],
        ["--type", "nonsense"],
    ],
)
def test_client_create_refuses_incomplete_registrations(
    env: dict[str, str], args: list[str]
) -> None:
    result = CliRunner().invoke(app, ["client", "create", "Bad", *args], env=env)
    assert result.exit_code == 2


def test_user_create_list_lock_unlock_totp(env: dict[str, str]) -> None:
    import uuid

    name = f"dr-{uuid.uuid4().hex[:6]}"
    weak = CliRunner().invoke(
        app,
        ["user", "create", name, "--role", "practitioner", "--fhir-user", "Practitioner/1"],
        input="short\nshort\n",
        env=env,
    )
    assert weak.exit_code == 2
    assert "too weak" in weak.output
    wrong_type = CliRunner().invoke(
        app,
        ["user", "create", name, "--role", "patient", "--fhir-user", "Practitioner/1"],
        input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n",
        env=env,
    )
    assert wrong_type.exit_code == 2
    _run(
        env,
        "user",
        "create",
        name,
        "--role",
        "practitioner",
        "--fhir-user",
        "Practitioner/1",
        "--password",
        TEST_PASSWORD,
    )
    assert f"{name}\tpractitioner\tPractitioner/1\tactive" in _run(env, "user", "list")
    _run(env, "user", "lock", name)
    assert f"{name}\tpractitioner\tPractitioner/1\tlocked" in _run(env, "user", "list")
    _run(env, "user", "unlock", name)
    uri = _run(env, "user", "totp", name).strip()
    assert uri.startswith("otpauth://totp/Nutri-Vision:")
    listed = _run(env, "user", "list")
    assert f"{name}\tpractitioner\tPractitioner/1\tactive\ttotp" in listed
    assert TEST_PASSWORD not in listed


def test_launch_command_mints_a_launch_for_an_existing_patient(
    env: dict[str, str], auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient_id = create_patient(auth_base_url, mint_token)
    launch = _run(env, "launch", "--patient", patient_id).strip()
    assert len(launch) >= 24
    missing = CliRunner().invoke(app, ["launch", "--patient", "nobody"], env=env)
    assert missing.exit_code == 1


def _without_nutrivision() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NUTRIVISION_")}


def test_serve_no_auth_refuses_a_public_address(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "fhir_server", "serve", "--no-auth", "--host", "0.0.0.0"]  # noqa: S104
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={**_without_nutrivision(), "NUTRIVISION_DATA_DIR": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 2
    assert "--no-auth refuses to listen on 0.0.0.0" in done.stderr


def _serve_process(
    env: dict[str, str], port: int, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "fhir_server", "serve", "--port", str(port), *extra]
    with log.open("wb") as output:
        return subprocess.Popen(
            command, env={**_without_nutrivision(), **env}, stdout=output, stderr=output
        )


def _ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited"
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def test_serve_requires_tokens_by_default_and_no_auth_says_so(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "NUTRIVISION_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    process = _serve_process(env, port, tmp_path / "serve.log")
    try:
        _ready(f"http://127.0.0.1:{port}", process)
        assert httpx.get(f"http://127.0.0.1:{port}/fhir/Patient").status_code == 401
        token = _run(env, "token").strip()
        bearer = {"Authorization": f"Bearer {token}"}
        read = httpx.get(f"http://127.0.0.1:{port}/fhir/Patient", headers=bearer)
        assert read.status_code == 200
    finally:
        _stop(process)
    port = free_port()
    open_process = _serve_process(env, port, tmp_path / "open.log", "--no-auth")
    try:
        _ready(f"http://127.0.0.1:{port}", open_process)
        assert httpx.get(f"http://127.0.0.1:{port}/fhir/Patient").status_code == 200
    finally:
        _stop(open_process)
    assert "authorization is OFF" in (tmp_path / "open.log").read_text()
