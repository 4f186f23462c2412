"""A process that stops while its models still load exits cleanly.

The server starts loading the photo and voice models in threads at start-up. A process told
to stop during that load (a service manager's SIGTERM soon after start) once aborted with
exit status 134 ("terminate called without an active exception"): the interpreter
finalised while onnxruntime or CTranslate2 were still building their sessions in native
threads. Each run below exits at another point of the load.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

EXIT_DURING_LOAD = """
import sys, threading, time
from fhir_server.ml_services import ml_services
from fhir_server.settings import Settings
services = ml_services(Settings())
loading = {t.name for t in threading.enumerate()} & {"speech-model-load", "vision-model-load"}
print(",".join(sorted(loading)))
time.sleep(float(sys.argv[1]))
"""


@pytest.mark.parametrize("delay_s", [0.1, 0.2, 0.3, 0.5])
def test_exit_while_the_models_load_is_clean(delay_s: float) -> None:
    done = subprocess.run(
        [sys.executable, "-c", EXIT_DURING_LOAD, str(delay_s)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip() == "speech-model-load,vision-model-load"  # both were loading
    assert "terminate called" not in done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
