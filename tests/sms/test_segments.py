"""Segment counting and GSM-7 transliteration, checked against known cases."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.sms.segments import Encoding, SegmentInfo, analyse, is_gsm7, transliterate

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
EMOJI = "🙂"  # U+1F642: one code point, a UTF-16 surrogate pair.


def test_basic_alphabet_has_the_127_spec_characters() -> None:
    # 128 positions minus the escape.
    assert len(set(GSM7_BASIC)) == 127


@pytest.mark.parametrize("char", list(GSM7_BASIC))
def test_basic_alphabet_costs_one_septet(char: str) -> None:
    assert analyse(char) == SegmentInfo(Encoding.GSM7, 1, 1, 160)


@pytest.mark.parametrize("char", list(GSM7_EXTENSION))
def test_extension_table_costs_two_septets(char: str) -> None:
    assert analyse(char) == SegmentInfo(Encoding.GSM7, 2, 1, 160)


@pytest.mark.parametrize(
    "char",
    # Lowercase ç, circumflexes, ë/ï, œ and typographic punctuation are common
    # in French and all outside GSM-7; so are capitals of GSM-7 lowercase.
    [*"çêâîôûëïœŒÀÈÙÊ’‘“”«»–—…`\t\u00a0\u202f\x1b", EMOJI],
)
def test_non_gsm7_characters_force_ucs2(char: str) -> None:
    assert not is_gsm7(char)
    assert analyse(char).encoding is Encoding.UCS2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentInfo(Encoding.GSM7, 0, 0, 160)),
        ("a" * 160, SegmentInfo(Encoding.GSM7, 160, 1, 160)),
        ("a" * 161, SegmentInfo(Encoding.GSM7, 161, 2, 153)),
        ("a" * 306, SegmentInfo(Encoding.GSM7, 306, 2, 153)),
        ("a" * 307, SegmentInfo(Encoding.GSM7, 307, 3, 153)),
        ("a" * 158 + "€", SegmentInfo(Encoding.GSM7, 160, 1, 160)),
        # 160 characters, but the euro needs an escape: 161 septets.
        ("a" * 159 + "€", SegmentInfo(Encoding.GSM7, 161, 2, 153)),
        # 306 septets would make 2 segments, but the euro cannot straddle
        # septets 153/154, so segment one carries 152 and the rest spills.
        ("a" * 152 + "€" + "a" * 152, SegmentInfo(Encoding.GSM7, 306, 3, 153)),
        # Same size, escape pair fully inside segment one: no spill.
        ("a" * 151 + "€" + "a" * 153, SegmentInfo(Encoding.GSM7, 306, 2, 153)),
        ("Ça va", SegmentInfo(Encoding.GSM7, 5, 1, 160)),
        ("Bonjour, ça va ?", SegmentInfo(Encoding.UCS2, 16, 1, 70)),
        ("ç" * 70, SegmentInfo(Encoding.UCS2, 70, 1, 70)),
        ("ç" * 71, SegmentInfo(Encoding.UCS2, 71, 2, 67)),
        ("ç" * 134, SegmentInfo(Encoding.UCS2, 134, 2, 67)),
        ("ç" * 135, SegmentInfo(Encoding.UCS2, 135, 3, 67)),
        # In UCS-2 the euro is an ordinary single unit.
        ("ç€", SegmentInfo(Encoding.UCS2, 2, 1, 70)),
        (EMOJI, SegmentInfo(Encoding.UCS2, 2, 1, 70)),
        (EMOJI * 35, SegmentInfo(Encoding.UCS2, 70, 1, 70)),
        (EMOJI * 36, SegmentInfo(Encoding.UCS2, 72, 2, 67)),
        # 134 units would make 2 segments, but the surrogate pair cannot
        # straddle units 67/68, so segment one carries 66 and the rest spills.
        ("ç" * 66 + EMOJI + "ç" * 66, SegmentInfo(Encoding.UCS2, 134, 3, 67)),
        ("ç" * 65 + EMOJI + "ç" * 67, SegmentInfo(Encoding.UCS2, 134, 2, 67)),
    ],
)
def test_analyse(text: str, expected: SegmentInfo) -> None:
    assert analyse(text) == expected


@pytest.mark.parametrize(
    ("text", "fits"),
    [("", True), ("a" * 160, True), ("a" * 161, False), ("ç" * 70, True), ("ç" * 71, False)],
)
def test_fits_one_segment(text: str, fits: bool) -> None:
    assert analyse(text).fits_one_segment is fits


def test_encoding_values_are_the_usual_names() -> None:
    assert [str(e) for e in Encoding] == ["GSM-7", "UCS-2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Vous êtes d’accord ? Répondez « oui » ou « non » … merci 🙂",
            'Vous etes d\'accord ? Répondez "oui" ou "non" ... merci',
        ),
        # French typography: non-breaking spaces inside guillemets and before
        # ? ! ; : and narrow no-break spaces as thousands separators.
        ("«\u00a0Oui\u00a0» ou «\u202fnon\u202f»\u00a0?", '"Oui" ou "non" ?'),
        ("10\u202f000\u00a0€ à Besançon", "10 000 € à Besancon"),
        ("ça", "ca"),
        ("Ça, ça", "Ça, ca"),
        ("fête, Noël, âge, île, maïs, hôtel, sûr", "fete, Noel, age, ile, mais, hotel, sur"),
        ("cœur, Œuvre", "coeur, OEuvre"),
        ("l’école, l‘été, “guillemets”", "l'école, l'été, \"guillemets\""),
        ("A – B — C", "A - B - C"),
        ("Attendez…", "Attendez..."),
        # GSM-7 letters stay, including ü, æ, Ç and the Greek capitals.
        ("Müller, æther, Ça, Δ, ça", "Müller, æther, Ça, Δ, ca"),
        # Capitals of GSM-7 lowercase letters are not GSM-7 themselves.
        ("À BIENTÔT, ÉTÉ ÈRE", "A BIENTOT, ÉTÉ ERE"),
        # Decomposed input is recomposed before deciding what to keep.
        ("e\u0301te\u0301 ç", "été c"),
        # Generic decomposition for accents French does not use.
        ("Dvořák, Łódź", "Dvorak, Lodz"),
        ("ﬁn, x², ½", "fin, x2, 1/2"),
        ("Merci 🙂 !", "Merci !"),
        ("🙂 Bonjour 👍🏽\n👋 Au revoir 🙂", "Bonjour\nAu revoir"),
        ("tab\there ç", "tab here c"),
    ],
)
def test_transliterate(text: str, expected: str) -> None:
    result = transliterate(text)
    assert result == expected
    assert analyse(result).encoding is Encoding.GSM7


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ça va ? Répondez OUI ou NON.",
        "Réunion à 18h, salle des fetes ? non: salle Pierre-Dupont.",
        GSM7_BASIC,
        GSM7_EXTENSION,
        # Already GSM-7: even doubled spaces are the writer's to keep.
        "Deux  espaces  ",
    ],
)
def test_transliterate_leaves_gsm7_text_alone(text: str) -> None:
    assert transliterate(text) == text


@pytest.mark.parametrize(
    "text",
    ["Vous êtes d’accord ? 🙂", "« non »  …  ", "Łódź\u2028ça", "\ud83d lone surrogate"],
)
def test_transliterate_is_idempotent(text: str) -> None:
    once = transliterate(text)
    assert transliterate(once) == once


def test_transliterate_always_yields_gsm7() -> None:
    # Every BMP code point (surrogates included) plus a sample of the rest.
    chars = [chr(cp) for cp in range(0x10000)] + [chr(cp) for cp in range(0x1F300, 0x1FB00)]
    not_gsm7 = [c for c in chars if not is_gsm7(transliterate(f"a{c}b"))]
    assert not_gsm7 == []


@given(st.text(max_size=200))
def test_any_text_transliterates_to_gsm7_and_gsm7_text_stays_as_it_is(text: str) -> None:
    # Whatever a definition or a resident writes, the result can go out in GSM-7.
    sent = transliterate(text)
    assert is_gsm7(sent) == all(char in GSM7_BASIC + GSM7_EXTENSION for char in sent)
    assert is_gsm7(sent)
    assert transliterate(sent) == sent
