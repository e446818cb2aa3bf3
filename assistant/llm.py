"""The optional LLM: built from settings, passed explicitly, never a global default.

Ethos answers without an LLM by default (extractive). When one is configured it is
either any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, OpenAI/Azure)
through `OpenAILike`, or a local GGUF file through llama-cpp-python (optional extra).
The LLM object is always handed to the code that uses it: nothing here touches
`llama_index.core.Settings.llm`, so llama-index can never silently fall back to its
OpenAI default and send a question (or a document) to a third party.

A small local server has one slot and writes a few tokens a second, so every call is
bounded: the prompt fits a token budget, the reply has `max_tokens`, a local server is
never retried (a retry queues behind the request it repeats), and each call has an
overall deadline that keep-alive pings cannot extend (`Deadline`, enforced in the HTTP
transport, so the connection is closed and the server stops generating).
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import httpx
from llama_index.core.base.llms.generic_utils import messages_to_history_str
from llama_index.core.chat_engine.condense_question import DEFAULT_PROMPT
from llama_index.core.llms import LLM, ChatMessage, MessageRole

from assistant.followup import condense_without_llm
from assistant.models import Turn
from ingest.settings import Settings

log = logging.getLogger(__name__)

#: Used when neither the settings nor the server say how long a prompt may be: what
#: llama.cpp-based servers commonly run with, and what the issue's server reported.
DEFAULT_CONTEXT_WINDOW = 4096
#: Characters per token assumed when counting a prompt for a model whose tokenizer we do not
#: have: English BPE runs at ~4, so 3 over-counts on purpose and the budget errs short.
CHARS_PER_TOKEN = 3.0
#: What the follow-up rewrite may spend on history: the two latest turns, each shortened.
CONDENSE_TURNS = 4
CONDENSE_TURN_CHARS = 600
GGUF_HINT = "install the gguf extra: pip install 'ethos[gguf]'"


class LLMFailure(RuntimeError):
    """The model produced no usable reply: an error, an empty stream, or the deadline passed."""


def count_tokens(text: str) -> int:
    """A deliberately high estimate of `text`'s tokens (see CHARS_PER_TOKEN)."""
    return int(len(text) / CHARS_PER_TOKEN) + 1


