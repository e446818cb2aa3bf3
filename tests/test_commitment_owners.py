"""Owners of commitments as other schools write them (issue 11 part 2), on generated documents.

Each owner pattern is checked on a real PDF made by tests/docgen.py and read by the real loader,
with the answer known from the text written into it; the flattened-table case is built with the
loaders' own DocumentBuilder, because the split a PDF table suffers cannot be forced from reportlab.
"""

from __future__ import annotations

import pytest

from evals.commitments_eval import _same_owner
from ingest.commitment_cues import find_owner, kind_of
from ingest.commitment_roles import owners_in
from ingest.commitments import extract_commitments
from ingest.loaders import load_document
from ingest.models import Document, DocumentBuilder, DocumentMeta
from tests.docgen import report_pdf_bytes, write

#: (sentence written into the policy, owner the tracker must give, kind)
POLICY = [
    ("The SENDCo will review the SEND register every term.", "SENDCo", "pledge"),
    ("Class teachers are responsible for setting suitable learning challenges for every pupil.", "Class teachers",
     "pledge"),
    ("The Governing Body, Headteacher and the SENDCo will work together to check the policy works.",
     "Governing Body/Headteacher/SENDCo", "pledge"),
    ("Where progress is slow, the class teacher will work with the SENDCo to agree support.", "class teacher",
     "pledge"),
    ("Governors have a legal duty to publish the SEND information report.", "Governors", "pledge"),
    ("The day-to-day operation of the policy is the responsibility of the Special Educational Needs "
     "Co-ordinator (SENDCo).", "SENDCo", "pledge"),
    ("The designated safeguarding lead will keep a record of every concern.", "designated safeguarding lead",
     "pledge"),
    ("Extra support will be provided under the guidance of the class teacher.", "class teacher", "pledge"),
    ("This policy will be approved by the Governing Body.", "Governing Body", "milestone"),
    ("We will publish the report on the school website.", None, "pledge"),
    ("The school will consult parents before involving an outside agency.", None, "pledge"),
]


@pytest.fixture(scope="module")
def policy_rows(tmp_path_factory):
    content = [("title", "SEND Policy"), ("h1", "Roles and responsibilities")]
    content += [("para", text) for text, _, _ in POLICY]
    content += [("para", "Parents can contact the SENDCo at any time.")]
    path = write(tmp_path_factory.mktemp("owners") / "send-policy.pdf", report_pdf_bytes(content))
    doc = load_document(path, DocumentMeta(doc_id="t/send-policy.pdf", title="SEND Policy", source_path=str(path)))
    return extract_commitments(doc)


@pytest.mark.parametrize("text, owner, kind", POLICY)
def test_role_owners_from_a_generated_policy_pdf(policy_rows, text, owner, kind):
    hits = [r for r in policy_rows if " ".join(r["text"].split()) == text]
    assert hits, f"not extracted: {text!r} (got {[r['text'] for r in policy_rows]})"
    assert (hits[0]["owner"], hits[0]["kind"]) == (owner, kind)


def test_a_post_that_is_only_mentioned_is_neither_owner_nor_commitment(policy_rows):
    assert not [r for r in policy_rows if "contact the SENDCo" in r["text"]]


def test_lead_column_of_a_generated_pdf_table(tmp_path):
    content = [("title", "Accessibility Plan"), ("h1", "Action plan"),
               ("table", [["Objective", "Lead", "Time"],
                          ["Improve signage to show access routes", "SBM", "Summer 2025"],
                          ["Review provision for limited mobility", "SENDCo Headteacher", "Autumn 2025"],
                          ["Widen the pathways to the playground", "Head, Deputy and SENDCo", "2026"]])]
    path = write(tmp_path / "plan.pdf", report_pdf_bytes(content))
    doc = load_document(path, DocumentMeta(doc_id="t/plan.pdf", title="Plan", source_path=str(path)))
    owners = {r["text"].split(" | ")[0]: r["owner"] for r in extract_commitments(doc)}
    assert owners.get("Improve signage to show access routes") == "SBM"
    assert owners.get("Review provision for limited mobility") == "SENDCo/Headteacher"
    assert owners.get("Widen the pathways to the playground") == "Head/Deputy/SENDCo"


