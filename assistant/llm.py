"""The optional LLM: built from settings, passed explicitly, never a global default.

Ethos answers without an LLM by default (extractive). When one is configured it is
either any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, OpenAI/Azure)
through `OpenAILike`, or a local GGUF file through llama-cpp-python (optional extra).
The LLM object is always handed to the code that uses it: nothing here touches
`llama_index.core.Settings.llm`, so llama-index can never silently fall back to its
OpenAI default and send a question (or a document) to a third party.
"""

from __future__ import annotations

import logging

from llama_index.core.base.llms.generic_utils import messages_to_history_str
from llama_index.core.chat_engine.condense_question import DEFAULT_PROMPT
from llama_index.core.llms import LLM, ChatMessage, MessageRole

from assistant.followup import condense_without_llm
from assistant.models import Turn
from ingest.settings import Settings

log = logging.getLogger(__name__)

#: What we tell llama-index the model can take. Small on purpose: the generative prompt is
#: the top-k chunks (~6 × 256 tokens) plus instructions, well inside 8k, and 8k is what
#: small local models (llama3.1 8B on Ollama with a raised num_ctx, Qwen, Mistral) serve.
CONTEXT_WINDOW = 8192
GGUF_HINT = "install the gguf extra: pip install 'ethos[gguf]'"


def build_llm(settings: Settings) -> LLM:
    """The configured LLM; `llm_base_url` wins over `llm_gguf_path` when both are set."""
    if settings.llm_base_url:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key,
            is_chat_model=True,
            context_window=CONTEXT_WINDOW,
            timeout=settings.llm_timeout_s,
            max_retries=1,  # a user is waiting; one retry covers a blip, not an outage
        )
    if settings.llm_gguf_path:
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as exc:  # the optional extra (llama-cpp-python) is not installed
            raise RuntimeError(GGUF_HINT) from exc
        if not settings.llm_gguf_path.exists():
            raise RuntimeError(f"GGUF model file {settings.llm_gguf_path} does not exist")
        return LlamaCPP(model_path=str(settings.llm_gguf_path), context_window=CONTEXT_WINDOW, verbose=False)
    raise RuntimeError("no LLM configured: set ETHOS_LLM_BASE_URL or ETHOS_LLM_GGUF_PATH")


def condense_with_llm(llm: LLM, question: str, history: list[Turn]) -> str:
    """A stand-alone search query for a follow-up, by llama-index's condense-question prompt.

    Same prompt and history format as `CondenseQuestionChatEngine`, called directly so the
    rewritten question feeds our own retriever (with its access filters). Any failure of the
    LLM — server down, timeout, empty reply — falls back to the deterministic resolver, so a
    flaky LLM degrades follow-ups instead of failing the request.
    """
    if not history:
        return question
    messages = [
        ChatMessage(role=MessageRole.USER if t.role == "user" else MessageRole.ASSISTANT, content=t.content)
        for t in history
    ]
    try:
        rewritten = llm.predict(DEFAULT_PROMPT, question=question, chat_history=messages_to_history_str(messages))
    except Exception as exc:  # noqa: BLE001 - any LLM/transport error means "use the fallback"
        log.warning("condense with LLM failed (%s); using the deterministic resolver", exc)
        return condense_without_llm(question, history)
    rewritten = (rewritten or "").strip()
    if len(rewritten) > 1 and rewritten[0] == rewritten[-1] == '"':  # some models quote the whole reply
        rewritten = rewritten[1:-1].strip()
    return rewritten or condense_without_llm(question, history)