# -- deadlines, enforced where the bytes arrive ------------------------------------------------
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("llm_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every LLM HTTP request made inside (in this context) ends by `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, until: float) -> None:
        self.inner, self.until = inner, until

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if time.monotonic() > self.until:  # keep-alive pings arrive, but the answer is overdue
                raise httpx.ReadTimeout("LLM deadline passed")
            yield chunk

    def close(self) -> None:
        self.inner.close()


class DeadlineTransport(httpx.HTTPTransport):
    """Caps each request's timeouts by the context's deadline and cuts long streams at it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        until = _deadline.get()
        if until is not None:
            left = until - time.monotonic()
            if left <= 0:
                raise httpx.ReadTimeout("LLM deadline passed", request=request)
            timeout = dict(request.extensions.get("timeout") or {})
            request.extensions["timeout"] = {k: min(v, left) if v else left
                                             for k, v in {**dict.fromkeys(("connect", "read", "write", "pool")),
                                                          **timeout}.items()}
        response = super().handle_request(request)
        if until is not None:
            response.stream = _DeadlineStream(response.stream, until)  # type: ignore[arg-type]
        return response


def is_local(url: str) -> bool:
    """A server on this machine or the LAN: single-user, usually single-slot, never retried."""
    host = urlparse(url).hostname or ""
    if host in ("localhost", "host.docker.internal") or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


def reported_context_window(base_url: str, timeout: float = 3.0) -> int | None:
    """The context length the server states, if it states one (vLLM, llama.cpp, LM Studio)."""
    try:
        models = httpx.get(base_url.rstrip("/") + "/models", timeout=timeout).json()
        for card in models.get("data", []):
            for value in (card.get("max_model_len"), card.get("context_length"),
                          (card.get("meta") or {}).get("n_ctx"), (card.get("meta") or {}).get("n_ctx_train")):
                if isinstance(value, int) and value > 0:
                    return value
        root = base_url.rstrip("/").removesuffix("/v1")
        props = httpx.get(root + "/props", timeout=timeout)
        if props.status_code == 200:
            n_ctx = (props.json().get("default_generation_settings") or {}).get("n_ctx")
            return n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.info("LLM server does not report its context window (%s)", exc)
    return None


def build_llm(settings: Settings) -> LLM:
    """The configured LLM; `llm_base_url` wins over `llm_gguf_path` when both are set."""
    if settings.llm_base_url:
        from llama_index.llms.openai_like import OpenAILike

        window = settings.llm_context_window or reported_context_window(settings.llm_base_url)
        retries = settings.llm_max_retries
        if retries is None:
            retries = 0 if is_local(settings.llm_base_url) else 1
        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key,
            is_chat_model=True,
            context_window=window or DEFAULT_CONTEXT_WINDOW,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout_s,
            max_retries=retries,
            http_client=httpx.Client(transport=DeadlineTransport(), timeout=settings.llm_timeout_s),
        )
    if settings.llm_gguf_path:
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as exc:  # the optional extra (llama-cpp-python) is not installed
            raise RuntimeError(GGUF_HINT) from exc
        if not settings.llm_gguf_path.exists():
            raise RuntimeError(f"GGUF model file {settings.llm_gguf_path} does not exist")
        with _extra_bufts(settings.llm_gguf_extra_bufts):
            return LlamaCPP(model_path=str(settings.llm_gguf_path),
                            context_window=settings.llm_context_window or DEFAULT_CONTEXT_WINDOW,
                            max_new_tokens=settings.llm_max_tokens, temperature=0.1,
                            messages_to_prompt=chatml, verbose=False)
    raise RuntimeError("no LLM configured: set ETHOS_LLM_BASE_URL or ETHOS_LLM_GGUF_PATH")


@contextmanager
def _extra_bufts(enabled: bool) -> Iterator[None]:
    """llama.cpp repacks weights into "extra buffer types" (AMX on CPUs that advertise it); on a
    VM that advertises AMX but faults on it the process dies (SIGILL/SIGSEGV in
    ggml_backend_amx_mul_mat). `Llama()` has no argument for it, so the default model
    params it reads are patched while the model loads."""
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params

    def params():  # noqa: ANN202 - a ctypes struct
        p = original()
        p.use_extra_bufts = enabled
        return p

    lib.llama_model_default_params = params
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def chatml(messages) -> str:  # noqa: ANN001 - llama-index passes a sequence of ChatMessage
    """ChatML, the chat format of Qwen (the model `ethos models llm` installs) and many others."""
    body = "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


def context_window(llm: LLM) -> int:
    try:
        return int(llm.metadata.context_window) or DEFAULT_CONTEXT_WINDOW
    except (AttributeError, TypeError, ValueError):
        return DEFAULT_CONTEXT_WINDOW


def stream_text(llm: LLM, messages: list[ChatMessage], seconds: float) -> Iterator[str]:
    """The model's text deltas, ended at the deadline; raises `LLMFailure` on any error.

    The call runs in a worker thread so the caller's wait is bounded even while the
    transport is blocked; the transport's own deadline then closes the connection."""
    out: queue.Queue = queue.Queue()
    until = time.monotonic() + seconds
    stop = threading.Event()  # an in-process model (GGUF) stops at its next token once the caller gave up

    def work() -> None:
        try:
            with deadline(seconds):
                for response in llm.stream_chat(messages):
                    if stop.is_set():
                        break
                    if response.delta:
                        out.put(("text", response.delta))
            out.put(("end", None))
        except Exception as exc:  # noqa: BLE001 - reported to the caller as a failure
            out.put(("error", exc))

    threading.Thread(target=contextvars.copy_context().run, args=(work,), daemon=True, name="llm-stream").start()
    try:
        yield from _drain(out, until, seconds, stop)
    finally:
        stop.set()  # the caller stopped reading (client gone): let the worker end too


def _drain(out: queue.Queue, until: float, seconds: float, stop: threading.Event) -> Iterator[str]:
    while True:
        try:
            kind, value = out.get(timeout=max(0.0, until - time.monotonic()))
        except queue.Empty:
            stop.set()
            raise LLMFailure(f"no complete reply within the {seconds:.0f} s deadline") from None
        if kind == "text":
            yield value
        elif kind == "end":
            return
        else:
            raise LLMFailure(f"{type(value).__name__}: {value}") from value


def condense_with_llm(llm: LLM, question: str, history: list[Turn], seconds: float = 20.0) -> str:
    """A stand-alone search query for a follow-up, by llama-index's condense-question prompt.

    Same prompt and history format as `CondenseQuestionChatEngine`, called directly so the
    rewritten question feeds our own retriever (with its access filters). Only the latest
    turns go in, each shortened, so the rewrite prompt stays a few hundred tokens however long
    the answers were; it must finish within `seconds`. Any failure — server down, deadline,
    empty reply, or a reply that is not one question (see `clean_rewrite`) — falls back to the
    deterministic resolver, so a slow or small LLM degrades follow-ups instead of failing them.
    """
    if not history:
        return question
    messages = [
        ChatMessage(role=MessageRole.USER if t.role == "user" else MessageRole.ASSISTANT,
                    content=_shorten(t.content, CONDENSE_TURN_CHARS))
        for t in history[-CONDENSE_TURNS:]
    ]
    prompt = DEFAULT_PROMPT.format(question=question, chat_history=messages_to_history_str(messages))
    try:
        with deadline(seconds):  # `stop` reaches OpenAI-protocol servers; LlamaCPP ignores it
            reply = llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)], stop=list(CONDENSE_STOP))
    except Exception as exc:  # noqa: BLE001 - any LLM/transport error means "use the fallback"
        log.warning("condense with LLM failed (%s); using the deterministic resolver", exc)
        return condense_without_llm(question, history)
    rewritten = clean_rewrite(reply.message.content or "")
    if rewritten is None:
        log.warning("the model's follow-up rewrite was not one question (%r); using the deterministic resolver",
                    (reply.message.content or "")[:120])
        return condense_without_llm(question, history)
    return rewritten


