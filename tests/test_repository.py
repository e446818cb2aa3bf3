"""The document repository (ingest/documents.py) and the one audience rule every reader goes through.

The repository's typed API is checked on the session's demo index; then a governors-only paper
is asked for through every public reader of documents — the knowledge base, suggestions,
onboarding, the commitments tracker, the review register and each HTTP route — as staff
(never there) and as a governor (there: so each check can fail).
"""

from __future__ import annotations

import json

import pytest

from assistant import onboarding, reviews, suggest, tracker
from assistant.access import PUBLIC, principal_for, readable
from ingest.documents import ChunkSpan, Heading, StoredDocument
from ingest.models import Block, Page
from tests.conftest import PRIVATE_DOC_ID, auth

VALUES = "demo/dudley-trust-values-vision-mission.txt"
PHASE2 = "demo/phase-2-growth-plan.txt"


@pytest.fixture(scope="module")
def kb(assistant):
    return assistant.kb


@pytest.fixture(scope="module")
def staff(demo_settings):
    return principal_for("staff", demo_settings)


@pytest.fixture(scope="module")
def governor(demo_settings):
    return principal_for("governor", demo_settings)


# -- the repository's API ------------------------------------------------------------------------

def test_get_and_list_return_typed_documents_with_their_chunk_spans(kb):
    docs = kb.docs.list()
    assert [d.doc_id for d in docs] == kb.docs.ids() and PRIVATE_DOC_ID in kb.docs.ids() and len(docs) == 6
    doc = kb.docs.get(VALUES)
    assert isinstance(doc, StoredDocument) and doc.title == "Values, Vision and Mission"
    assert doc.audience == "all" and doc.page_count == 1 and doc.source_path.endswith("values-vision-mission.txt")
    assert doc.chunks and all(isinstance(c, ChunkSpan) for c in doc.chunks)
    chroma = kb.ingestor.collection.get(where={"doc_id": VALUES}, include=["metadatas"])
    assert {c.chunk_id for c in doc.chunks} == set(chroma["ids"])
    assert kb.docs.get("demo/no-such-file.txt") is None


def test_pages_blocks_headings_and_chunk_at(kb):
    page = kb.docs.page(VALUES, 1)
    assert isinstance(page, Page) and page.text.startswith("Values, Vision & Mission")
    assert kb.docs.page(VALUES, 99) is None
    blocks = kb.docs.blocks(VALUES, 1)
    assert blocks and all(isinstance(b, Block) and page.text[b.start:b.end] == b.text for b in blocks)
    heads = kb.docs.headings(VALUES)
    assert all(isinstance(h, Heading) for h in heads)
    assert ("Values, Vision & Mission", "Our Values") in [h.path for h in heads]
    first = kb.docs.get(VALUES).chunks[0]
    assert kb.docs.chunk_at(VALUES, first.page, first.start) == first.chunk_id
    assert kb.docs.chunk_at(VALUES, first.page, 10**6) == ""
    whole = kb.docs.get(PHASE2).document()
    assert whole.meta.doc_id == PHASE2 and whole.pages == kb.docs.pages(PHASE2) and whole.format == "text"


def test_page_text_is_stored_once(kb):
    """One record per page holds its text; the document record holds metadata and spans only."""
    got = kb.docs.docs.get(where={"doc_id": VALUES}, include=["documents", "metadatas"])
    kinds = [m["kind"] for m in got["metadatas"]]
    assert kinds.count("doc") == 1 and kinds.count("page") == kb.docs.get(VALUES).page_count
    body = json.loads(got["documents"][kinds.index("doc")])
    assert set(body) == {"meta", "chunks"} and "pages" not in body["meta"] and "text" not in body["meta"]
    text = kb.docs.page(VALUES, 1).text
    assert sum(text in (d or "") for d in got["documents"]) == 1


def test_a_write_moves_the_change_counter(tmp_path):
    from ingest.pipeline import Ingestor
    from ingest.settings import Settings

    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nThe library opens at eight.\n")
    ing = Ingestor(Settings(data_dir=tmp_path / "data"))
    before = ing.documents.version()
    ing.ingest_corpus(folder, corpus="t")
    after = ing.documents.version()
    assert after > before
    ing.ingest_corpus(folder, corpus="t")  # nothing changed: nothing written
    assert ing.documents.version() == after
    assert ing.delete_document("t/a.md") and ing.documents.version() > after and ing.document_ids() == []


