"""Dense search under access filters: post-filtering gives exactly what Chroma's filter gives.

The demo index is small, so the app would always use Chroma's `where`; these tests force the
post-filter plan (as at trust scale) and compare it with the filter, on the real index.
"""

from __future__ import annotations

import pytest

import assistant.dense as dense
from assistant.access import audiences_for
from assistant.dense import PostFilteredRetriever, dense_retriever
from assistant.models import Filters, Principal
from tests.conftest import PRIVATE_DOC_ID

QUESTIONS = ["What are our values?", "What is Project Kestrel?", "How will we improve attendance?",
             "budget deficit recovery plan", "What does every lesson look like?"]


def _ids(retriever, question: str) -> list[str]:
    return [n.node.node_id for n in retriever.retrieve(question)]


def _plans(assistant, principal: Principal, filters: Filters | None, monkeypatch) -> tuple:
    kb = assistant.kb
    mask = kb.keyword.mask(principal.audiences, filters)
    k = assistant.settings.candidate_k
    filtered = dense_retriever(kb.vector_index, principal, filters, k, mask, prefilter_max=len(mask))
    monkeypatch.setattr(dense, "FETCH_CAP", 10**9)  # a narrow filter would otherwise choose `where`
    post = dense_retriever(kb.vector_index, principal, filters, k, mask, prefilter_max=0)
    return filtered, post


@pytest.mark.parametrize("question", QUESTIONS)
def test_post_filter_matches_chroma_filter_for_staff(assistant, question, monkeypatch):
    staff = Principal("staff", audiences_for("staff", assistant.settings))
    filtered, post = _plans(assistant, staff, None, monkeypatch)
    assert isinstance(post, PostFilteredRetriever) and not isinstance(filtered, PostFilteredRetriever)
    got = post.retrieve(question)
    assert [n.node.node_id for n in got] == _ids(filtered, question)
    assert all(n.node.metadata["audience"] in staff.audiences for n in got)
    assert all(PRIVATE_DOC_ID != n.node.metadata["doc_id"] for n in got)


def test_narrow_filter_falls_back_to_chroma_filter(assistant, monkeypatch):
    """A filter that keeps few chunks leaves too few survivors: the filtered query is used."""
    staff = Principal("staff", audiences_for("staff", assistant.settings))
    filters = Filters(doc_id=["demo/phase-2-growth-plan.txt"])
    filtered, post = _plans(assistant, staff, filters, monkeypatch)
    post.unfiltered = assistant.kb.vector_index.as_retriever(similarity_top_k=assistant.settings.candidate_k)
    got = post.retrieve("What are the phases?")
    assert post.fell_back and [n.node.node_id for n in got] == _ids(filtered, "What are the phases?")
    assert got and {n.node.metadata["doc_id"] for n in got} == {"demo/phase-2-growth-plan.txt"}


def test_governor_sees_the_paper_through_the_post_filter(assistant, monkeypatch):
    governor = Principal("governor", audiences_for("governor", assistant.settings))
    _, post = _plans(assistant, governor, None, monkeypatch)
    assert PRIVATE_DOC_ID in {n.node.metadata["doc_id"] for n in post.retrieve("What is Project Kestrel?")}


def test_post_filter_rule_matches_the_where_clause_semantics():
    """A chunk without an audience matches no `where`, so the predicate must not keep it either."""
    from assistant.dense import allows

    staff = Principal("staff", ("all", "staff"))
    keep = allows(staff, Filters(doc_type=["policy"]))
    assert keep({"audience": "staff", "doc_type": "policy"})
    assert not keep({"audience": "governors", "doc_type": "policy"})
    assert not keep({"audience": "all", "doc_type": "plan"})
    assert not keep({"doc_type": "policy"})
    assert allows(staff, None)({"audience": "all"}) and not allows(staff, None)({})


def test_bm25_hits_come_back_as_full_chunks(assistant):
    """Keyword-only retrieval returns whole chunks (text and metadata from Chroma), never the paper for staff."""
    staff = Principal("staff", audiences_for("staff", assistant.settings))
    got = assistant.retriever.retrieve("Kestrel catering contract deficit", staff, mode="bm25", top_k=10).evidence
    assert all(e.chunk.doc_id != PRIVATE_DOC_ID for e in got)
    governor = Principal("governor", audiences_for("governor", assistant.settings))
    got = assistant.retriever.retrieve("Kestrel catering contract deficit", governor, mode="bm25").evidence
    assert got[0].chunk.doc_id == PRIVATE_DOC_ID and "catering contract" in got[0].chunk.text
    assert got[0].keyword and got[0].keyword > 0 and got[0].chunk.page >= 1
