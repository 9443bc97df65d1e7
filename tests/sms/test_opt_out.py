"""Opt-out first, in any state, in French and English; confirmed once; START to come back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.runtime import Runtime
from gateway.sms.keywords import is_opt_in, is_opt_out
from gateway.sms.models import SmsConversation
from tests.sms.twilio import Phone

OPT_OUTS = ["STOP", "stop", " Stop! ", "ARRET", "ARRÊT", "arrêt", "Arrêter", "STOP SMS",
            "stop sms", "STOPSMS", "DESABONNER", "Désabonner", "désinscription", "UNSUBSCRIBE",
            "unsubscribe", "CANCEL", "END", "QUIT", "STOPALL", "stop merci", "STOP SVP",
            "Stop s'il vous plaît", "arrêt tout", "stop sms merci", "Unsubscribe please",
            "STOP ALL", "STOP STOP", "stop!!!", "Arrêt.", "stop stop stop", "STOP. STOP.",
            "Stop, merci !", "END END", "arrêt arrêt svp", "opt out"]  # fmt: skip
NOT_OPT_OUTS = ["PARC", "oui", "1", "arrêtez de couper les arbres du parc", "non", "FIN",
                "stopper la circulation rue des Lilas le dimanche", "", "Arrêt de bus",
                "Stop aux crottes", "stop au bruit", "arrêt bus", "Stop aux voitures",
                "stop s'il vous", "stop stop les voitures", "merci stop", "fin stop"]  # fmt: skip


@pytest.mark.parametrize("text", OPT_OUTS)
def test_opt_out_words(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_not_opt_out_words(text: str) -> None:
    assert not is_opt_out(text)


@pytest.mark.parametrize("text", ["START", "start", "DEBUT", "Début", "UNSTOP"])
def test_opt_in_words(text: str) -> None:
    assert is_opt_in(text)


@pytest.mark.parametrize("word", ["STOP", "ARRÊT", "DESABONNER"])
def test_opt_out_mid_conversation_confirms_once_then_silence(phone: Phone, word: str) -> None:
    phone.text("PARC")
    phone.text("oui")
    assert phone.text(word) == [
        "Vous ne recevrez plus de SMS de notre part. Pour recommencer, envoyez DEBUT."
    ]
    assert phone.text(word) == []
    assert phone.text("PARC") == []
    assert phone.text("2") == []
    back = phone.text("DEBUT")
    assert back[0].startswith("Bon retour : vous pouvez de nouveau recevoir nos SMS.")
    assert phone.text("2")[0].startswith("Nous ne connaissons pas ce code")  # answers were dropped


def test_english_opt_out_is_confirmed_in_english(phone: Phone) -> None:
    assert phone.text("UNSUBSCRIBE") == [
        "You will not get SMS from us any more. To start again, send START."
    ]


def test_opt_out_beats_the_flood_limit(phone: Phone) -> None:
    limit = phone.client.app.state.runtime.settings.sms_flood_limit  # type: ignore[attr-defined]
    for _ in range(limit + 3):
        phone.text("?")
    assert phone.text("STOP")[0].startswith("Vous ne recevrez plus")


def test_a_number_that_opted_out_gets_no_conversation(phone: Phone, sms_runtime: Runtime) -> None:
    phone.text("STOP")
    assert phone.text("PARC") == []
    with sms_runtime.sessions() as session:
        assert session.scalars(select(SmsConversation)).all() == []


def test_an_idea_that_starts_with_stop_is_an_answer(phone: Phone) -> None:
    for body in ["PARC", "oui", "1", "4", "2"]:
        phone.text(body)
    assert phone.text("Arrêt de bus")[0].startswith("6/7")
    assert phone.text("RETOUR")[0].startswith("5/7")  # still in the conversation


def test_opt_out_inside_a_free_text_question(phone: Phone) -> None:
    for body in ["PARC", "oui", "1", "4", "2"]:
        phone.text(body)
    assert phone.text("STOP STOP")[0].startswith("Vous ne recevrez plus")
    assert phone.text("Une idée") == []