def _flattened_plan() -> Document:
    """A Lead-column table as a PDF flattens it: each row's Lead cell lands in a later block."""
    b = DocumentBuilder()
    b.new_page(1)
    b.heading("Action plan 2024-2026", 1)
    b.heading("Objectives Current practice Actions Lead Resources Time", 2)
    b.table_row("Support of children’s mental health | Full time pastoral assistant.")
    b.paragraph("School counsellor up to July 2024.")
    b.table_row("Wellbeing practitioner support | Head, Deputy and SENDCo | Pastoral Teaching Assistant")
    b.table_row("Provision of accessible toilets | Accessible but shabby")
    b.table_row("Headteacher Repairs and Maintenance | 2025 | Toilet refurbished.")
    b.table_row("Improvements for pupils with hearing difficulties | Obtain quotes for a hearing loop.")
    b.paragraph("SENDCo")
    b.paragraph("Headteacher")
    b.table_row("Hearing loop | By Summer 2026 | All pupils hear well.")
    b.table_row("Provide opportunities for parents to communicate | SENDCo providing meetings for parents.")
    meta = DocumentMeta(doc_id="t/flat.pdf", title="Flat", source_path="flat.pdf")
    return Document(meta=meta, pages=b.build(), file_hash="x", format="pdf")


def test_lead_cell_in_a_later_block_of_a_flattened_row():
    rows = extract_commitments(_flattened_plan())
    owners = {r["text"].split(" | ")[0]: r["owner"] for r in rows}
    assert owners["Support of children’s mental health"] == "Head/Deputy/SENDCo"
    assert owners["Provision of accessible toilets"] == "Headteacher"
    assert owners["Improvements for pupils with hearing difficulties"] == "SENDCo/Headteacher"
    # "SENDCo providing ..." is the current-practice column, not the Lead column: no owner
    assert owners["Provide opportunities for parents to communicate"] is None
    # the row's tail ("Headteacher Repairs and Maintenance | 2025 | ...") is not a commitment of its own
    assert not [r for r in rows if r["text"].startswith("Headteacher Repairs")]


def test_no_lead_column_no_borrowed_owner():
    """Without a Lead/Owner/Responsible column title, a later post cell is not an earlier row's owner."""
    b = DocumentBuilder()
    b.new_page(1)
    b.heading("Action plan 2024-2026", 1)
    b.table_row("Support of children’s mental health | Full time pastoral assistant.")
    b.paragraph("SENDCo")
    doc = Document(meta=DocumentMeta(doc_id="t/x.pdf", title="X", source_path="x.pdf"), pages=b.build(),
                   file_hash="x", format="pdf")
    assert [r["owner"] for r in extract_commitments(doc)] == [None]


@pytest.mark.parametrize("text, owners", [
    ("The responsibility for this policy falls to the Headteacher; its operation is the responsibility of the "
     "Special Educational Needs and Disabilities Co-ordinator (SENDCo).", ["Headteacher", "SENDCo"]),
    ("The staff and governors of Oak Primary School will work to include every pupil.", ["staff", "governors"]),
    ("This review will inform planning, then the class teacher, working with the SENDCo, will revise the support.",
     ["class teacher"]),
    ("The Headteacher will work closely with the SENDCo and the Governor with responsibility for SEND.",
     ["Headteacher"]),
    ("Teaching assistants will liaise with the class teacher on planning.", ["Teaching assistants"]),
    ("Parents/carers can contact the class teacher or SENDCo at any point.", []),
    ("The Trust will continue to provide vouchers.", []),
])
def test_owners_in_running_text(text, owners):
    assert owners_in(text) == owners


def test_cell_posts_need_the_next_column_not_a_verb():
    assert find_owner("Provide opportunities | SENDCo providing face to face meetings") is None
    assert find_owner("Audit the clubs | Questionnaires analysed | PE Coordinator | Subject leader time") == "PE Coordinator"
    assert find_owner("Inclusive teaching | Ongoing support | SENDCo Dyslexia Specialist Teacher SLT | Staff Meetings") \
        == "SENDCo/Dyslexia Specialist Teacher/SLT"


@pytest.mark.parametrize("text, kind", [
    ("This document will be reviewed every 3 years.", "milestone"),
    ("The plan will be made available online on the school website.", "pledge"),
    ("Improvements to the environment for pupils with hearing difficulties | Obtain quotes", "pledge"),
    ("All children will be able to access written material.", "target"),
])
def test_kinds_of_policy_wording(text, kind):
    assert kind_of(text, ("Action plan",)) == kind


def test_eval_compares_owners_as_sets_of_posts():
    assert _same_owner("Head, Deputy and SENDCo", "Head/Deputy/SENDCo")
    assert _same_owner("the SENDCo", "SENDCo")
    assert not _same_owner("SENDCo", "SENDCo/Headteacher")
    assert not _same_owner(None, "SENDCo")
