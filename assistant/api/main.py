"""The FastAPI application: `create_app(settings, assistant=None)`.

The Assistant (embedder, index, optional LLM) is expensive, so it is built once —
in the lifespan, or passed in by a caller that already has one (tests, the UI
process) — and shared by every request through `deps.get_assistant`. The
Assistant is synchronous: reads are plain `def` routes run in FastAPI's threadpool, and
answers run on their own limiter sized to the cores (`assistant.api.answering`), so a
burst of questions never leaves cheap reads waiting for a thread.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api.answering import answer_limiter
from assistant.api.auth import load_keys
from assistant.api.limits import BodyLimits
from assistant.api.upload_guard import GradioUploadGuard
from assistant.api.routes import ask, commitments, documents, health, openai_compat, reviews
from assistant.service import Assistant
from ingest.settings import Settings

log = logging.getLogger(__name__)


M_ARENA_MAX = -8  # glibc mallopt parameter


def bound_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas for this process (as MALLOC_ARENA_MAX does).

    Routes run in a threadpool of up to 40 threads; glibc gives threads that allocate at the
    same time their own arena (up to 8 per core) and seldom returns their memory, so RSS
    after a load run stays high and climbs with the next. Measured with
    evals/bench_server_memory.py on the pre-issue-15 server (20 clients x 20 s runs): run 1
    → run 3 went from 2,014 → 2,697 MB (+34%) to 1,797 → 2,036 MB (+13%) with 2 arenas.
    """
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # not glibc: nothing to bound
        pass


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = getattr(app.state, "assistant", None) is None  # a caller's assistant is the caller's to close
        if owned:
            log.info("loading the assistant (embedder and index) from %s", settings.data_dir)
            app.state.assistant = await run_in_threadpool(Assistant, settings)
        yield
        if owned:
            await run_in_threadpool(app.state.assistant.kb.close)

    bound_malloc_arenas()
    app = FastAPI(
        title="Ethos API",
        summary="Ask a trust's own documents; every answer quotes its sources verbatim.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.api_keys = load_keys(settings)  # a bad keys file fails here, at start-up
    app.state.assistant = assistant
    app.state.answer_limiter = answer_limiter(settings)
    for router in (ask.router, documents.router, commitments.router, reviews.router, health.router, openai_compat.router):
        app.include_router(router)
    # Both pure ASGI and added here, so they also cover the Gradio app `mount_ui` mounts later.
    app.add_middleware(BodyLimits, settings=settings)
    app.add_middleware(GradioUploadGuard, settings=settings)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
    return app


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Bad input is a 400 with one readable sentence, not pydantic's 422 error list."""
    return JSONResponse({"detail": describe_errors(exc.errors())}, status.HTTP_400_BAD_REQUEST)


def describe_errors(errors: list[dict]) -> str:
    parts = []
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "")
            return f"The request body is not valid JSON{': ' + reason if reason else ''}"
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        if not loc and err.get("type") == "missing":
            return "The request body is missing"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc) or 'body'}: {message}")
    return "Invalid request: " + "; ".join(parts)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None))


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error; see the server log"}, 500)
