"""Read an answer the way people type or say it, for every channel.

Every rule is here, in plain code, so a commune can explain how a text or a
transcript became an answer:

- choices: positions ("2", "1 3", "1,3", "1 et 3", "le deuxième", "b", "option B"),
  the names and synonyms the definition gives each option, and any distinctive word
  of an option's label (a word no other option's label has, and not a stop word:
  "le collège" names "Des pistes cyclables vers le collège");
- bands: when every option is a range of a number ("Moins de 18 ans", "18 à 29 ans",
  "60 ans ou plus"), an amount no position could be falls in its band ("j'ai 45 ans",
  "soixante-dix", "plus de 60"); "moins de 30" across two bands is unclear;
- yes/no: the options' synonyms; the default options of a yes/no question also take
  the adverbs that plainly answer a question about a habit ("souvent", "jamais", see
  `gateway.consultations.schema`); "non" with a plain negation ("non, je n'y vais
  pas"), or a plain negation alone ("je n'y vais pas"), answers no;
- scale and number: digits, French and English number words read by the text2num
  library ("quatre-vingt-douze", "deux cents"), "4/5" and "4 sur 5" on a scale, a
  scale label ("beaucoup"), "jamais" or "aucune" for zero;
- around the answer, words that carry nothing are passed over: courtesy ("merci",
  "avec plaisir"), articles, pronouns and choosing verbs ("je mets", "je choisis
  le"), units ("3 étoiles", "2 fois") and the words of the question itself ("oui, je
  vais au parc").

Anything else makes the answer unclear, and it is asked again: a wrong reading is
worse than a second question. So "1 ou 2", "pas le 2", "1 à 3", "oui et non", "peut-
être" are unclear. A number word just before an option's word is a quantity or an
article ("une aire de jeux", "deux bancs"), never a position. Answers longer than
`MAX_READ_CHARS` are unclear without further work, so no input can be slow.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Any

from text_to_num import alpha2digit, text2num

from gateway.consultations.schema import (
    SCALE_MAX,
    SCALE_MIN,
    Option,
    Question,
    QuestionType,
    Text,
)

# A choice, a mark or a number said with a few words around it fits in this; longer is
# not a clear answer, and text2num's time grows faster than the length of its input.
MAX_READ_CHARS = 320
# Longer digit strings are no answer to any question (and Python refuses int() on
# thousands of digits).
MAX_DIGITS = 15
LETTERS = "abcdefghij"


class Problem(StrEnum):
    """Why an answer could not be read; each channel words its own hint."""

    EMPTY = "empty"
    UNCLEAR_CHOICE = "unclear_choice"
    UNCLEAR_CHOICES = "unclear_choices"
    ONLY_ONE = "only_one"
    TOO_MANY = "too_many"
    TOO_FEW = "too_few"
    UNCLEAR_SCALE = "unclear_scale"
    UNCLEAR_NUMBER = "unclear_number"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Reading:
    """The value read, or why nothing could be read and the figures a hint needs."""

    value: Any = None
    problem: Problem | None = None
    values: dict[str, float | None] = field(default_factory=dict)

    @property
    def clear(self) -> bool:
        return self.problem is None


# Words that carry no answer, after `words` (folded, elisions spelled out).
FILLERS = frozenset(
    {
        # articles, prepositions, pronouns, conjunctions
        "et", "and", "le", "la", "les", "l", "de", "des", "du", "d", "au", "aux", "a", "en",
        "dans", "sur", "pour", "par", "avec", "ce", "c", "cela", "ca", "que", "qui", "y", "je",
        "j", "moi", "me", "il", "elle", "on", "nous", "vous", "tu", "te", "se", "ils", "elles",
        "mon", "ma", "mes", "votre", "vos", "the", "an", "of", "to", "for", "with", "in", "at",
        "my", "is", "it", "i",
        # choosing and answering
        "veux", "voudrais", "aimerais", "souhaite", "choisis", "choisi", "choix", "vote",
        "voter", "prends", "prendrais", "prefere", "mets", "met", "mettrais", "donne", "dis",
        "dirais", "reponds", "pense", "crois", "aime", "numero", "numeros", "n", "option",
        "options", "reponse", "reponses", "projet", "projets", "plutot", "want", "choose",
        "pick", "number", "answer", "think", "like",
        # être, avoir, aller, faire: the verbs a restated question uses
        "suis", "es", "est", "sommes", "etes", "sont", "ai", "as", "avons", "avez", "ont",
        "vais", "vas", "va", "allons", "allez", "vont", "fais", "fait", "faites", "font",
        "am", "are", "go", "do",
        # courtesy, and the hesitations speech-to-text writes down
        "merci", "svp", "stp", "please", "bonjour", "bonsoir", "salut", "hello", "thanks",
        "cordialement", "plaisir", "volontiers", "euh", "heu", "hum", "bah", "ben", "bon",
        "alors", "donc", "voila", "well",
    }
)  # fmt: skip
# Courtesy in several words, passed over as a whole ("merci beaucoup" is not the scale
# label "beaucoup").
FILLER_PHRASES = frozenset(
    {"avec plaisir", "merci beaucoup", "bien sur", "s il vous plait", "s il te plait",
     "thank you", "bonne journee", "bonne soiree"}
)  # fmt: skip
# Words that go with a number: "3 étoiles", "note 4", "2 fois par mois", "environ 4".
UNITS = frozenset(
    {"fois", "etoile", "etoiles", "point", "points", "note", "chiffre", "nombre", "ans", "an",
     "environ", "times", "star", "stars", "mark", "about"}
)  # fmt: skip
# Before one of these, "un"/"une" is an article: "une note de 4", "je mets un 4".
_ARTICLE_NOUNS = ("note", "chiffre", "nombre", "reponse", "valeur")
NEGATIONS = frozenset(
    {"ne", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "sauf", "not", "never"}
)
_FULL_NEGATION = frozenset({"pas", "jamais"})
# Label words too common to tell options apart.
STOP_WORDS = FILLERS | NEGATIONS | {"plus", "moins", "tres", "more", "less", "very", "meilleur",
                                    "better", "vers", "ou", "or", "from", "par"}  # fmt: skip
# "1 ou 2" is a hesitation, never two choices.
_ALTERNATIVES = frozenset({"ou", "or"})
# Between two positions, these make a range or a fraction, which is unclear: "1 à 3".
_RANGE_WORDS = frozenset({"a", "au", "to", "sur"})
ORDINALS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3,
    "quatrieme": 4, "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8, "neuvieme": 9,
    "dixieme": 10, "first": 1, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
ZERO_WORDS = frozenset({"zero", "jamais", "aucun", "aucune", "never", "none"})
SKIP_WORDS = frozenset(
    {"passer", "skip", "rien", "nothing", "pas d idee", "aucune idee", "non", "non merci", "no"}
)

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NOT_NUMBER_TEXT = re.compile(r"[^a-z0-9,./-]+")
_HYPHEN_IN_WORDS = re.compile(r"(?<=[a-z])-(?=[a-z])")
# "j'ai", "l'option", "qu'il": the elided word, so "c" and "d" never read as letters.
_ELISION = re.compile(r"(?<!\w)(qu|[cdjlmnst])['’ʼ`´]", re.IGNORECASE)
# "à 3" is the preposition, never the letter a; folding would make the two look alike.
_A_GRAVE = re.compile(r"(?<!\w)à(?!\w)", re.IGNORECASE)
# "2e", "2ème", "1er", "3rd": the position.
_ORDINAL_DIGITS = re.compile(r"^(\d{1,3})(?:e|eme|er|ere|nd|nde|st|rd|th)$")
_DIGIT_RANGE = re.compile(r"\d\s*-\s*\d")
_ARTICLE = re.compile(rf"\bune?\s+(?=(?:{'|'.join(_ARTICLE_NOUNS)})\b|\d)")
_OUT_OF = re.compile(r"(\d+)\s*(?:(?:etoiles?|points?|stars?)\s*)?(?:/|sur|out of)\s*(\d+)")
_NUMBER_TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?(?:/\d+)?|[a-z]+")


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "  ARRÊT! " -> "arret"."""
    return _NOT_WORD.sub(" ", _plain(text)).strip()


