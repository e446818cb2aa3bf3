"""A real uvicorn server on loopback in a background thread, for the tests that need one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, alive: Callable[[], bool], timeout_s: float, probe: str = "/api/health",
                  every_s: float = 0.5) -> bool:
    """Poll `base`+`probe` until it answers 200 (True); False once `alive()` says the server died or
    `timeout_s` has passed. One loop for the tests' servers and the benchmarks' `ethos serve` children."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}{probe}", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        if not alive() or time.monotonic() > deadline:
            return False
        time.sleep(every_s)


@contextmanager
def serve(app, probe: str = "/api/health", name: str = "ethos-test-server") -> Iterator[str]:
    """Start `app` on a free port, wait until `probe` answers 200, yield the base URL, stop it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    if not wait_until_up(base, thread.is_alive, 60, probe, every_s=0.1):
        raise RuntimeError(f"{name} did not start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
