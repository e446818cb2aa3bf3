"""The policy review register over HTTP: `GET /api/reviews` (JSON) and `/api/reviews.csv`.

Both read `assistant.reviews.list_reviews` with the caller's principal (a governors-only
policy never reaches a staff key) and the shared `ReviewFilters`: organisation, doc_id,
doc_type, status (repeatable) and `today`, the date the status is computed as of.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from assistant.api.deps import KnowledgeDep, PrincipalDep
from assistant.api.routes import CSV_RESPONSES, csv_download
from assistant.reviews import ReviewFilters, ReviewRow, list_reviews, to_csv

router = APIRouter(prefix="/api", tags=["reviews"])

FiltersQuery = Annotated[ReviewFilters, Query()]


@router.get("/reviews", response_model=list[ReviewRow])
def get_reviews(kb: KnowledgeDep, principal: PrincipalDep, filters: FiltersQuery) -> list[ReviewRow]:
    """Each readable document's last and next review, cycle, reviewing body and status (overdue /
    due within 90 days / current / unknown) as of `today`, with the cover lines they were read from."""
    return list_reviews(kb, principal, filters)


@router.get("/reviews.csv", response_class=Response, responses=CSV_RESPONSES)
def get_reviews_csv(kb: KnowledgeDep, principal: PrincipalDep, filters: FiltersQuery) -> Response:
    return csv_download(to_csv(list_reviews(kb, principal, filters)), "reviews.csv")