def words(text: str) -> list[str]:
    """The folded words, elisions spelled out: "J'ai choisi l'option B" -> je ai … le option b."""
    return fold(_ELISION.sub(r"\1e ", text)).split()


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe")


_UNCLEAR = {
    QuestionType.SINGLE_CHOICE: Problem.UNCLEAR_CHOICE,
    QuestionType.YES_NO: Problem.UNCLEAR_CHOICE,
    QuestionType.MULTIPLE_CHOICE: Problem.UNCLEAR_CHOICES,
    QuestionType.SCALE: Problem.UNCLEAR_SCALE,
    QuestionType.NUMBER: Problem.UNCLEAR_NUMBER,
}


def read_answer(question: Question, text: str) -> Reading:
    """Read `text` (typed or transcribed) as an answer to `question`."""
    if not text.strip():
        return Reading(problem=Problem.EMPTY)
    kind = question.type
    if kind == QuestionType.TEXT:
        return _free_text(question, text)
    if len(text) > MAX_READ_CHARS:
        return Reading(problem=_UNCLEAR[kind])
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO):
        return _one_choice(question, text)
    if kind == QuestionType.MULTIPLE_CHOICE:
        return _several_choices(question, text)
    if kind == QuestionType.SCALE:
        return _scale(question, text)
    return _number(question, text)


