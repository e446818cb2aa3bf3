"""Upload titles and types guessed from the documents themselves, and the edited values used at ingest."""

from __future__ import annotations

from pathlib import Path

import docx
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

from assistant.upload_guess import guess, guess_type
from tests.browser import ui_settings  # noqa: F401 - fixture


def _pdf(path: Path, heading: str, body: str, title: str | None = None) -> Path:
    styles = getSampleStyleSheet()
    kwargs = {"title": title} if title else {}
    SimpleDocTemplate(str(path), **kwargs).build([Paragraph(heading, styles["Title"]),
                                                  Paragraph(body, styles["BodyText"])])
    return path


def test_titles_come_from_properties_then_headings_and_types_from_words(tmp_path: Path) -> None:
    assert guess(_pdf(tmp_path / "scan0042.pdf", "Cover", "Planting in March.", title="Orchard Programme")) == (
        "Orchard Programme", "document")
    # reportlab's placeholder "(anonymous)" is no title: the first line is used instead
    title, kind = guess(_pdf(tmp_path / "doc1.pdf", "Attendance Policy", "Pupils attend every day."))
    assert (title, kind) == ("Attendance Policy", "policy")
    d = docx.Document()
    d.add_heading("Full Governing Board", 1)
    d.add_paragraph("Minutes of the meeting held on 3 March. Present: all governors.")
    d.save(tmp_path / "fgb.docx")
    assert guess(tmp_path / "fgb.docx") == ("Full Governing Board", "minutes")  # type from the opening text
    (tmp_path / "notes.md").write_text("# Curriculum Strategy 2025\n\nWe teach well.\n", encoding="utf-8")
    assert guess(tmp_path / "notes.md") == ("Curriculum Strategy 2025", "strategy")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    assert guess(tmp_path / "broken.pdf") == ("broken", "document")  # unreadable: the name, never an error
    assert guess_type("Safeguarding procedures") == "procedure" and guess_type("Termly newsletter") == "newsletter"


def test_the_edited_title_and_type_are_what_gets_ingested(ui_settings, assistant, tmp_path: Path) -> None:
    from assistant.access import principal_for_key
    from ui.library import LibraryHandlers

    lib = LibraryHandlers(assistant, ui_settings)
    pdf = _pdf(tmp_path / "scan0099.pdf", "Cover", "The orchard is planted every March.", title="Orchard Programme")
    assert lib.guess_meta([str(pdf)])["value"] == [["scan0099.pdf", "Orchard Programme", "document"]]
    status, *_ = lib.upload([str(pdf)], "all", "", "admin-key", [["scan0099.pdf", "Orchard Planting Plan", "plan"]])
    admin = principal_for_key(ui_settings, "admin-key")
    try:
        assert status.startswith("✓"), status
        [doc] = [d for d in assistant.kb.documents(admin) if d.doc_id.endswith("scan0099.pdf")]
        assert (doc.title, doc.doc_type) == ("Orchard Planting Plan", "plan")
    finally:
        lib.delete("uploads/scan0099.pdf", "admin-key")
    assert not [d for d in assistant.kb.documents(admin) if d.doc_id.endswith("scan0099.pdf")]
