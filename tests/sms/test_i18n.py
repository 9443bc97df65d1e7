"""Every resident-facing message has a translation with the same placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gateway import i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _used_ids() -> set[str]:
    found = extract_from_dir(str(i18n.LOCALE_DIR.parent / "sms"), keywords={"t": (2,), "N_": None})
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("language", i18n.languages())
def test_catalogue_covers_every_message(language: str) -> None:
    with i18n.catalogue_path(language).open("rb") as handle:
        catalogue = read_po(handle)
    entries = {m.id: m.string for m in catalogue if m.id}
    used = _used_ids()
    assert used and used <= set(entries), sorted(used - set(entries))
    for message_id, text in entries.items():
        assert text, f"{language}: no translation for {message_id!r}"
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(message_id))


def test_unknown_language_falls_back_to_french() -> None:
    assert i18n.t("xx", "This is the first question.") == "C'est la première question."
    assert i18n.languages()[0] == "fr" and "en" in i18n.languages()