def _one_choice(question: Question, text: str) -> Reading:
    keys = choices(question, text) or _in_band(question, text)
    if not keys:
        return Reading(problem=Problem.UNCLEAR_CHOICE)
    if len(keys) != 1:
        return Reading(problem=Problem.ONLY_ONE)
    return Reading(value=keys[0])


def _several_choices(question: Question, text: str) -> Reading:
    keys = choices(question, text)
    if not keys:
        return Reading(problem=Problem.UNCLEAR_CHOICES)
    if len(keys) > question.choice_limit:
        return Reading(problem=Problem.TOO_MANY, values={"max": question.choice_limit})
    if len(keys) < question.min_choices:
        return Reading(problem=Problem.TOO_FEW, values={"min": question.min_choices})
    return Reading(value=keys)


# Bands: options that are ranges of a number, such as age bands.

# "Moins de 18 ans", "Under 18"; "60 ans ou plus", "60 and over", "plus de 60", "60+".
_BELOW_WORDS = frozenset({"moins", "under", "less", "below", "avant"})
_ABOVE_WORDS = frozenset({"plus", "over", "more", "above", "apres"})
# The only words an amount may come with: "j'ai 45 ans", "I'm 45 years old".
_AMOUNT_WORDS = frozenset(
    {"je", "ai", "ans", "an", "annees", "age", "agee", "de", "environ", "i", "m", "am"}
    | {"im", "years", "year", "old", "about", "than", "et", "ou", "and", "or"}
)
_INTEGER = re.compile(r"^\d{1,3}$")
Band = tuple[float, float]


def _in_band(question: Question, text: str) -> list[str] | None:
    """The band an amount falls in ("45" or "j'ai 45 ans" -> "30 à 59 ans"), or None.

    Only when every option is a band, the bands do not overlap, and the amount is
    one number that no position could be (positions were tried first)."""
    bands = _vocabulary(question).bands
    if bands is None:
        return None
    tokens = _alpha2digit(" ".join(words(text))).split()
    amounts = [int(token) for token in tokens if _INTEGER.match(token)]
    others = {token for token in tokens if not _INTEGER.match(token)}
    if len(amounts) != 1 or amounts[0] <= len(question.options):
        return None
    if not others <= _AMOUNT_WORDS | _BELOW_WORDS | _ABOVE_WORDS:
        return None
    if others & _BELOW_WORDS and others & _ABOVE_WORDS:
        return None
    # "moins de 30" is any amount under 30, "plus de 59" any from 60: clear only when
    # one band holds all of it.
    low, high = float(amounts[0]), amounts[0] + 1.0
    if others & _BELOW_WORDS:
        low, high = float("-inf"), float(amounts[0])
    elif others & _ABOVE_WORDS:
        low, high = amounts[0] + 1.0, float("inf")
    found = [key for key, (start, end) in bands.items() if start < high and low < end]
    return found if len(found) == 1 else None


def _bands(question: Question) -> dict[str, Band] | None:
    """Each option's band [low, high), read from its French label; None if not all are."""
    bands = {}
    for option in question.options:
        band = _band(words(option.label.fr))
        if band is None:
            return None
        bands[option.key] = band
    ordered = sorted(bands.values())
    if any(high > low for (_, high), (low, _) in pairwise(ordered)):
        return None
    return bands


def _band(label: list[str]) -> Band | None:
    numbers = [int(word) for word in label if _INTEGER.match(word)]
    if len(numbers) == 2 and numbers[0] < numbers[1]:
        return (numbers[0], numbers[1] + 1)
    if len(numbers) != 1:
        return None
    if _BELOW_WORDS & set(label):
        return (float("-inf"), numbers[0])
    if _ABOVE_WORDS & set(label):
        return (numbers[0], float("inf"))
    return None


