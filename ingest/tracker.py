"""The tracker's ingest step: what a document commits to, decides and says about its own review.

Run once per loaded document, before chunking, and stored with the document in the
docstore (replaced and deleted with it, carrying its audience). Kept apart from the
chunk/node mapping so that the tracker can change without touching how text is indexed:
`TRACKER_VERSION` names the rules, and a reader re-extracts a document whose stored rows
were made by older rules (assistant/commitments.py), so a rule change needs no re-ingest.
"""

from __future__ import annotations

from typing import Any

from ingest.commitments import extract_commitments
from ingest.minutes import extract_minutes, is_minutes
from ingest.models import Document
from ingest.reviews import ReviewInfo, extract_review

TRACKER_VERSION = "8"  # bump when extraction rules change


def extract_tracker_rows(doc: Document) -> list[dict]:
    """Minutes give actions and decisions; every other document its pledges, targets and milestones."""
    return extract_minutes(doc) if is_minutes(doc) else extract_commitments(doc)


def document_review(doc: Document) -> ReviewInfo:
    """Review metadata as the document states it; minutes are a record, not a policy under review."""
    return ReviewInfo() if is_minutes(doc) else extract_review(doc)


def tracker_metadata(doc: Document) -> dict[str, Any]:
    """The docstore metadata the tracker keeps for `doc`."""
    return {"commitments": extract_tracker_rows(doc), "review": document_review(doc).as_dict(),
            "tracker_version": TRACKER_VERSION}
