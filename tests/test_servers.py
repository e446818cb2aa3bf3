"""The one "is the server up yet" loop (`tests.servers.wait_until_up`) used by test servers and benchmarks."""

from __future__ import annotations

import time

from fastapi import FastAPI

from tests.servers import free_port, serve, wait_until_up


def test_up_when_the_probe_answers_and_not_once_the_server_is_gone():
    app = FastAPI()
    app.get("/ok")(lambda: {"ok": True})
    with serve(app, probe="/ok") as base:
        assert wait_until_up(base, lambda: True, 5, probe="/ok")
        assert not wait_until_up(base, lambda: True, 0.3, probe="/missing", every_s=0.1)  # 404 is not up
    started = time.monotonic()
    assert not wait_until_up(f"http://127.0.0.1:{free_port()}", lambda: False, 60)  # died: no waiting out 60 s
    assert time.monotonic() - started < 5
