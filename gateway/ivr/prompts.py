"""What the line says: each dialogue event and menu as short spoken sentences.

Prompts stay short (a caller cannot scroll back): long option lists are read a
page at a time with "press 9 for more", and codes are read one character at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.consultations.schema import Definition, Option, Question, QuestionType
from gateway.dialogue.reading import Problem, Reading
from gateway.i18n import N_, t
from gateway.twilio.twiml import digit_by_digit, spelled

# Options read per prompt: four options and the keys keep a prompt near 20 seconds.
PAGE_SIZE = 4
MORE_KEY = "9"
OPT_OUT_KEY = "9"
# Each language offers itself in its own words.
LANGUAGE_NAMES = {
    "fr": N_("For French, press %(digit)s."),
    "en": N_("For English, press %(digit)s."),
}


@dataclass(frozen=True)
class Keys:
    """The keys a question takes: the option each digit stands for, and the pages."""

    digits: dict[str, Option]
    pages: list[list[Option]]

    @property
    def paged(self) -> bool:
        return len(self.pages) > 1


def keys_of(question: Question) -> Keys:
    """Each option's digit (its `dtmf`, else its position); pages when the list is long."""
    digits = {option.dtmf or str(i): option for i, option in enumerate(question.options, 1)}
    options = question.options
    if len(options) <= PAGE_SIZE + 1 or MORE_KEY in digits:
        return Keys(digits, [options])
    pages = [options[i : i + PAGE_SIZE] for i in range(0, len(options), PAGE_SIZE)]
    return Keys(digits, pages)


def welcome(language: str, opt_out: bool) -> str:
    hello = t(language, "Hello, you are through to the town hall's participation line.")
    if not opt_out:
        return hello
    stop = t(
        language,
        "If you no longer want calls or SMS from the town hall, press %(digit)s now.",
        digit=OPT_OUT_KEY,
    )
    return f"{hello} {stop}"


def opted_out(language: str) -> str:
    return t(language, "Noted: the town hall will no longer call you or send you SMS.")


def language_menu(languages: list[str]) -> str:
    return " ".join(
        t(code, LANGUAGE_NAMES.get(code, "%(digit)s"), digit=i)
        for i, code in enumerate(languages, 1)
    )


def consultation_menu(language: str, definitions: list[Definition]) -> str:
    lines = [
        t(language, "For %(title)s, press %(digit)s.", title=d.title.get(language), digit=i)
        for i, d in enumerate(definitions, 1)
    ]
    return " ".join(lines)


def nothing_open(language: str) -> str:
    return t(language, "There is no consultation open by phone at the moment. Goodbye.")


def not_understood(language: str) -> str:
    return t(language, "Sorry, we did not understand.")


def goodbye_unclear(language: str) -> str:
    return t(
        language, "We could not understand your choice. Call again whenever you like. Goodbye."
    )


def introduction(definition: Definition, language: str, replacing: bool, mediator: bool) -> str:
    count = len(definition.all_questions)
    parts = [
        definition.title.get(language) + ".",
        t(language, "There are %(count)s questions.", count=digit_by_digit(count)),
        t(language, "At any time, press star to hear a question again, hash to skip it."),
    ]
    if mediator:
        parts.append(t(language, "Press 0 to talk to a person."))
    if replacing:
        parts.append(t(language, "You already answered: your new answers will replace them."))
    return " ".join(parts)


def resuming(language: str, number: int) -> str:
    return t(
        language,
        "Welcome back. We carry on where you stopped, at question %(number)s.",
        number=digit_by_digit(number),
    )


def question(q: Question, language: str, number: int, total: int, page: int) -> str:
    head = t(
        language,
        "Question %(number)s of %(total)s.",
        number=digit_by_digit(number),
        total=digit_by_digit(total),
    )
    return f"{head} {q.text.get(language)} {how_to_answer(q, language, page)}"


def how_to_answer(q: Question, language: str, page: int) -> str:
    kind = q.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO, QuestionType.MULTIPLE_CHOICE):
        return _options(q, language, page)
    if kind == QuestionType.SCALE:
        return _scale(q, language)
    if kind == QuestionType.NUMBER:
        return t(language, "Type the number on the keypad, then wait.")
    return t(
        language,
        "To answer with a voice message, press 1. To skip, press hash.",
    )