# Choices.


class _Kind(StrEnum):
    OPTION = "option"
    DIGITS = "digits"
    NUMBER = "number"
    ORDINAL = "ordinal"
    LETTER = "letter"
    NEGATION = "negation"
    FILLER = "filler"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class _Item:
    kind: _Kind
    word: str
    size: int = 1
    key: str | None = None


@dataclass(frozen=True)
class _Vocabulary:
    """How the options of one question are named, and the words of the question itself."""

    phrases: dict[str, str]
    label_words: dict[str, str]
    # Words of the labels that name no single option ("plus", "meilleur", "ans"): they
    # pass beside the ones that do ("un meilleur éclairage").
    label_fillers: frozenset[str]
    question_stems: frozenset[str]
    longest: int
    # Each option's range when the options are ranges of a number (age bands).
    bands: dict[str, Band] | None = None


def choices(question: Question, text: str) -> list[str] | None:
    """The option keys named in `text`, in option order; None when any word is unclear."""
    vocabulary = _vocabulary(question)
    tokens = [_ORDINAL_DIGITS.sub(r"\1", token) for token in words(text)]
    items = _items(tokens, vocabulary)
    if not any(item.kind == _Kind.OPTION for item in items):
        # No option named by a word: number words and ordinals are positions.
        items = _items(_numbers_as_digits(tokens), vocabulary)
    if _DIGIT_RANGE.search(text) or _has_range(items):
        return None
    found = _keys(question, items, vocabulary, letters=_letters_only(items, text))
    if found is None or not _negation_fits(question, items, vocabulary, found):
        return None
    found |= _plain_no(question, items, vocabulary, found)
    return [o.key for o in question.options if o.key in found]


# Worked out once per question: definitions are parsed once per version and process,
# so the same question comes back message after message. Holding the question keeps
# its id from being reused by another object.
_VOCABULARIES: dict[int, tuple[Question, _Vocabulary]] = {}
_MAX_VOCABULARIES = 1024


def _vocabulary(question: Question) -> _Vocabulary:
    known = _VOCABULARIES.get(id(question))
    if known is not None and known[0] is question:
        return known[1]
    if len(_VOCABULARIES) >= _MAX_VOCABULARIES:
        _VOCABULARIES.clear()
    vocabulary = _work_out_vocabulary(question)
    _VOCABULARIES[id(question)] = (question, vocabulary)
    return vocabulary


def _work_out_vocabulary(question: Question) -> _Vocabulary:
    phrases: dict[str, str] = {}
    for option in question.options:
        for name in [*option.names(), *option.synonyms.fr, *option.synonyms.en]:
            phrase = " ".join(words(name))
            if phrase:
                phrases.setdefault(phrase, option.key)
    stems = _question_stems(question)
    longest = max((len(p.split()) for p in [*phrases, *FILLER_PHRASES]), default=1)
    label_words = _label_words(question, phrases, stems)
    fillers = {
        _stem(word)
        for option in question.options
        for name in option.names()
        for word in words(name)
        if word.isalpha() and word not in NEGATIONS and word not in _ALTERNATIVES
    }
    bands = _bands(question)
    return _Vocabulary(phrases, label_words, frozenset(fillers), stems, longest, bands)


def _question_stems(question: Question) -> frozenset[str]:
    texts: list[Text | None] = [question.text, question.sms, question.help]
    found = set()
    for text in texts:
        for said in (text.fr, text.en) if text is not None else ():
            found |= {_prefix(w) for w in words(said or "") if _restates(w)}
    return frozenset(found)


def _restates(word: str) -> bool:
    # A negation or an "or" keeps its weight even when the question says it.
    return len(word) >= 3 and word.isalpha() and word not in NEGATIONS | _ALTERNATIVES


