"""Every identity kind has one normal form, whatever the spelling."""

from __future__ import annotations

import pytest

from gateway.consultations.schema import IdentityKey
from gateway.identity import InvalidIdentity, normal_identity

SPELLINGS = [
    (
        IdentityKey.PHONE,
        "+33639987733",
        ["0639987733", "+33 6 39 98 77 33", "+33639987733 ", "tel:+33639987733",
         "0033639987733", "06.39.98.77.33", "+33 (0)6 39 98 77 33",
         "０６３９９８７７３３"],
    ),
    (
        IdentityKey.EMAIL,
        "alice.martin@mairie.example",
        ["Alice.Martin@Mairie.Example", " alice.martin@mairie.example\n",
         "ＡＬＩＣＥ.martin@mairie.example"],
    ),
    (
        IdentityKey.ONLINE_ACCOUNT,
        "alice_martin",
        ["Alice_Martin", "  alice_martin ", "ALICE_MARTIN", "ａｌｉｃｅ_ｍａｒｔｉｎ",
         "alice_martin\u00a0"],
    ),
    (IdentityKey.ONLINE_ACCOUNT, "jean dupont", ["Jean  Dupont", "\tjean\u2003dupont "]),
    (IdentityKey.ONLINE_ACCOUNT, "strasse", ["STRASSE", "Straße"]),
    (IdentityKey.BALLOT_SERIAL, "B0042XK", ["b-0042-xk", " B 0042 XK ", "Ｂ0042ＸＫ"]),
    (IdentityKey.KIOSK_TICKET, "K7F3Q9", ["k7f3-q9", "K7F3 Q9"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [(kind, raw, normal) for kind, normal, spellings in SPELLINGS for raw in [normal, *spellings]],
)
def test_every_spelling_has_one_normal_form(kind: IdentityKey, raw: str, normal: str) -> None:
    assert normal_identity(kind, raw) == normal
    assert normal_identity(kind, normal) == normal


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        (IdentityKey.PHONE, "12", "not a possible phone number"),
        (IdentityKey.PHONE, "abc", "not a phone number"),
        (IdentityKey.PHONE, "+33 1", "not a phone number"),
        (IdentityKey.PHONE, "06 39 98 77 33 99", "not a possible phone number"),
        (IdentityKey.EMAIL, "alice", "not an e-mail address"),
        (IdentityKey.EMAIL, "alice@", "not an e-mail address"),
        (IdentityKey.EMAIL, "a b@mairie.example", "not an e-mail address"),
        (IdentityKey.ONLINE_ACCOUNT, " \u00a0\t", "the identifier is empty"),
        (IdentityKey.BALLOT_SERIAL, " - ", "the identifier is empty"),
    ],
)
def test_what_is_not_an_identifier_is_refused(kind: IdentityKey, raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentity, match=reason):
        normal_identity(kind, raw)
