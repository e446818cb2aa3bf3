"""Commitments tracker over HTTP: the filtered list as JSON, or as a CSV download.

Both take the tracker's one filter model (`CommitmentFilters`, as query parameters) and
go through `assistant.tracker.list_commitments` with the caller's principal, so a staff
key never receives a row from a governors-only paper and the CSV holds exactly the JSON rows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from assistant.api.deps import KnowledgeDep, PrincipalDep
from assistant.api.routes import CSV_RESPONSES, csv_download
from assistant.tracker import Commitment, CommitmentFilters, list_commitments, to_csv

router = APIRouter(prefix="/api", tags=["commitments"])

FiltersQuery = Annotated[CommitmentFilters, Query()]


@router.get("/commitments", response_model=list[Commitment])
def get_commitments(kb: KnowledgeDep, principal: PrincipalDep, filters: FiltersQuery) -> list[Commitment]:
    """Pledges, targets, milestones, actions and decisions in documents the caller may read.
    `year`: in force that year; `year_from`/`year_to`: overlapping the range; `due_by`: due in or
    before; `kind`, `organisation`, `doc_id`, `doc_type`: repeat for several; `theme`, `owner`
    (or "not stated"), `q`: text filters."""
    return list_commitments(kb, principal, filters)


@router.get("/commitments.csv", response_class=Response, responses=CSV_RESPONSES)
def get_commitments_csv(kb: KnowledgeDep, principal: PrincipalDep, filters: FiltersQuery) -> Response:
    return csv_download(to_csv(list_commitments(kb, principal, filters)), "commitments.csv")
