"""Resident-facing text through gettext catalogues, one `.po` file per language.

Message ids are the English text. Catalogues live in
`gateway/locale/<lang>/LC_MESSAGES/portevoix.po` and are compiled in memory on
first use, so adding a language is adding a file, with no build step and no
compiled `.mo` in the repository. Extract new ids with
`pybabel extract -k t:2 -k N_ -o portevoix.pot gateway`.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "portevoix"
DEFAULT_LANGUAGE = "fr"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def languages() -> tuple[str, ...]:
    """Every language with a catalogue, the default first."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (DEFAULT_LANGUAGE, *(code for code in found if code != DEFAULT_LANGUAGE))


@cache
def translations(language: str) -> Translations:
    with catalogue_path(language).open("rb") as handle:
        catalogue = read_po(handle, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def load_catalogues() -> None:
    """Compile every catalogue now (about 20 ms each), not for the first resident served."""
    for language in languages():
        translations(language)


def t(language: str, message: str, **values: object) -> str:
    """Translate `message` (English) into `language`, then fill its %(name)s fields."""
    if language not in languages():
        language = DEFAULT_LANGUAGE
    text: str = translations(language).gettext(message)
    return text % values if values else text


def N_(message: str) -> str:
    """Mark a message id for extraction where it is defined; `t` translates it later."""
    return message
