"""Upload checks shared by the API and the Library tab: each problem has its own kind and message."""

from __future__ import annotations

import pytest

from assistant.uploads import Upload, UploadRejected, check_uploads, safe_name
from ingest.settings import Settings

SETTINGS = Settings(max_upload_mb=1)


@pytest.mark.parametrize(("uploads", "kwargs", "kind", "words"), [
    ([], {}, "empty", "No files"),
    ([Upload("virus.exe", 10)], {}, "unsupported", "virus.exe"),
    ([Upload("huge.pdf", 2 * 1024 * 1024)], {}, "too_large", "1 MB"),
    ([Upload("a b.pdf", 1), Upload("a-b.pdf", 1)], {}, "invalid", "same name"),
    ([Upload("a.pdf", 1), Upload("b.pdf", 1)], {"title": "One title"}, "invalid", "one file"),
    ([Upload("a.pdf", 1)], {"audience": "pupils"}, "invalid", "Unknown audience"),
])
def test_rejections_name_the_problem(uploads, kwargs, kind, words):
    with pytest.raises(UploadRejected) as err:
        check_uploads(uploads, SETTINGS, **kwargs)
    assert err.value.kind == kind and words in str(err.value)


def test_accepted_names_cannot_leave_the_uploads_folder():
    names = check_uploads([Upload("../../etc/Plan 2024.PDF", 5), Upload("C:\\x\\notes.md", 5)], SETTINGS,
                          audience="staff")
    assert names == ["Plan-2024.pdf", "notes.md"]
    assert safe_name("..") == "" and "/" not in safe_name("a/../../b.txt")
