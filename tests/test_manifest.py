"""sources.toml is validated (issue 13 part 7): a bad value is refused with its file, entry and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.manifest import load_manifest
from ingest.models import LoadError
from tests.conftest import DEMO


def _manifest(tmp_path: Path, text: str):
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    return load_manifest(tmp_path)


def test_the_demo_manifest_is_valid():
    manifest = load_manifest(DEMO)
    assert manifest.name == "demo" and len(manifest.files) == 5 and manifest.onboarding


@pytest.mark.parametrize(("text", "words"), [
    ('[[documents]]\nfile = "pay.md"\naudiance = "governors"\n', ["sources.toml", "pay.md", "audiance", "audience"]),
    ('[[documents]]\nfile = "pay.md"\naudience = "governers"\n', ["pay.md", "audience", "governers"]),
    ('[defaults]\naudience = "pupils"\n', ["[defaults]", "pupils"]),
    ('[[documents]]\ntitle = "No file"\n', ["#1", "file", "required"]),
    ('[[documents]]\nfile = "a.md"\ntitle = ["x", "y"]\n', ["a.md", "title"]),
    ('[[documents]]\nfile = "a.md"\n[[documents]]\nfile = "a.md"\n', ["a.md", "two"]),
    ('[corpus]\nnmae = "x"\n', ["corpus.nmae"]),
    ('[[onboarding]]\ntopic = "Values"\n', ["onboarding", "question"]),
    ('[starter]\nstaff = ["x"]\n', ["starter"]),
    ('[[documents]\nfile = "a.md"\n', ["invalid TOML"]),
])
def test_bad_manifests_name_the_file_and_key(tmp_path: Path, text: str, words: list[str]):
    with pytest.raises(LoadError) as err:
        _manifest(tmp_path, text)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_other_features_keys_and_dates_are_kept(tmp_path: Path):
    manifest = _manifest(tmp_path, '[[documents]]\nfile = "a.md"\nnext_review = 2026-09-01\nreviewed_by = "Board"\n'
                                   'audience = "staff"\n')
    assert manifest.files["a.md"] == {"next_review": "2026-09-01", "reviewed_by": "Board", "audience": "staff"}


def test_configured_audiences_are_accepted(tmp_path: Path):
    (tmp_path / "sources.toml").write_text('[[documents]]\nfile = "a.md"\naudience = "trustees"\n', encoding="utf-8")
    with pytest.raises(LoadError):
        load_manifest(tmp_path)
    assert load_manifest(tmp_path, audiences=frozenset({"all", "trustees"})).files["a.md"]["audience"] == "trustees"
