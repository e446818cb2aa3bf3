"""Commitments tracker over HTTP: the filtered list as JSON, or as a CSV download.

Both go through `assistant.commitments.list_commitments` with the caller's
principal, so a staff key never receives a commitment from a governors-only paper.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from assistant.api.deps import KnowledgeDep, PrincipalDep
from assistant.commitments import CommitmentView, list_commitments, to_csv

router = APIRouter(prefix="/api", tags=["commitments"])

Strings = Annotated[list[str] | None, Query(description="Repeat for several values")]


def _rows(kb, principal, organisation, doc_id, year, year_from, year_to, theme, owner, q) -> list[CommitmentView]:
    return list_commitments(kb, principal, organisation=organisation or None, doc_id=doc_id or None, year=year,
                            year_from=year_from, year_to=year_to, theme=theme, owner=owner, q=q)


@router.get("/commitments", response_model=list[CommitmentView])
def get_commitments(
    kb: KnowledgeDep, principal: PrincipalDep, organisation: Strings = None, doc_id: Strings = None,
    year: int | None = None, year_from: int | None = None, year_to: int | None = None,
    theme: str | None = None, owner: str | None = None, q: str | None = None,
) -> list[CommitmentView]:
    """Commitments in documents the caller may read. `year`: in force that year; `year_from`/`year_to`:
    overlapping the range; `theme`, `owner`, `q`: case-insensitive text filters."""
    return _rows(kb, principal, organisation, doc_id, year, year_from, year_to, theme, owner, q)


@router.get("/commitments.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The same list as CSV"}})
def get_commitments_csv(
    kb: KnowledgeDep, principal: PrincipalDep, organisation: Strings = None, doc_id: Strings = None,
    year: int | None = None, year_from: int | None = None, year_to: int | None = None,
    theme: str | None = None, owner: str | None = None, q: str | None = None,
) -> Response:
    rows = _rows(kb, principal, organisation, doc_id, year, year_from, year_to, theme, owner, q)
    return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="commitments.csv"'})
