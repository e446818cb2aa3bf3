"""A new embedded Chroma store is made beside its place and renamed in (ingest/store.py), so a
writer killed while Chroma creates its schema never leaves a half-made store behind."""

from __future__ import annotations

from pathlib import Path

from ingest import store
from ingest.settings import Settings


def settings_in(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_base_url=None, llm_gguf_path=None, chroma_host=None)


def test_a_new_store_appears_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    client = store.chroma_client(settings)
    client.get_or_create_collection("probe", embedding_function=None).add(ids=["a"], embeddings=[[0.1, 0.2]])
    assert (settings.chroma_path / store.STORE_FILE).exists()
    assert not list(settings.chroma_path.parent.glob(f"{store.INIT_PREFIX}*"))
    store.forget_embedded(settings)  # reopened, the existing store is used as it is, not made again
    again = store.chroma_client(settings)
    assert again.get_collection("probe", embedding_function=None).count() == 1


def test_a_killed_creators_temp_folder_is_removed_and_the_store_made(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    settings.chroma_path.mkdir(parents=True)  # an empty folder, as older set-ups left it
    dead = settings.chroma_path.parent / f"{store.INIT_PREFIX}999999-deadbeef"
    dead.mkdir()
    (dead / store.STORE_FILE).write_bytes(b"half a schema")
    client = store.chroma_client(settings)
    assert client.heartbeat() and not dead.exists()
    assert (settings.chroma_path / store.STORE_FILE).exists()


def test_the_chunk_collection_searches_broadly_and_stays_cosine(tmp_path: Path) -> None:
    """A collection made with Chroma's default search breadth (ef_search 100, as older data dirs
    have it) is widened in place on open; the space stays cosine and the vectors stay searchable."""
    settings = settings_in(tmp_path)
    client = store.chroma_client(settings)
    old = client.get_or_create_collection(settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"})
    old.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
    assert old.configuration_json["hnsw"]["ef_search"] == 100
    opened = store.chroma_collection(client, settings)
    hnsw = opened.configuration_json["hnsw"]
    assert hnsw["ef_search"] == settings.hnsw_ef_search == 400
    assert hnsw["space"] == "cosine"
    store.forget_embedded(settings)
    again = store.chroma_collection(store.chroma_client(settings), settings)
    assert again.configuration_json["hnsw"]["ef_search"] == 400
    assert again.query(query_embeddings=[[0.9, 0.1]], n_results=1)["ids"][0] == ["a"]