def _stem(word: str) -> str:
    """A label word without its plural: "jeux" and "jeu", "arbres" and "arbre" match."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _prefix(word: str) -> str:
    """Loose on purpose, as it only lets a word pass: "aimez" and "aime", "habitez" and
    "habite" restate the question."""
    return word[:4]


def _label_words(
    question: Question, phrases: dict[str, str], stems: frozenset[str]
) -> dict[str, str]:
    owners: dict[str, set[str]] = {}
    for option in question.options:
        for name in option.names():
            for word in words(name):
                if _distinctive(word, stems):
                    owners.setdefault(_stem(word), set()).add(option.key)
    # A one-word synonym claims its stem too: a stem two options claim names neither.
    for phrase, key in phrases.items():
        if _stem(phrase) in owners:
            owners[_stem(phrase)].add(key)
    return {stem: keys.pop() for stem, keys in owners.items() if len(keys) == 1}


def _distinctive(word: str, stems: frozenset[str]) -> bool:
    return (
        len(word) >= 3
        and word.isalpha()
        and word not in STOP_WORDS
        and _prefix(word) not in stems
        and _number_value(word) is None
        and word not in ORDINALS
    )


def _items(tokens: list[str], vocabulary: _Vocabulary) -> list[_Item]:
    items = []
    i = 0
    while i < len(tokens):
        item = _item_at(tokens, i, vocabulary)
        items.append(item)
        i += item.size
    return items


def _item_at(tokens: list[str], i: int, vocabulary: _Vocabulary) -> _Item:
    # Longest phrase first, so "non merci" wins over "non" and "aire de jeux" over "jeux";
    # an option's phrase wins a tie with a courtesy phrase.
    for size in range(min(vocabulary.longest, len(tokens) - i), 0, -1):
        phrase = " ".join(tokens[i : i + size])
        if phrase in vocabulary.phrases and _names_here(phrase, tokens):
            return _Item(_Kind.OPTION, phrase, size, vocabulary.phrases[phrase])
        if phrase in FILLER_PHRASES:
            return _Item(_Kind.FILLER, phrase, size)
    word = tokens[i]
    return _Item(_word_kind(word, vocabulary), word, key=vocabulary.label_words.get(_stem(word)))


def _names_here(phrase: str, tokens: list[str]) -> bool:
    # A one-letter synonym ("o", "n", "y") is an answer alone, a pronoun in a sentence
    # ("je n'y vais pas").
    return len(phrase) > 1 or len(tokens) == 1


def _word_kind(word: str, vocabulary: _Vocabulary) -> _Kind:
    if word.isdigit():
        return _Kind.DIGITS
    if word in ORDINALS:
        return _Kind.ORDINAL
    if _number_value(word) is not None:
        return _Kind.NUMBER
    if len(word) == 1 and word in LETTERS:
        return _Kind.LETTER
    if _stem(word) in vocabulary.label_words:
        return _Kind.OPTION
    if word in NEGATIONS:
        return _Kind.NEGATION
    if (
        word in FILLERS
        or _prefix(word) in vocabulary.question_stems
        or _stem(word) in vocabulary.label_fillers
    ):
        return _Kind.FILLER
    return _Kind.UNKNOWN


@lru_cache(maxsize=4096)
def _number_value(word: str) -> int | None:
    """The value of one French or English number word ("vingt", "cents", "two"), or None."""
    if len(word) < 2 or not word.isalpha():
        return None  # "o" is zero to text2num, and "o" means oui here.
    for language in ("fr", "en"):
        try:
            return int(text2num(word, language))
        except ValueError:
            continue
    return None


def _numbers_as_digits(tokens: list[str]) -> list[str]:
    """Ordinals and number words as digits: "le premier et vingt et un" -> le 1 et 21."""
    spelled = " ".join(str(ORDINALS.get(token, token)) for token in tokens)
    return _alpha2digit(spelled).split()


def _alpha2digit(text: str) -> str:
    # Threshold 0: "un", "deux" alone are numbers here, not words to leave as they are.
    french: str = alpha2digit(text, "fr", threshold=0)
    english: str = alpha2digit(french, "en", threshold=0)
    return english


def _has_range(items: list[_Item]) -> bool:
    kinds = [(item.kind, item.word) for item in items]
    return any(
        first[0] == _Kind.DIGITS and middle[1] in _RANGE_WORDS and last[0] == _Kind.DIGITS
        for first, middle, last in zip(kinds, kinds[1:], kinds[2:], strict=False)
    )


def _letters_only(items: list[_Item], text: str) -> bool:
    # Letters name options only among letters and fillers ("b", "a c", "option B").
    letters = [item for item in items if item.kind == _Kind.LETTER]
    rest_fill = all(
        item.kind == _Kind.LETTER or (item.kind == _Kind.FILLER and len(item.word) > 1)
        for item in items
    )
    return bool(letters) and rest_fill and not _A_GRAVE.search(unicodedata.normalize("NFC", text))


def _keys(
    question: Question, items: list[_Item], vocabulary: _Vocabulary, letters: bool
) -> set[str] | None:
    found: set[str] = set()
    for index, item in enumerate(items):
        if item.kind == _Kind.OPTION and item.key is not None:
            found.add(item.key)
        elif item.kind == _Kind.DIGITS or (item.kind == _Kind.LETTER and letters):
            key = _by_position(question, item.word)
            if key is None or _counts_another(key, items[index + 1 :]):
                return None
            found.add(key)
        elif not _passes(items, index, vocabulary):
            return None
    return found


def _passes(items: list[_Item], index: int, vocabulary: _Vocabulary) -> bool:
    """Whether a word that names no option may stand beside the ones that do."""
    item = items[index]
    if item.kind in (_Kind.FILLER, _Kind.NEGATION):
        return True
    if item.kind == _Kind.LETTER:
        return item.word in FILLERS
    if item.kind == _Kind.NUMBER:
        # "deux bancs", "un meilleur éclairage": a quantity or an article, never a position.
        return (_number_value(item.word) or 0) > 0 and _option_follows(items[index + 1 :])
    # "en premier" restates "Que faire en premier ?"; elsewhere an ordinal is unclear.
    return item.kind == _Kind.ORDINAL and _prefix(item.word) in vocabulary.question_stems


def _counts_another(key: str, following: list[_Item]) -> bool:
    # "2 bancs": two benches, or option 2 and the benches? Fine only when 2 is the benches.
    return bool(following) and following[0].kind == _Kind.OPTION and following[0].key != key


def _option_follows(items: list[_Item]) -> bool:
    for item in items:
        if item.kind != _Kind.FILLER or item.word in ("et", "and"):
            return item.kind == _Kind.OPTION
    return False


def _by_position(question: Question, word: str) -> str | None:
    # Thousands of digits name no option, and int() would refuse them.
    digits = int(word) if word.isdigit() and len(word) <= 3 else 0
    position = LETTERS.index(word) + 1 if word in LETTERS else digits
    if 1 <= position <= len(question.options):
        return question.options[position - 1].key
    return None


def _no_key(question: Question, vocabulary: _Vocabulary) -> str | None:
    if question.type != QuestionType.YES_NO:
        return None
    return vocabulary.phrases.get("non") or vocabulary.phrases.get("no")


def _negation_fits(
    question: Question, items: list[_Item], vocabulary: _Vocabulary, found: set[str]
) -> bool:
    # A negation beside a choice reverses or blurs it ("pas le 2", "oui je n'y vais pas"),
    # except beside the no of a yes/no question ("non, je n'y vais pas").
    if not any(item.kind == _Kind.NEGATION for item in items):
        return True
    no = _no_key(question, vocabulary)
    return no is not None and found <= {no}


def _plain_no(
    question: Question, items: list[_Item], vocabulary: _Vocabulary, found: set[str]
) -> set[str]:
    """The no of a yes/no question for a plain negation alone: "je n'y vais pas"."""
    no = _no_key(question, vocabulary)
    said = {item.word for item in items}
    if no is None or found or "ne" not in said or not said & _FULL_NEGATION:
        return set()
    return {no}


# Marks and numbers.


def _scale(question: Question, text: str) -> Reading:
    labels = {n: label for n, label in question.scale_labels.items()}
    number = _one_number(question, text, labels, out_of=SCALE_MAX)
    if number is None or number != int(number) or not SCALE_MIN <= number <= SCALE_MAX:
        return Reading(problem=Problem.UNCLEAR_SCALE)
    return Reading(value=int(number))


def _number(question: Question, text: str) -> Reading:
    number = _one_number(question, text, {}, out_of=None)
    if number is None or (question.integer and number != int(number)):
        return Reading(problem=Problem.UNCLEAR_NUMBER)
    low, high = question.min, question.max
    if (low is not None and number < low) or (high is not None and number > high):
        return Reading(problem=Problem.OUT_OF_RANGE, values={"min": low, "max": high})
    return Reading(value=int(number) if question.integer else number)


def _one_number(
    question: Question, text: str, labels: dict[int, Text], out_of: int | None
) -> float | None:
    """The one number `text` gives, by digits, words or a label; None if none or several."""
    tokens = _number_tokens(text, labels)
    stems = _question_stems(question)
    found: set[float] = set()
    for token in tokens:
        if token[0].isdigit() or token[0] == "-":
            number = _number_token(token, out_of)
            if number is None:
                return None
            found.add(number)
        elif token in ZERO_WORDS:
            found.add(0.0)
        elif token not in FILLERS and token not in UNITS and _prefix(token) not in stems:
            return None
    return found.pop() if len(found) == 1 else None


def _number_tokens(text: str, labels: dict[int, Text]) -> list[str]:
    plain = _plain(_ELISION.sub(r"\1e ", text))
    plain = _HYPHEN_IN_WORDS.sub(" ", _NOT_NUMBER_TEXT.sub(" ", plain))
    # Courtesy, then labels, before text2num: "merci beaucoup" is no mark, and text2num
    # would read a label "un peu" as "1 peu".
    for phrase in FILLER_PHRASES:
        plain = re.sub(rf"\b{phrase}\b", " ", plain)
    for value, label in sorted(labels.items(), key=lambda pair: -len(pair[1].fr)):
        for said in (label.fr, label.en):
            if said:
                plain = re.sub(rf"\b{' '.join(words(said))}\b", f" {value} ", plain)
    plain = _ARTICLE.sub("", plain)
    converted = _alpha2digit(plain)
    return _NUMBER_TOKEN.findall(_OUT_OF.sub(r"\1/\2", converted))


def _number_token(token: str, out_of: int | None) -> float | None:
    number, _, denominator = token.partition("/")
    if denominator and denominator != str(out_of):
        return None  # "3/10" on a scale of 5, or a fraction for a number
    if sum(c.isdigit() for c in number) > MAX_DIGITS:
        return None
    return float(number.replace(",", "."))


def _free_text(question: Question, text: str) -> Reading:
    cleaned = " ".join(text.split())
    if fold(cleaned) in SKIP_WORDS and not question.required:
        return Reading(value=None)
    if len(cleaned) > question.max_length:
        return Reading(problem=Problem.TOO_LONG, values={"max": question.max_length})
    return Reading(value=cleaned)


# What a spoken answer may be.

# Positions as a caller says them, for a grammar of allowed answers.
SPOKEN_POSITIONS = ("un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
_SPOKEN_ORDINALS = ("premier", "deuxième", "troisième", "quatrième", "cinquième", "sixième",
                    "septième", "huitième", "neuvième")  # fmt: skip


def allowed_phrases(question: Question, language: str = "fr") -> list[str]:
    """The phrases that answer a closed question aloud in French: names, synonyms,
    positions, marks.

    A speech engine with a grammar hears only these (lower case, accents kept, as
    speech models spell words); what it hears is still read by `read_answer`. The
    line speaks English too, but only French positions are listed.
    """
    if question.type == QuestionType.SCALE:
        labels = [label.get(language) for label in question.scale_labels.values()]
        return _spoken([*SPOKEN_POSITIONS[SCALE_MIN - 1 : SCALE_MAX], *labels])
    if question.type not in (
        QuestionType.SINGLE_CHOICE,
        QuestionType.YES_NO,
        QuestionType.MULTIPLE_CHOICE,
    ):
        return []
    names = [name for option in question.options for name in _said(option, language)]
    count = min(len(question.options), len(SPOKEN_POSITIONS))
    positions = [*SPOKEN_POSITIONS[:count], *(f"le {w}" for w in _SPOKEN_ORDINALS[:count])]
    return _spoken([*names, *positions])


def allowed_answers(question: Question, language: str = "fr") -> dict[str, str]:
    """Each allowed phrase mapped to the answer `read_answer` makes of it.

    Phrases of one answer ("bancs", "trois") are not rivals to a recogniser that
    weighs them; a phrase that reads as no clear answer stands for itself.
    """
    phrases = allowed_phrases(question, language)
    readings = ((phrase, read_answer(question, phrase)) for phrase in phrases)
    return {phrase: str(r.value) if r.clear else phrase for phrase, r in readings}


def _said(option: Option, language: str) -> list[str]:
    synonyms = option.synonyms.en if language == "en" else option.synonyms.fr
    return [option.label.get(language), option.sms_label(language), *synonyms]


def _spoken(phrases: list[str]) -> list[str]:
    said = (" ".join(re.findall(r"[\w']+", p.lower())) for p in phrases)
    # One letter ("o" for oui) is a keypad habit, and noise to a recogniser.
    return list(dict.fromkeys(phrase for phrase in said if len(phrase) > 1))
