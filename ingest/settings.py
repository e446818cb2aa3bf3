"""The one typed configuration object for every layer of Ethos.

It lives in the lowest layer (`ingest`) so that `assistant` and `ui` can share it
without importing upwards. Every field can be set from the environment with the
`ETHOS_` prefix (e.g. `ETHOS_DATA_DIR`, `ETHOS_CHROMA_HOST`); nothing deeper in
the code reads the environment itself — a `Settings` instance is passed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["staff", "governor", "admin"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ETHOS_", env_file=".env", extra="ignore")

    # --- storage -----------------------------------------------------------
    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpora/demo")
    corpus_name: str = "demo"
    collection: str = "ethos_chunks"
    chroma_host: str | None = None  # set → talk to a `chroma run` server
    chroma_port: int = 8000

    # --- embedding & chunking ----------------------------------------------
    embed_model: str = "minilm"  # "minilm", "mpnet", or a path to a sentence-transformers dir
    embed_batch_size: int = 64
    chunk_tokens: int = 200  # body tokens; title/section prefix must fit in the rest of 256
    prefix_tokens: int = 48
    commit_pages: int = 40  # files are embedded and committed in batches of about this many pages
    # Each file is parsed in a child process under these budgets; a file over one is reported, not fatal.
    parse_timeout_s: float = 60.0
    parse_memory_mb: int = 1024  # address space the parser may add on top of its own start-up size

    # --- retrieval ------------------------------------------------------------
    top_k: int = 6
    candidate_k: int = 30  # per-retriever depth before fusion
    hnsw_ef_search: int = 400  # Chroma's HNSW search breadth: exact, repeatable top-30 (ingest/store.py)
    tail_words: int = 60  # a retrieved chunk this short (a section's tail) brings its section neighbours (0: off)
    # z-score fusion beat reciprocal rank on SciFact train (0.728 vs 0.722, chunked) and on the
    # demo golden set (hit@1 0.70 vs 0.63); see evals/reports/scifact.md.
    fusion_mode: Literal["rrf", "zscore", "relative"] = "zscore"
    dense_weight: float = 0.5
    bm25_weight: float = 0.5
    rrf_k: int = 60
    expansion_weight: float = 1.0  # BM25 weight of the vocabulary's variants of the question's terms

    # --- answering ----------------------------------------------------------
    max_answer_sentences: int = 4  # generative answers: sentences asked of the LLM
    answer_words: int = 60  # an extractive answer's window of its best passage, in words
    llm_base_url: str | None = None  # OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1
    llm_model: str = "llama3.1"
    llm_api_key: str = "not-needed"
    llm_gguf_path: Path | None = None  # local GGUF via llama-cpp-python (optional extra)
    llm_timeout_s: float = 120.0
    # Budget and deadlines (issue 14): a local single-slot server must never be flooded.
    llm_context_window: int | None = None  # tokens; None → what the server reports, else 4096
    llm_max_tokens: int = 400  # the reply's budget, sent as max_tokens and reserved in the prompt
    llm_deadline_s: float = 180.0  # a whole streamed answer; keep-alive pings do not extend it
    llm_condense_deadline_s: float = 20.0  # the follow-up rewrite; past it the deterministic resolver runs
    llm_max_retries: int | None = None  # None → 0 for a server on this machine/LAN, 1 for a remote one
    llm_gguf_extra_bufts: bool = False  # llama.cpp's AMX/extra buffer types; off: some VMs fault on AMX
    local_bearer_token: str | None = None  # a single-user install: this bearer key gets default_role

    # --- access -----------------------------------------------------------------
    api_keys_file: Path | None = None  # TOML: [keys] "<key>" = "staff" | "governor" | "admin"
    api_keys: dict[str, Role] = Field(default_factory=dict)
    default_role: Role | None = "admin"  # role for requests without a key; None → 401
    # Who reads what is assistant.access.ROLE_AUDIENCES; this only overrides it (ETHOS_ROLE_AUDIENCES, JSON).
    role_audiences: dict[str, list[str]] | None = None
    max_upload_mb: int = 25
    organisation: str | None = None  # the install's own organisation: what "our" means by default
    max_request_mb: int = 2  # any non-upload request body above this gets 413
    max_history_turns: int = 20  # history beyond this is refused with 400 (the UI sends its last turns)
    max_history_chars: int = 20000  # total characters of history

    # --- serving --------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    # Answers computed at once by a server (0 → one per core); more wait their turn, cheap reads never do.
    answer_workers: int = 0
    # One writer at a time (ingest/locking.py); a server notices other processes' writes within refresh_s.
    write_lock_timeout_s: float = 300.0
    refresh_s: float = 1.0  # how often a server polls the change counter; 0 turns the watcher off
    change_log_keep: int = Field(1000, ge=1)  # the change log keeps this many newest records (pruned at 2x)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.json"

    def audience_values(self) -> frozenset[str] | None:
        """The audiences an override names (what a manifest may then say); None: the manifest's own set."""
        return frozenset(a for readable in self.role_audiences.values() for a in readable) if self.role_audiences else None
