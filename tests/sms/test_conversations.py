"""Whole conversations over signed webhooks, ending in the store and in the tally."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.contributions.intake import ParticipantRef
from gateway.identity import participant_key
from gateway.results.tally import tally
from gateway.runtime import Runtime
from gateway.sms.check import consultation_messages, costly_messages
from gateway.sms.models import SmsConversation
from gateway.sms.segments import analyse, is_gsm7, transliterate
from gateway.store.models import Answer, Channel, Contribution, ContributionEvidence, Evidence
from tests.helpers import make_intake, record
from tests.sms.conftest import Clock, make_sms_runtime
from tests.sms.twilio import INBOUND, Phone, new_sid, post_signed, recorded, replies


def _contributions(runtime: Runtime) -> list[Contribution]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Contribution).order_by(Contribution.id)).all()
        for row in rows:
            _ = row.answers
        return list(rows)


def test_parc_from_code_to_receipt(phone: Phone, sms_runtime: Runtime) -> None:
    start = phone.text(" Parc ")
    assert start[0].startswith("Le nouveau parc des Tilleuls : 7 questions")
    assert start[1].startswith("1/7 Allez-vous au parc")
    assert phone.text("OUI!")[0].startswith("2/7")
    assert phone.text("les arbres")[0].startswith("3/7")
    assert phone.text("quatre")[0].startswith("4/7")
    assert phone.text("deux")[0].startswith("5/7")
    assert phone.text("Plus d'ombre près des bancs 🌳")[0].startswith("6/7")
    assert phone.text("PASSER")[0].startswith("7/7")
    last = phone.text("2")
    assert last[-1].startswith("Merci ! Vos réponses sont enregistrées. Votre code de recu : ")
    receipt = last[-1].rsplit(" ", 1)[1]
    [contribution] = _contributions(sms_runtime)
    assert (contribution.channel, contribution.status, contribution.receipt_code) == (
        "sms",
        "counted",
        receipt,
    )
    values = {a.question_id: a.value for a in contribution.answers}
    assert values == {
        "frequentation": "yes",
        "priorite": "arbres",
        "satisfaction": 4,
        "visites": 2,
        "idee": "Plus d'ombre près des bancs 🌳",
        "quartier": "tilleuls",
    }
    assert {a.source for a in contribution.answers} == {"sms"}
    raws = {a.question_id: a.raw_input for a in contribution.answers}
    assert raws["priorite"] == "les arbres"
    with sms_runtime.sessions() as session:
        result = tally(session, "PARC")
        evidence = session.scalars(
            select(Evidence)
            .join(ContributionEvidence)
            .where(ContributionEvidence.contribution_id == contribution.id)
        ).one()
        conversation = session.scalars(select(SmsConversation)).one()
    assert result.by_channel == {"sms": 1}
    assert result.questions[0].by_channel == {"sms": {"yes": 1}}
    transcript = sms_runtime.evidence.read(evidence.sha256).decode()
    assert "les arbres" in transcript and "+336" not in transcript
    assert conversation.answers == {}


def test_budget_vote_with_words_and_numbers(phone: Phone, sms_runtime: Runtime) -> None:
    phone.text("budget")
    assert phone.text("1 2 3 4")[0].startswith("Vous pouvez choisir 3 au plus")
    assert phone.text("jardin et 7")[0].startswith("2/2 Quel age")
    last = phone.text("60 ans ou plus")[-1]
    # The resident reads back what was counted, by the labels they were offered.
    assert last.startswith("Votre vote : Jardin partage, Eclairage.\nMerci !")
    [contribution] = _contributions(sms_runtime)
    values = {a.question_id: a.value for a in contribution.answers}
    assert values == {"projets": ["jardin-partage", "eclairage"], "tranche-age": "60-plus"}
    with sms_runtime.sessions() as session:
        counts = tally(session, "BUDGET").questions[0].counts
    assert counts["jardin-partage"] == 1 and counts["eclairage"] == 1


def test_english_on_en(phone: Phone) -> None:
    assert phone.text("EN")[0].startswith("To take part, send one of these codes: BUDGET, PARC")
    start = phone.text("PARC")
    assert start[0].startswith("The new Parc des Tilleuls: 7 questions")
    assert start[1] == "1/7 Do you go to the Parc des Tilleuls?\n1 Yes\n2 No"
    assert phone.text("yes")[0].startswith("2/7 What first?\n1 Trees\n2 Games")
    assert phone.text("FR")[0].startswith("2/7 Que faire en premier ?")


def test_help_back_and_end(phone: Phone, sms_runtime: Runtime) -> None:
    phone.text("PARC")
    help_reply = phone.text("aide")
    assert help_reply[0].startswith("Répondez avec le numéro") and help_reply[1].startswith("1/7")
    assert phone.text("RETOUR")[0] == "C'est la première question."
    phone.text("1")
    assert phone.text("retour")[0].startswith("1/7")
    assert phone.text("PASSER")[0] == "Cette question demande une réponse."
    phone.text("2")
    ended = phone.text("FIN")
    assert ended == [
        "Les questions sont arretées. Vos réponses ne sont pas gardées. "
        "Envoyez PARC pour recommencer."
    ]
    assert _contributions(sms_runtime) == []


def test_end_early_keeps_answers_once_required_ones_are_given(
    phone: Phone, sms_runtime: Runtime
) -> None:
    for body in ["PARC", "oui", "1", "5"]:
        phone.text(body)
    assert "Merci" in phone.text("fin")[-1]
    [contribution] = _contributions(sms_runtime)
    assert {a.question_id for a in contribution.answers} == {
        "frequentation",
        "priorite",
        "satisfaction",
    }


def test_unclear_answer_is_asked_twice_then_sent_to_review(
    phone: Phone, sms_runtime: Runtime
) -> None:
    phone.text("PARC")
    first = phone.text("peut-être")
    assert first[0].startswith("Pardon, je n'ai pas compris.") and "1/7" in first[0]
    assert phone.text("bof")[0].startswith("Pardon")
    third = phone.text("ça dépend")
    assert third[0] == "Merci. Une personne va lire cette réponse."
    assert third[1].startswith("2/7")
    for body in ["1", "3", "0", "non", "1", "1"]:
        done = phone.text(body)
    assert "Une personne de la mairie va lire vos réponses" in done[-1]
    [contribution] = _contributions(sms_runtime)
    assert contribution.status == "review"
    unclear = next(a for a in contribution.answers if a.question_id == "frequentation")
    assert (unclear.status, unclear.raw_input, unclear.confidence) == ("review", "ça dépend", 0.0)


def test_unclear_free_text_is_skipped_when_the_definition_says_so(phone: Phone) -> None:
    for body in ["PARC", "oui", "1", "3", "2"]:
        phone.text(body)
    too_long = "x" * 501
    assert phone.text(too_long)[0].startswith("Votre texte est trop long : 500")
    phone.text(too_long)
    assert phone.text(too_long)[0].startswith("6/7")


def test_idle_conversation_expires(phone: Phone, clock: Clock) -> None:
    phone.text("PARC")
    clock.advance(hours=2)
    expired = phone.text("1")
    assert expired[0].startswith("Vous n'avez pas répondu depuis longtemps")
    assert phone.text("PARC")[1].startswith("1/7")


def test_state_survives_a_restart(client: TestClient, sms_runtime: Runtime) -> None:
    Phone(client).text("PARC")
    Phone(client).text("oui")
    from gateway.app import create_app

    with TestClient(create_app(runtime=sms_runtime)) as restarted:
        assert Phone(restarted).text("2")[0].startswith("3/7")


def test_unknown_code_lists_the_open_consultations(phone: Phone) -> None:
    assert phone.text("PISCINE") == [
        "Nous ne connaissons pas ce code. Pour participer, envoyez un de ces codes : BUDGET, PARC"
    ]


def test_closed_consultation(phone: Phone, clock: Clock) -> None:
    clock.advance(days=70)  # BUDGET closes at the end of January 2027.
    assert phone.text("BUDGET") == ["La consultation BUDGET est finie. Merci."]
    assert phone.text("PARC")[1].startswith("1/7")


def test_already_voted_under_first_wins(client: TestClient, sms_runtime: Runtime) -> None:
    phone = Phone(client)
    for body in ["BUDGET", "1", "1"]:
        phone.text(body)
    assert phone.text("BUDGET") == [
        "Vous avez déjà participé à BUDGET. Vos premières réponses sont gardées. Merci !"
    ]
    [vote] = _contributions(sms_runtime)
    assert vote.status == "counted"


def test_last_wins_replaces_the_earlier_answers(phone: Phone, sms_runtime: Runtime) -> None:
    for body in ["PARC", "oui", "1", "3", "FIN"]:
        phone.text(body)
    again = phone.text("PARC")
    assert "vos nouvelles réponses vont remplacer les anciennes" in again[0]
    for body in ["non", "2", "5", "FIN"]:
        phone.text(body)
    first, second = _contributions(sms_runtime)
    assert (first.status, second.status) == ("superseded", "counted")


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (recorded("inbound-mms-no-text.form"), "Je peux lire seulement du texte."),
        (recorded("inbound-sms.form", Body=""), "Nous ne connaissons pas ce code."),
        (recorded("inbound-sms.form", Body="🙂🙂"), "Nous ne connaissons pas ce code."),
        (recorded("inbound-sms.form", Body="P" * 1600), "Nous ne connaissons pas ce code."),
    ],
    ids=["mms-no-text", "empty", "emoji", "1600-chars"],
)
def test_bad_input_gets_a_clear_reply(
    client: TestClient, form: dict[str, str], expected: str
) -> None:
    response = post_signed(client, INBOUND, {**form, "MessageSid": new_sid()})
    assert response.status_code == 200
    assert replies(response.text)[0].startswith(expected)


def test_bad_input_mid_conversation_keeps_the_answers(phone: Phone, sms_runtime: Runtime) -> None:
    for body in ["PARC", "oui"]:
        phone.text(body)
    mms = recorded("inbound-mms-no-text.form", From=phone.number, MessageSid=new_sid())
    answer = replies(post_signed(phone.client, INBOUND, mms).text)
    assert answer[0].startswith("Je peux lire seulement du texte") and answer[1].startswith("2/7")
    assert phone.text("")[0].startswith("Votre message est vide")
    with sms_runtime.sessions() as session:
        conversation = session.scalars(select(SmsConversation)).one()
    assert conversation.answers["frequentation"]["value"] == "yes"


def test_flood_from_one_number_gets_one_polite_reply(phone: Phone, sms_runtime: Runtime) -> None:
    limit = sms_runtime.settings.sms_flood_limit
    for _ in range(limit):
        assert phone.text("PISCINE")
    assert phone.text("PISCINE") == [
        "Vous avez envoyé beaucoup de messages. Attendez 5 minutes, puis envoyez encore votre "
        "réponse."
    ]
    assert phone.text("PARC") == []
    other = Phone(phone.client, number="+33700000001")
    assert other.text("PARC")[1].startswith("1/7")


# Texts that walk each example to its last question, without finishing it.
WALKS = {
    "PARC": ["PARC", "oui", "1", "4", "2", "Plus d'ombre", "1"],
    "BUDGET": ["BUDGET", "1"],
}


@pytest.mark.parametrize("code", list(WALKS))
def test_sent_texts_cost_what_sms_check_reports(
    phone: Phone, sms_runtime: Runtime, code: str
) -> None:
    received = [reply for body in WALKS[code] for reply in phone.text(body)]
    with sms_runtime.sessions() as session:
        definition = consultations.definition_of(consultations.get(session, code))
        reported = {
            c.name: c.info.segments for c in costly_messages(session, code) if c.language == "fr"
        }
    written = dict(consultation_messages(definition, "fr"))
    sent = {"intro": received[0]}
    questions = zip(definition.all_questions, received[1:], strict=True)
    sent |= {f"question {question.id}": reply for question, reply in questions}
    for name, text in sent.items():
        assert text == transliterate(written[name]) and is_gsm7(text), name
        assert analyse(text).segments == reported.get(name, 1), name


def test_answers_hold_the_raw_text(phone: Phone, sms_runtime: Runtime) -> None:
    for body in ["BUDGET", "1 et 3", "2"]:
        phone.text(body)
    with sms_runtime.sessions() as session:
        answer = session.scalars(select(Answer).where(Answer.question_id == "projets")).one()
    assert (answer.value, answer.raw_input) == (["jardin-partage", "bancs"], "1 et 3")


def _evidence_files(runtime: Runtime) -> list[Path]:
    return [path for path in runtime.settings.evidence_dir.rglob("*") if path.is_file()]


def test_answers_finished_after_closing_are_refused_and_forgotten(
    tmp_path: Path, db_url: str, clock: Clock
) -> None:
    patient = make_sms_runtime(tmp_path, db_url, sms_idle_minutes=200_000)
    with closing(patient) as runtime, TestClient(create_app(runtime=runtime)) as client:
        phone = Phone(client)
        phone.text("BUDGET")
        phone.text("1")
        clock.advance(days=70)  # BUDGET closes at the end of January 2027.
        assert phone.text("2") == ["La consultation BUDGET est finie. Merci."]
        assert _contributions(runtime) == []
        assert _evidence_files(runtime) == []  # no Evidence row would ever purge it


def test_a_duplicate_gets_no_receipt(phone: Phone, sms_runtime: Runtime) -> None:
    phone.text("BUDGET")
    phone.text("1")
    key = participant_key("phone", phone.number, sms_runtime.settings.secret)
    first = record(sms_runtime, make_intake(participant=ParticipantRef("phone", key)))
    reply = phone.text("2")[-1]
    assert reply == (
        "Merci. Vous avez déjà participé : vos premières réponses sont gardées. "
        "Ces nouvelles réponses ne comptent pas."
    )
    counted, duplicate = _contributions(sms_runtime)
    assert (counted.receipt_code, duplicate.status) == (first.receipt_code, "duplicate")


def _reload(runtime: Runtime, code: str, change: str) -> None:
    with runtime.sessions() as session, session.begin():
        definition = consultations.definition_of(consultations.get(session, code))
        if change == "no sms":
            channels = [c for c in definition.channels if c != Channel.SMS]
            changed = definition.model_copy(update={"channels": channels})
        else:
            changed = definition.model_copy(update={"questions": definition.questions[:1]})
            # Without profile questions, the reference population has no group to name.
            results = definition.results.model_copy(update={"population": []})
            changed = changed.model_copy(update={"profile": [], "results": results})
        consultations.save_definition(session, Definition.model_validate(changed.model_dump()))


@pytest.mark.parametrize("change", ["no sms", "fewer questions"])
@pytest.mark.parametrize("body", ["1", "FIN", "AIDE", "RETOUR", "EN"])
def test_a_reloaded_definition_ends_the_conversation_cleanly(
    phone: Phone, sms_runtime: Runtime, change: str, body: str
) -> None:
    for text in ["PARC", "oui", "1"]:
        phone.text(text)
    _reload(sms_runtime, "PARC", change)
    [reply] = phone.text(body)
    assert "PARC" in reply and ("changé" in reply or "changed" in reply)
    assert phone.text("1")[0].startswith(("Nous ne connaissons pas", "We do not know"))
    with sms_runtime.sessions() as session:
        conversation = session.scalars(select(SmsConversation)).one()
    assert (conversation.status, conversation.answers) == ("idle", {})


@pytest.mark.parametrize("body", ["9" * 400, "-" + "9" * 400])
def test_a_huge_number_gets_the_hint(phone: Phone, body: str) -> None:
    for text in ["PARC", "oui", "1", "4"]:
        phone.text(text)
    assert phone.text(body)[0].startswith("Envoyez un nombre, par exemple 3.\n4/7")


def test_answers_with_words_around_them(phone: Phone, sms_runtime: Runtime) -> None:
    phone.text("PARC")
    assert phone.text("oui avec plaisir")[0].startswith("2/7")
    assert phone.text("plus de lumière le soir")[0].startswith("3/7")
    assert phone.text("je mets 4 étoiles")[0].startswith("4/7")
    assert phone.text("quatre-vingt-douze")[0].startswith("Envoyez un nombre de 0 à 31.\n4/7")
    assert phone.text("deux fois par mois")[0].startswith("5/7")
    with sms_runtime.sessions() as session:
        conversation = session.scalars(select(SmsConversation)).one()
    values = {qid: answer["value"] for qid, answer in conversation.answers.items()}
    assert values == {
        "frequentation": "yes",
        "priorite": "eclairage",
        "satisfaction": 4,
        "visites": 2,
    }


@pytest.mark.parametrize("walk", [["PARC"], ["PARC", "oui"], ["BUDGET"], ["PARC", "oui", "1"]])
def test_thousands_of_digits_get_the_hint(phone: Phone, walk: list[str]) -> None:
    for text in walk:
        asked = phone.text(text)[-1]
    # Twilio's longest body; longer ones are refused at the webhook (test_hostile_text).
    reply = phone.text("9" * 1600)
    assert reply[0].startswith(("Pardon", "Envoyez")) and reply[0].endswith(asked)
