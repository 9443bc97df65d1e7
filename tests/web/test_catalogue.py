"""Every page text and staff message has a French and an English translation."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gateway import i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
GATEWAY = i18n.LOCALE_DIR.parent
MEDIATION = GATEWAY.parent / "mediation"
TEMPLATES = "**/templates/**.html"


def _page_ids() -> set[str]:
    found = [
        *(
            message
            for package in (GATEWAY, MEDIATION)
            for message in extract_from_dir(
                str(package),
                method_map=[(TEMPLATES, "jinja2")],
                options_map={TEMPLATES: {"extensions": "jinja2.ext.i18n"}},
            )
        ),
        *(
            message
            for folder in ("staff", "web", "kiosk", "results", "paper_ocr")
            for message in extract_from_dir(str(GATEWAY / folder), keywords={"t": (2,), "N_": None})
        ),
    ]
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("language", i18n.languages())
def test_catalogue_covers_every_page(language: str) -> None:
    with i18n.catalogue_path(language).open("rb") as handle:
        entries = {m.id: m.string for m in read_po(handle) if m.id}
    used = _page_ids()
    assert "Skip to the content" in used and "SMS simulator" in used
    assert used <= set(entries), sorted(used - set(entries))
    for message_id in used:
        assert sorted(PLACEHOLDER.findall(entries[message_id])) == sorted(
            PLACEHOLDER.findall(message_id)
        )
