"""Read an answer from the way people really text it.

Every rule is here, in plain code, so a commune can explain how a text became
an answer: option numbers ("2", "1 3", "1,3", "1 et 3"), letters ("b"),
option words and synonyms from the definition ("oui", "OUI!", "non merci",
"velo"), numbers in words ("deux", "vingt et un") and free text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from gateway.consultations.schema import SCALE_MAX, SCALE_MIN, Question, QuestionType
from gateway.i18n import N_
from gateway.sms.keywords import fold

UNITS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "jamais": 0, "aucune": 0, "aucun": 0, "never": 0, "none": 0,
}  # fmt: skip
TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
        "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}  # fmt: skip
ORDINALS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3,
    "quatrieme": 4, "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8, "neuvieme": 9,
    "first": 1, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9,
}  # fmt: skip
# Words around a choice that carry no choice: "je choisis le 2 et le 5 merci".
FILLERS = frozenset(
    {
        "et", "and", "le", "la", "les", "l", "de", "des", "du", "d", "je", "j", "veux",
        "voudrais", "choisis", "choix", "vote", "pour", "numero", "numeros", "n", "option",
        "options", "reponse", "projet", "projets", "merci", "svp", "stp", "please", "the", "an",
        "number", "want", "moi", "ce", "c", "est", "plutot", "a",
    }
)  # fmt: skip
SKIP_WORDS = frozenset(
    {"passer", "skip", "rien", "nothing", "pas d idee", "non", "non merci", "no"}
)
_PHRASE_WORDS = 4
# An option number or a mark has a few digits; int() of thousands of digits raises,
# so longer runs are never turned into numbers (they name no option anyway).
_DIGITS = re.compile(r"^\d{1,6}$")
_DECIMAL = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*$")
_OUT_OF = re.compile(r"^\s*(\d{1,6})\s*(?:/|sur|out of)\s*(\d{1,6})\s*$", re.IGNORECASE)
_LETTERS = "abcdefghij"
# "à 3" is the preposition, never the letter a; folding would make the two look alike.
_A_GRAVE = re.compile(r"(?<!\w)à(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """The value read, or why nothing could be read (a catalogue message id)."""

    value: Any = None
    problem: str | None = None
    values: dict[str, object] | None = None

    @property
    def clear(self) -> bool:
        return self.problem is None


UNCLEAR_CHOICE = N_("Sorry, I did not understand. Send the number of your answer, for example 1.")
UNCLEAR_CHOICES = N_(
    "Sorry, I did not understand. Send the numbers of your choices, for example 1 3."
)
ONLY_ONE = N_("Send only one answer, for example 1.")
TOO_MANY = N_("You can choose %(max)s at most. Send your numbers again.")
TOO_FEW = N_("Choose at least %(min)s.")
UNCLEAR_SCALE = N_("Send a number from 1 to 5.")
UNCLEAR_NUMBER = N_("Send a number, for example 3.")
OUT_OF_RANGE = N_("Send a number from %(min)s to %(max)s.")
TOO_LONG = N_("Your text is too long: %(max)s characters at most.")
EMPTY = N_("Your message is empty. Please write your answer.")


def read_answer(question: Question, text: str) -> Reading:
    if not text.strip():
        return Reading(problem=EMPTY)
    kind = question.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO):
        return _one_choice(question, text)
    if kind == QuestionType.MULTIPLE_CHOICE:
        return _several_choices(question, text)
    if kind == QuestionType.SCALE:
        return _scale(question, text)
    if kind == QuestionType.NUMBER:
        return _number(question, text)
    return _free_text(question, text)


def _one_choice(question: Question, text: str) -> Reading:
    keys = choices(question, text)
    if keys is None:
        return Reading(problem=UNCLEAR_CHOICE)
    if len(keys) != 1:
        return Reading(problem=ONLY_ONE if keys else UNCLEAR_CHOICE)
    return Reading(value=keys[0])


def _several_choices(question: Question, text: str) -> Reading:
    keys = choices(question, text)
    if not keys:
        return Reading(problem=UNCLEAR_CHOICES)
    if len(keys) > question.choice_limit:
        return Reading(problem=TOO_MANY, values={"max": question.choice_limit})
    if len(keys) < question.min_choices:
        return Reading(problem=TOO_FEW, values={"min": question.min_choices})
    return Reading(value=keys)


def choices(question: Question, text: str) -> list[str] | None:
    """The option keys named in `text`, in option order; None if a word names none."""
    phrases = option_phrases(question)
    words = fold(text).split()
    letters = _letters_only(text, words)
    # "deux bancs", "une fontaine": once an option is named, number words count nothing.
    named = any(_phrase_at(words, i, phrases)[0] for i in range(len(words)))
    found: set[str] = set()
    i = 0
    while i < len(words):
        key, used = _phrase_at(words, i, phrases)
        if key is None and not _quantity_before_option(words, i, phrases):
            key = _option_by_position(question, words[i], letters, by_word=not named)
            if key is None and words[i] not in FILLERS:
                return None
        if key is not None:
            found.add(key)
        i += used
    return [o.key for o in question.options if o.key in found]


def _letters_only(text: str, words: list[str]) -> bool:
    # Letters name options only in a message of letters ("b", "a c"), never inside words.
    single = all(len(w) == 1 or w in ("et", "and") for w in words)
    return single and not _A_GRAVE.search(unicodedata.normalize("NFC", text))


def _quantity_before_option(words: list[str], i: int, phrases: dict[str, str]) -> bool:
    count = UNITS.get(words[i], 0)
    return count > 0 and _phrase_at(words, i + 1, phrases)[0] is not None


def option_phrases(question: Question) -> dict[str, str]:
    """Every folded way to name an option: key, labels, SMS label, synonyms."""
    phrases: dict[str, str] = {}
    for option in question.options:
        names = [*option.names(), *option.synonyms.fr, *option.synonyms.en]
        for name in names:
            folded = fold(name)
            if folded:
                phrases.setdefault(folded, option.key)
    return phrases


def _phrase_at(words: list[str], i: int, phrases: dict[str, str]) -> tuple[str | None, int]:
    # Longest first, so "non merci" wins over "non" and "aire de jeux" over "jeux".
    for length in range(min(_PHRASE_WORDS, len(words) - i), 0, -1):
        key = phrases.get(" ".join(words[i : i + length]))
        if key is not None:
            return key, length
    return None, 1


def _option_by_position(question: Question, word: str, letters: bool, by_word: bool) -> str | None:
    if _DIGITS.match(word):
        position = int(word)
    elif letters and len(word) == 1 and word in _LETTERS:
        position = _LETTERS.index(word) + 1
    elif by_word:
        position = UNITS.get(word) or ORDINALS.get(word) or 0
    else:
        return None
    if 1 <= position <= len(question.options):
        return question.options[position - 1].key
    return None


def _scale(question: Question, text: str) -> Reading:
    labelled = {fold(label.fr): n for n, label in question.scale_labels.items()}
    labelled |= {fold(label.en): n for n, label in question.scale_labels.items() if label.en}
    out_of = _OUT_OF.match(text)
    number = labelled.get(fold(text)) or (
        int(out_of.group(1)) if out_of and int(out_of.group(2)) == SCALE_MAX else read_number(text)
    )
    if number is None or number != int(number) or not SCALE_MIN <= number <= SCALE_MAX:
        return Reading(problem=UNCLEAR_SCALE)
    return Reading(value=int(number))


def _number(question: Question, text: str) -> Reading:
    number = read_number(text)
    if number is None or (question.integer and number != int(number)):
        return Reading(problem=UNCLEAR_NUMBER)
    low, high = question.min, question.max
    if (low is not None and number < low) or (high is not None and number > high):
        return Reading(problem=OUT_OF_RANGE, values={"min": _fmt(low), "max": _fmt(high)})
    return Reading(value=int(number) if question.integer else number)


def read_number(text: str) -> float | None:
    """A number in digits ("12", "2,5") or in French or English words ("vingt et un")."""
    digits = _DECIMAL.match(text)
    if digits:
        number = float(digits.group(1).replace(",", "."))
        # "999…9" (hundreds of digits) reads as infinity, which no answer can be.
        return number if math.isfinite(number) else None
    words = [w for w in fold(text).split() if w not in ("et", "and", "fois", "times")]
    return _words_number(words)


def _words_number(words: list[str]) -> float | None:
    if not words:
        return None
    total = 0
    for position, word in enumerate(words):
        if word in TENS and position == 0:
            total += TENS[word]
        elif word in UNITS and (position == 0 or total % 10 == 0 or total == 10):
            total += UNITS[word]
        else:
            return None
    return float(total)


def _free_text(question: Question, text: str) -> Reading:
    cleaned = " ".join(text.split())
    if fold(cleaned) in SKIP_WORDS and not question.required:
        return Reading(value=None)
    if len(cleaned) > question.max_length:
        return Reading(problem=TOO_LONG, values={"max": question.max_length})
    return Reading(value=cleaned)


def _fmt(bound: float | None) -> str:
    return "…" if bound is None else f"{bound:g}"
