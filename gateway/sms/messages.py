"""The texts a resident receives, built from the definition and the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.consultations.schema import CHOICE_TYPES, Definition, Kind, Option, Question
from gateway.contributions.intake import AnswerIn
from gateway.dialogue.reading import Problem, Reading
from gateway.i18n import N_, t
from gateway.sms.segments import transliterate

PARIS_DATE = "%d/%m/%Y"


def fit(text: str, definition: Definition | None) -> str:
    """Drop what GSM-7 cannot carry when the definition allows it (system text always may)."""
    allowed = definition.sms_transliterate if definition is not None else True
    return transliterate(text) if allowed else text


def option_label(option: Option, language: str) -> str:
    return option.sms_label(language)


def vote_summary(
    definition: Definition | None, answers: Sequence[AnswerIn], language: str
) -> str | None:
    """The options a vote chose, by their SMS labels; None outside a vote."""
    if definition is None or definition.kind != Kind.VOTE:
        return None
    labels = []
    for answer in answers:
        question = definition.question(answer.question_id)
        if question is None or question in definition.profile or not question.options:
            continue
        keys = answer.value if isinstance(answer.value, list) else [answer.value]
        labels += [option_label(o, language) for o in question.options if o.key in keys]
    if not labels:
        return None
    return t(language, "Your vote: %(choices)s.", choices=", ".join(labels))


def question_text(definition: Definition, question: Question, language: str) -> str:
    questions = definition.all_questions
    number = questions.index(question) + 1
    lines = [f"{number}/{len(questions)} {question.prompt(language, short=True)}"]
    if question.type in CHOICE_TYPES:
        lines += [f"{i} {option_label(o, language)}" for i, o in enumerate(question.options, 1)]
    return "\n".join(lines)


def intro(definition: Definition, language: str) -> str:
    return t(
        language,
        "%(title)s: %(count)s questions. Answer by SMS. HELP for help, STOP to stop.",
        title=definition.title.get(language),
        count=len(definition.all_questions),
    )


def invitation(definition: Definition, language: str) -> str:
    return t(
        language,
        "%(title)s. Give your opinion by SMS: send %(code)s to this number. STOP to stop.",
        title=definition.title.get(language),
        code=definition.code,
    )


def open_codes(language: str, codes: list[str]) -> str:
    if not codes:
        return t(language, "There is no consultation open by SMS right now.")
    return t(language, "To take part, send one of these codes: %(codes)s", codes=", ".join(codes))


def unknown_code(language: str, codes: list[str]) -> str:
    if not codes:
        return open_codes(language, codes)
    return t(
        language,
        "We do not know this code. To take part, send one of these codes: %(codes)s",
        codes=", ".join(codes),
    )


def not_open(definition: Definition, language: str, now: datetime) -> str | None:
    if now < definition.opens_at:
        return t(
            language,
            "The consultation %(code)s starts on %(date)s.",
            code=definition.code,
            date=definition.opens_at.strftime(PARIS_DATE),
        )
    if now >= definition.closes_at:
        return t(language, "The consultation %(code)s is over. Thank you.", code=definition.code)
    return None


HINTS = {
    Problem.EMPTY: N_("Your message is empty. Please write your answer."),
    Problem.UNCLEAR_CHOICE: N_(
        "Sorry, I did not understand. Send the number of your answer, for example 1."
    ),
    Problem.UNCLEAR_CHOICES: N_(
        "Sorry, I did not understand. Send the numbers of your choices, for example 1 3."
    ),
    Problem.ONLY_ONE: N_("Send only one answer, for example 1."),
    Problem.TOO_MANY: N_("You can choose %(max)s at most. Send your numbers again."),
    Problem.TOO_FEW: N_("Choose at least %(min)s."),
    Problem.UNCLEAR_SCALE: N_("Send a number from 1 to 5."),
    Problem.UNCLEAR_NUMBER: N_("Send a number, for example 3."),
    Problem.OUT_OF_RANGE: N_("Send a number from %(min)s to %(max)s."),
    Problem.TOO_LONG: N_("Your text is too long: %(max)s characters at most."),
}


def hint(reading: Reading, language: str) -> str:
    """Why an answer was not read, and how to send it."""
    if reading.problem is None:
        raise ValueError("a clear reading needs no hint")
    values = {name: "…" if v is None else f"{v:g}" for name, v in reading.values.items()}
    return t(language, HINTS[reading.problem], **values)
