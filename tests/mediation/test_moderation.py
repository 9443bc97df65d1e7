"""Masking on a table of French free texts: phone numbers, e-mails, names; insults flagged."""

from __future__ import annotations

import pytest

from gateway.moderation import moderate

MASKED = [
    ("Appelez-moi au 06 12 34 56 78 pour le jardin", "Appelez-moi au […] pour le jardin"),
    ("mon numéro : 06.12.34.56.78.", "mon numéro : […]."),
    ("tel 0612345678 merci", "tel […] merci"),
    ("joignable au +33 6 12 34 56 78", "joignable au […]"),
    ("ou au +33612345678", "ou au […]"),
    ("fixe 01-45-67-89-10", "fixe […]"),
    ("écrivez à marie.dupont@example.fr svp", "écrivez à […] svp"),
    ("contact: jean+parc@mairie-exemple.gouv.fr", "contact: […]"),
    (
        "Bonjour, je m'appelle Marie Dupont et j'aime le parc",
        "Bonjour, je m'appelle […] et j'aime le parc",
    ),
    ("je m’appelle jean, il faut des bancs", "je m’appelle […], il faut des bancs"),
    ("Mon nom est Jean-Pierre Martin.", "Mon nom est […]."),
    ("moi c'est Fatou, habitante du quartier", "moi c'est […], habitante du quartier"),
    ("Cordialement, Ahmed Benali", "Cordialement, […]"),
    ("je suis Lucie Bernard, 12 rue des Lilas", "je suis […], 12 rue des Lilas"),
]
KEPT = [
    "Plus de bancs près de l'école",
    "je suis contente du projet",
    "Le budget de 200 000 euros est bien",
    "ouvert de 8 h à 20 h, 7 jours sur 7",
    "Il faut 2 000 arbres en 2027",
]


@pytest.mark.parametrize(("text", "published"), MASKED)
def test_personal_data_is_masked(text: str, published: str) -> None:
    moderated = moderate(text)
    assert moderated.published == published
    assert moderated.needs_review


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_published_as_written(text: str) -> None:
    moderated = moderate(text)
    assert (moderated.published, moderated.needs_review) == (text, False)


@pytest.mark.parametrize(
    ("text", "insults"),
    [
        ("Le maire est un connard", ("connard",)),
        ("projet DÉBILE, des enculés", ("debile", "encules")),
    ],
)
def test_insults_are_flagged_not_masked(text: str, insults: tuple[str, ...]) -> None:
    moderated = moderate(text)
    assert moderated.insults == insults and moderated.published == text


def test_the_original_is_never_changed() -> None:
    original = "je m'appelle Marie, 06 12 34 56 78"
    moderate(original)
    assert original == "je m'appelle Marie, 06 12 34 56 78"