#: Where a small model's rewrite runs on into the template (at most 4: the OpenAI API's limit).
CONDENSE_STOP = ("\n\n", "<Chat History>", "<Follow Up Message>", "<|im_end|>")
#: A rewritten question longer than this is a continuation, not a question.
CONDENSE_MAX_CHARS = 300
_LABEL = re.compile(r"^\s*<?\s*(?:standalone|stand-alone|rewritten|reworded)?\s*(?:follow[- ]up\s+)?"
                    r"(?:question|message|query)\s*(?:>\s*:?|:)\s*", re.I)
_TEMPLATE = re.compile(r"<\s*/?\s*(?:chat history|follow up message|standalone question)\s*>|<\|im_(?:start|end)\|>"
                       r"|\brewrite the (?:follow[- ]up )?message\b|^\s*(?:human|assistant|user|system)\s*(?::|$)",
                       re.I)


def clean_rewrite(reply: str) -> str | None:
    """The model's rewrite as one search query, or None when it is not one.

    A small model (issue 14: Qwen2.5-Coder-1.5B) keeps writing the template after its answer —
    "<Chat History>", "To rewrite the follow-up message…", "assistant" — and all of it became the
    search query. Keep the first line left once a "Standalone question:" label is dropped, and
    unquote it; a line still holding template text or a role word, or over CONDENSE_MAX_CHARS, is None."""
    lines = (_LABEL.sub("", ln, count=1).strip() for ln in reply.splitlines())
    line = next((ln for ln in lines if ln), "")
    if len(line) > 1 and line[0] == line[-1] and line[0] in "\"'":  # some models quote the whole reply
        line = line[1:-1].strip()
    if not line or len(line) > CONDENSE_MAX_CHARS or _TEMPLATE.search(line):
        return None
    return line


def _shorten(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"
