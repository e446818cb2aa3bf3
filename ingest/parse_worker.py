"""Parse files in a child process that can be killed: a per-file time and memory budget.

A parser is third-party code fed hostile bytes (a zip bomb, a PDF that loops, HTML nested
thousands deep). Catching exceptions is not enough: a parser that spins or balloons holds the
whole ingest (and, in the server, the GIL) behind one file. So each file is parsed in a
`spawn`ed child under an address-space limit (`parse_memory_mb` above the child's own start-up
size), and the parent waits at most `parse_timeout_s` for the answer. A file over either
budget, or one that kills its parser, becomes a `LoadError` with the reason; the child is then
replaced and the next file goes on. A clean child is reused between files; `close()` ends it, so
a long-lived server does not keep one around between ingests.

The child is a plain `python -c` process that imports only `ingest.loaders` (about 0.2 s), not
a `multiprocessing` "spawn" child: spawn re-imports the parent's `__main__` module (the `ethos`
CLI, uvicorn, a benchmark) and with it torch, transformers and llama-index, which made every
start-up cost 8-18 s of CPU on the cores the embedder was using (evals/reports/ingest.md).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import resource
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, TypeVar

from ingest.models import Document, DocumentMeta, LoadError

START_TIMEOUT_S = 180.0
PARSE_AHEAD = 8  # files parsed ahead of the embedder: about a commit batch of typical files
T = TypeVar("T")
R = TypeVar("R")
# Never fork (the parent holds torch threads and gigabytes of address space), and never spawn
# through multiprocessing (it re-imports the parent's __main__): a fresh interpreter runs _child.
_CHILD = "import sys; from ingest.parse_worker import _child; _child(int(sys.argv[1]), int(sys.argv[2]))"
_SOURCE_ROOT = str(Path(__file__).resolve().parents[1])  # where `ingest` is importable from


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _serve(conn: Connection, memory_mb: int) -> None:
    """Child loop: (path, meta, with_tracker) in, ("ok", Document or (Document, tracker metadata))
    or ("error", reason) out, until EOF."""
    from ingest.loaders import load_document  # imported before the limit, so they do not count
    from ingest.tracker import tracker_metadata

    if memory_mb > 0:
        limit = _vm_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(("ready", ""))
    while True:
        try:
            path, meta, with_tracker = conn.recv()
        except (EOFError, OSError):  # the parent ended (or was killed): nothing left to do
            return
        try:
            doc = load_document(Path(path), meta)
            reply: tuple[str, object] = ("ok", (doc, tracker_metadata(doc)) if with_tracker else doc)
        except MemoryError:
            reply = ("memory", "")
        except LoadError as exc:
            reply = ("error", str(exc))
        except RecursionError:
            reply = ("error", "the file is nested too deeply to parse")
        except Exception as exc:  # noqa: BLE001 - any parser failure is this file's failure
            reply = ("error", f"the parser failed ({type(exc).__name__}: {str(exc)[:200]})")
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", ""))
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            conn.send(("error", f"the parsed file could not be returned ({type(exc).__name__})"))
        if reply[0] == "memory":
            return  # the heap may be fragmented or half-built objects alive: start afresh


def _child(fd: int, memory_mb: int) -> None:
    """Entry point of the worker interpreter: serve on the inherited socket `fd`."""
    _serve(Connection(fd), memory_mb)


class ParseWorker:
    """`parse(path, meta)` → Document, in a child under time and memory budgets."""

    def __init__(self, timeout_s: float, memory_mb: int) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> "ParseWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parse(self, path: Path, meta: DocumentMeta) -> Document:
        return self._ask(path, meta, False)  # type: ignore[return-value]

    def parse_with_tracker(self, path: Path, meta: DocumentMeta) -> tuple[Document, dict[str, Any]]:
        """The document and its `ingest.tracker.tracker_metadata`, both computed in the child.

        Why: commitment extraction (pysbd sentence splitting) costs about a fifth of parsing; run
        in the parent it holds the GIL beside the embedder, here it runs in parallel under the
        same time and memory budgets as the parser (it is fed the same hostile text).
        """
        return self._ask(path, meta, True)  # type: ignore[return-value]

    def _ask(self, path: Path, meta: DocumentMeta, with_tracker: bool) -> object:
        name = path.name.encode("utf-8", "backslashreplace").decode()
        conn = self._ensure()
        try:
            conn.send((str(path), meta, with_tracker))
            ready = conn.poll(self.timeout_s)
            reply = conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            code = self._stop()
            raise LoadError(f"{name}: the parser crashed on this file (exit code {code}); "
                            f"it may exceed the memory budget of {self.memory_mb} MB") from None
        if reply is None:
            self._stop()
            raise LoadError(f"{name}: parsing took longer than the {self.timeout_s:g} s budget "
                            "(parse_timeout_s); the file was skipped")
        kind, value = reply
        if kind == "ok":
            return value  # type: ignore[return-value]
        if kind == "memory":
            self._stop()
            raise LoadError(f"{name}: parsing needed more than the {self.memory_mb} MB memory budget "
                            "(parse_memory_mb); the file was skipped")
        raise LoadError(str(value))

    def close(self) -> None:
        self._stop()

    # -- internals ---------------------------------------------------------------------
    def _ensure(self) -> Connection:
        if self._proc is None or self._proc.poll() is not None or self._conn is None:
            self._stop()
            parent, child = mp.Pipe()  # a socket pair; the child end is inherited by fd
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (_SOURCE_ROOT, env.get("PYTHONPATH")) if p)
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", _CHILD, str(child.fileno()), str(self.memory_mb)],
                    pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, env=env)
            finally:
                child.close()
            self._conn = parent
            # Start-up (imports) is not part of any file's budget; a child that cannot start is fatal.
            if not parent.poll(START_TIMEOUT_S) or parent.recv()[0] != "ready":
                self._stop()
                raise RuntimeError("the parse worker process did not start")
        return self._conn

    def _stop(self) -> int | None:
        code = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                code = self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                code = None
            self._proc = None
        return code


class Prefetch(Generic[T, R]):
    """`(item, fn(item))` in order, computed by a background thread up to `ahead` items early.

    Why: `fn` is "hash, then parse in the worker process", so while the caller chunks and embeds
    one batch the worker is already parsing the next files, on the other core: parsing overlaps
    embedding instead of adding to it. The thread mostly waits on the worker's pipe, so it costs
    the caller little. `fn` must report its own failures (an exception raised here ends the
    iteration with that exception, raised in the caller); `close()` stops the thread.
    `ready()` says whether the next result is already there, so a caller holding work can do it
    instead of waiting (the first files of an ingest are embedded while the rest are parsed).
    """

    _DONE = object()

    def __init__(self, items: Iterable[T], fn: Callable[[T], R], ahead: int = PARSE_AHEAD) -> None:
        self._out: queue.Queue = queue.Queue(maxsize=max(1, ahead))
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, args=(items, fn), name="ethos-parse-ahead",
                                        daemon=True)
        self._thread.start()

    def __iter__(self) -> "Prefetch[T, R]":
        return self

    def ready(self) -> bool:
        """True if `next()` will not wait for the background thread."""
        return self._finished or not self._out.empty()

    def __next__(self) -> tuple[T, R]:
        if self._finished:
            raise StopIteration
        got = self._out.get()
        if got is self._DONE or isinstance(got, BaseException):
            self.close()
            if got is self._DONE:
                raise StopIteration
            raise got
        return got

    def close(self) -> None:
        self._finished = True
        self._stop.set()
        self._thread.join(timeout=5)

    def _put(self, value: object) -> bool:
        while not self._stop.is_set():
            try:
                self._out.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterable[T], fn: Callable[[T], R]) -> None:
        try:
            for item in items:
                if self._stop.is_set() or not self._put((item, fn(item))):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            self._put(exc)
            return
        self._put(self._DONE)


def prefetch(items: Iterable[T], fn: Callable[[T], R], ahead: int = PARSE_AHEAD) -> Prefetch[T, R]:
    """`Prefetch(items, fn, ahead)`: see there."""
    return Prefetch(items, fn, ahead)


class InLine(Generic[T, R]):
    """`(item, fn(item))` in order, each computed when asked for: nothing runs beside the caller.

    `ready()` is always true (nothing to wait for in the background), so the ingest loop cuts
    batches by page count alone.
    """

    def __init__(self, items: Iterable[T], fn: Callable[[T], R]) -> None:
        self._it = ((item, fn(item)) for item in items)

    def __iter__(self) -> "InLine[T, R]":
        return self

    def __next__(self) -> tuple[T, R]:
        return next(self._it)

    def ready(self) -> bool:
        return True

    def close(self) -> None:
        self._it.close()


def spare_core(compute_threads: int) -> bool:
    """Whether a core is left over beside `compute_threads` busy threads (the embedder's torch pool).

    Parsing ahead only pays with a spare core. Without one the parser takes a core from one of
    torch's threads and the other waits for it at every layer: on the 2-core bench machine the
    overlapped pipeline ran at 38-71% of the bare embedder's rate, parsing in line at 78-94%
    (evals/reports/ingest.md).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return cores > compute_threads