# -- one audience rule, through every reader ---------------------------------------------------------

def test_the_rule(staff, governor):
    assert readable(governor, {"audience": "governors"}) and not readable(staff, {"audience": "governors"})
    assert readable(staff, {"audience": "staff"}) and not readable(PUBLIC, {"audience": "staff"})
    assert not readable(governor, {}) and not readable(governor, {"audience": ""}), "no audience: nobody"


def _through_every_reader(kb, who) -> dict[str, bool]:
    """For each public reader: does the governors-only paper reach `who` through it?"""
    heads = kb.docs.headings(PRIVATE_DOC_ID)
    measures = next(h.path for h in heads if h.path[-1] == "Measures")
    span = kb.docs.get(PRIVATE_DOC_ID).chunks[0]
    return {
        "documents": PRIVATE_DOC_ID in {d.doc_id for d in kb.documents(who)},
        "document": kb.document(PRIVATE_DOC_ID, who) is not None,
        "page": kb.page(PRIVATE_DOC_ID, 1, who) is not None,
        "readable_documents": PRIVATE_DOC_ID in {d.doc_id for d in kb.readable_documents(who)},
        "stored": kb.stored(PRIVATE_DOC_ID, who) is not None,
        "headings": bool(kb.headings(PRIVATE_DOC_ID, who)),
        "chunk_at": bool(kb.chunk_at(PRIVATE_DOC_ID, span.page, span.start, who)),
        "suggest.headings_of": bool(suggest.headings_of(kb, PRIVATE_DOC_ID, who)),
        "suggest.section_answer": suggest.section_answer(kb, who, PRIVATE_DOC_ID, measures) is not None,
        "onboarding.default_path": any("Kestrel" in t.question for t in onboarding.default_path(kb, who)),
        "tracker.readable_documents": PRIVATE_DOC_ID in {d for d, _ in tracker.readable_documents(kb, who)},
        "tracker.list_commitments": any(c.doc_id == PRIVATE_DOC_ID for c in tracker.list_commitments(kb, who)),
        "reviews.list_reviews": any(r.doc_id == PRIVATE_DOC_ID for r in reviews.list_reviews(kb, who)),
    }


def test_a_governors_only_paper_reaches_staff_through_no_reader(kb, staff, governor):
    as_staff, as_governor = _through_every_reader(kb, staff), _through_every_reader(kb, governor)
    assert not any(as_staff.values()), [k for k, v in as_staff.items() if v]
    # The paper has headings, a section and chunks, and (per the fixture) no commitments or review dates;
    # everything else must reach a governor, or the staff check above proves nothing.
    assert all(v for k, v in as_governor.items() if k not in ("onboarding.default_path", "tracker.list_commitments",
                                                              "reviews.list_reviews")), as_governor
    assert not any("Kestrel" in t.question for t in onboarding.default_path(kb, None))  # no principal: public only


@pytest.mark.parametrize("path", [
    "/api/documents", f"/api/documents/{PRIVATE_DOC_ID}", f"/api/documents/{PRIVATE_DOC_ID}/pages/1",
    "/api/commitments", "/api/reviews", "/api/commitments.csv", "/api/reviews.csv", "/api/health",
])
def test_no_http_route_shows_the_paper_to_staff(api, path):
    staff = api.get(path, headers=auth("staff-key"))
    governor = api.get(path, headers=auth("gov-key"))
    if path.startswith(f"/api/documents/{PRIVATE_DOC_ID}"):  # the 404 names what was asked for, nothing more
        assert staff.status_code == 404 and governor.status_code == 200, (staff.text, governor.text[:200])
        assert "Kestrel" not in staff.text
        return
    assert PRIVATE_DOC_ID not in staff.text and "Kestrel" not in staff.text, (path, staff.text[:300])
    if path == "/api/documents":
        assert PRIVATE_DOC_ID in governor.text
    if path == "/api/health":
        assert governor.json()["documents"] == staff.json()["documents"] + 1
