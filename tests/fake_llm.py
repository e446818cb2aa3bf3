"""A tiny OpenAI-compatible chat-completions server for tests: real HTTP, scripted replies.

The generative path is tested through the real `OpenAILike` client and a real socket,
so the request/stream shapes (SSE chunks, `data: [DONE]`) are exercised exactly as
with Ollama or vLLM. Replies are scripted per test; every request's messages are
recorded so tests can assert what the model was shown.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

Messages = list[dict[str, Any]]
Reply = str | int | Callable[[Messages], str]  # text, an HTTP error status, or a function of the prompt


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
    def _next(self, messages: Messages) -> str | int:
        reply = self.replies.popleft() if self.replies else self.default
        if not callable(reply):
            return reply
        try:
            return reply(messages)
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
            if not body.get("stream"):
                return {
                    "id": ident, "object": "chat.completion", "created": created, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                 "finish_reason": "stop", "logprobs": None}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }

            def events():
                def chunk(delta: dict, finish: str | None) -> str:
                    payload = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
                    return f"data: {json.dumps(payload)}\n\n"

                yield chunk({"role": "assistant", "content": ""}, None)
                for i in range(0, len(reply), self.chunk_chars):
                    yield chunk({"content": reply[i : i + self.chunk_chars]}, None)
                yield chunk({}, "stop")
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        return app
