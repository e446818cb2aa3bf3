"""A tiny OpenAI-compatible chat-completions server for tests: real HTTP, real replies.

The generative path is tested through the real `OpenAILike` client and a real socket,
so the request/stream shapes (SSE chunks, `data: [DONE]`) are exercised exactly as
with Ollama or vLLM. Replies are scripted per test; every request's messages are
recorded so tests can assert what the model was shown.

`recorded(qid)` replays what the real local model (Qwen2.5-Coder-1.5B-Instruct, see
tests/fixtures/llm/record.py) wrote for a golden question, delta by delta. The model's
[n] refer to the passages it was shown; replay maps each onto the passage with the same
text in the prompt it receives now, so a change in retrieval order does not falsify it.
The failure modes of real local servers are replayable too: `Stall` (keep-alive pings and
no answer), `EMPTY` (HTTP 200, then the stream closes with nothing, as llama-cpp-python's
server does when the prompt exceeds its context) and `ErrorFrame` (an error event after 200,
as llama.cpp's own server sends).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

Messages = list[dict[str, Any]]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "llm"
PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*, p\. \d+:\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", re.M | re.S)
MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Stall:
    """Send the role chunk, then only SSE keep-alive comments every `ping_s`, for `seconds`."""

    seconds: float = 30.0
    ping_s: float = 0.2


@dataclass
class ErrorFrame:
    """HTTP 200, then an error event (llama.cpp server: "exceed context window")."""

    message: str = "Requested tokens (6486) exceed context window of 4096"
    before: tuple[str, ...] = ()  # text deltas sent before the error


@dataclass
class Deltas:
    """These exact text deltas, one SSE chunk each (or a function of the prompt giving them)."""

    deltas: list[str] | Callable[[Messages], list[str]]


EMPTY = Deltas([])  # 200, the role chunk, then the stream ends with no text and no [DONE]
Reply = str | int | Stall | ErrorFrame | Deltas | Callable[[Messages], str]


def load_recording(qid: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{qid}.json").read_text(encoding="utf-8"))


def prompt_passages(messages: Messages) -> dict[int, str]:
    user = next(m["content"] for m in messages if m["role"] == "user")
    return {int(n): text.strip() for n, text in PASSAGE.findall(user)}


def recorded(qid: str) -> Deltas:
    """The real model's reply to `qid`, its markers mapped onto the current prompt's numbering."""
    record = load_recording(qid)

    def deltas(messages: Messages) -> list[str]:
        now = {text: n for n, text in prompt_passages(messages).items()}
        mapping = {int(n): now.get(text, 90 + int(n)) for n, text in record["passages"].items()}
        text = MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", "".join(record["deltas"]))
        sizes = [len(d) for d in record["deltas"]]  # the same delta boundaries as the model's
        out, i = [], 0
        for size in sizes:
            out.append(text[i : i + size])
            i += size
        if i < len(text):
            out.append(text[i:])
        return [d for d in out if d]

    return Deltas(deltas)


class FakeLLM:
    """`with FakeLLM() as fake:` → `fake.url` is an OpenAI base URL (…/v1).

    `fake.replies` is a queue consumed one per request; when empty, `fake.default` answers.
    An int reply makes the server answer with that HTTP status (to test failure paths).
    """

    def __init__(self, default: Reply = "The documents don't say.", chunk_chars: int = 7) -> None:
        self.default = default
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []  # full request bodies, in order
        self.errors: list[BaseException] = []  # exceptions raised by scripted reply functions
        self.chunk_chars = chunk_chars
        self.pings = 0  # keep-alive comments sent by Stall replies
        self.closed = 0  # streams ended (finished, or the client disconnected)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(self._app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    # -- scripting ----------------------------------------------------------------------
    def script(self, *replies: Reply) -> "FakeLLM":
        self.replies.extend(replies)
        return self

    @property
    def prompts(self) -> list[Messages]:
        return [r["messages"] for r in self.requests]

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()
        self.errors.clear()
        self.pings = self.closed = 0

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeLLM":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> "FakeLLM":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the protocol ----------------------------------------------------------------------
    def _next(self, messages: Messages) -> Any:
        reply = self.replies.popleft() if self.replies else self.default
        try:
            if isinstance(reply, Deltas) and callable(reply.deltas):
                return Deltas(reply.deltas(messages))
            return reply(messages) if callable(reply) else reply
        except Exception as exc:  # a broken script is the test's bug: record it, answer 500
            self.errors.append(exc)
            return 500

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request):
            body = await request.json()
            self.requests.append(body)
            reply = self._next(body["messages"])
            if isinstance(reply, int):
                return JSONResponse({"error": {"message": "scripted failure", "type": "server_error"}},
                                    status_code=reply)
            ident, created, model = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time()), body.get("model", "fake")
            if isinstance(reply, Deltas) and not body.get("stream"):
                reply = "".join(reply.deltas)  # type: ignore[arg-type]
            if isinstance(reply, Stall) and not body.get("stream"):
                await asyncio.sleep(reply.seconds)
                reply = ""
            if not body.get("stream"):
                return {
                    "id": ident, "object": "chat.completion", "created": created, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                 "finish_reason": "stop", "logprobs": None}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }

            async def events():
                def chunk(delta: dict, finish: str | None) -> str:
                    payload = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
                    return f"data: {json.dumps(payload)}\n\n"

                yield chunk({"role": "assistant", "content": ""}, None)
                if isinstance(reply, Stall):
                    until = time.monotonic() + reply.seconds
                    while time.monotonic() < until:
                        await asyncio.sleep(reply.ping_s)
                        self.pings += 1
                        yield ": ping\n\n"
                    return
                if isinstance(reply, ErrorFrame):
                    for delta in reply.before:
                        yield chunk({"content": delta}, None)
                    yield f"data: {json.dumps({'error': {'message': reply.message, 'type': 'server_error'}})}\n\n"
                    return
                if isinstance(reply, Deltas):
                    if not reply.deltas:
                        return  # llama-cpp-python's server on an error after 200: the stream just ends
                    for delta in reply.deltas:
                        yield chunk({"content": delta}, None)
                else:
                    for i in range(0, len(reply), self.chunk_chars):
                        yield chunk({"content": reply[i : i + self.chunk_chars]}, None)
                yield chunk({}, "stop")
                yield "data: [DONE]\n\n"

            async def tracked():
                try:
                    async for event in events():
                        yield event
                finally:
                    self.closed += 1  # the stream ended or the client went away

            return StreamingResponse(tracked(), media_type="text/event-stream")

        return app