def _options(q: Question, language: str, page: int) -> str:
    keys = keys_of(q)
    digit_of = {option.key: digit for digit, option in keys.digits.items()}
    page_options = keys.pages[min(page, len(keys.pages) - 1)]
    lines = [_press(language, o.label.get(language), digit_of[o.key]) for o in page_options]
    if q.type == QuestionType.MULTIPLE_CHOICE:
        lines.insert(0, t(language, "Type the numbers of your choices, %(max)s at most, then wait.",
                          max=q.choice_limit))  # fmt: skip
    if page < len(keys.pages) - 1:
        lines.append(t(language, "For more choices, press %(digit)s.", digit=MORE_KEY))
    return " ".join(lines)


def _press(language: str, label: str, digit: str) -> str:
    return t(language, "For %(label)s, press %(digit)s.", label=label, digit=digit)


def _scale(q: Question, language: str) -> str:
    lines = [t(language, "Press a mark from 1 to 5.")]
    for mark, label in sorted(q.scale_labels.items()):
        lines.append(t(language, "%(mark)s means %(label)s.", mark=mark, label=label.get(language)))
    return " ".join(lines)


HINTS = {
    Problem.TOO_MANY: N_("Choose %(max)s at most."),
    Problem.TOO_FEW: N_("Choose at least %(min)s."),
    Problem.OUT_OF_RANGE: N_("The number must be between %(min)s and %(max)s."),
}


def hint(reading: Reading | None, language: str) -> str:
    """Why an answer was asked again, in a few words."""
    if reading is None:
        return ""
    message = HINTS.get(reading.problem) if reading.problem else None
    if message is None:
        return not_understood(language)
    values = {k: _figure(v) for k, v in reading.values.items()}
    return f"{not_understood(language)} {t(language, message, **values)}"


def _figure(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def confirm_vote(options: list[Option], language: str) -> str:
    chosen = ", ".join(o.label.get(language) for o in options)
    return t(
        language,
        "You chose: %(chosen)s. To confirm, press 1. To change, press 2.",
        chosen=chosen,
    )


def record_now(language: str, seconds: int) -> str:
    return t(
        language,
        "Speak after the beep, for %(seconds)s seconds at most. Then press hash.",
        seconds=seconds,
    )


def or_say(language: str) -> str:
    return t(language, "You can also say your answer.")


def say_after_beep(language: str) -> str:
    return t(language, "Say your answer after the beep, or press a key.")


def use_keypad(language: str) -> str:
    return t(language, "We did not understand. Please use the keypad.")


def nothing_recorded(language: str) -> str:
    return t(language, "We heard nothing.")


def answer_needed(language: str) -> str:
    return t(language, "This question needs an answer.")


def passed_to_review(language: str) -> str:
    return t(language, "A person at the town hall will check this answer.")


def already_took_part(definition: Definition, language: str) -> str:
    return t(
        language,
        "You already took part in %(title)s. Your first answers are kept. Goodbye.",
        title=definition.title.get(language),
    )


def not_open_yet(language: str) -> str:
    return t(language, "This consultation is not open yet. Goodbye.")


def closed(language: str) -> str:
    return t(language, "This consultation is closed. Thank you for calling. Goodbye.")


def changed(language: str) -> str:
    return t(language, "This consultation has changed. Please call again to start over. Goodbye.")


def stopped(language: str) -> str:
    return t(language, "Your answers are not kept. Goodbye.")


def not_saved(language: str) -> str:
    return t(language, "Sorry, your answers could not be saved. Please call again. Goodbye.")


def receipt(language: str, code: str, review: bool, duplicate: bool) -> list[str]:
    """The thanks, then the receipt code twice, one character at a time."""
    if duplicate:
        return [t(language, "Thank you. You already took part, so these new answers do not count.")]
    thanks = (
        t(language, "Thank you! A person at the town hall will check your answers.")
        if review
        else t(language, "Thank you! Your answers are saved.")
    )
    code_line = t(language, "Your receipt code is: %(code)s.", code=spelled(code))
    again = t(language, "Again: %(code)s.", code=spelled(code))
    return [thanks, code_line, again, t(language, "Goodbye.")]


def transferring(language: str) -> str:
    return t(language, "We are putting you through to a person. Please hold.")


def mediator_closed(language: str, opens: str, closes: str) -> str:
    return t(
        language,
        "Nobody can answer now. A person answers on weekdays from %(opens)s to %(closes)s.",
        opens=opens,
        closes=closes,
    )
