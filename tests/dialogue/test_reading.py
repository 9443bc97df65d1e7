"""How typed and spoken answers become option keys and numbers, on the example definitions.

One table: (question, text, what is read). A wrong reading is worse than a second
question, so every doubtful text expects a `Problem`, never a guess.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.consultations.loader import load_definition
from gateway.consultations.schema import Question
from gateway.dialogue import reading
from gateway.dialogue.reading import MAX_READ_CHARS, Problem, read_answer
from tests.helpers import BUDGET, PARC


def _question(path: object, question_id: str) -> Question:
    question = load_definition(path).question(question_id)  # type: ignore[arg-type]
    assert question is not None
    return question


GOES = _question(PARC, "frequentation")  # yes/no: "Allez-vous au parc des Tilleuls ?"
FIRST = _question(PARC, "priorite")  # single choice: arbres, jeux, bancs, eclairage
MARK = _question(PARC, "satisfaction")  # scale 1-5, 1 "Pas du tout", 5 "Beaucoup"
VISITS = _question(PARC, "visites")  # number 0-31: "Combien de fois par mois… ?"
IDEA = _question(PARC, "idee")  # free text, optional
DISTRICT = _question(PARC, "quartier")  # "Dans quel quartier habitez-vous ?"
PROJECTS = _question(BUDGET, "projets")  # up to 3 of 8
AGE = _question(BUDGET, "tranche-age")

UNCLEAR = Problem.UNCLEAR_CHOICE
UNCLEARS = Problem.UNCLEAR_CHOICES

TABLE: list[tuple[Question, str, Any]] = [
    # yes/no: words, synonyms, positions
    (GOES, "oui", "yes"),
    (GOES, "OUI!", "yes"),
    (GOES, "Oui.", "yes"),
    (GOES, "ouais", "yes"),
    (GOES, "o", "yes"),
    (GOES, "N", "no"),
    (GOES, "non merci", "no"),
    (GOES, "d'accord", "yes"),
    (GOES, "pas d'accord", "no"),
    (GOES, "1", "yes"),
    (GOES, "2", "no"),
    (GOES, "yes please", "yes"),
    # yes/no: courtesy and a restated question around the answer
    (GOES, "oui avec plaisir", "yes"),
    (GOES, "oui merci", "yes"),
    (GOES, "bonjour, oui", "yes"),
    (GOES, "oui oui", "yes"),
    (GOES, "oui je vais au parc des Tilleuls", "yes"),
    (GOES, "Oui, j'y vais", "yes"),
    (GOES, "non, je n'y vais pas", "no"),
    (GOES, "je n'y vais pas", "no"),
    (GOES, "je n'y vais jamais", "no"),
    # yes/no: adverbs that answer a question about a habit (default synonyms)
    (GOES, "souvent", "yes"),
    (GOES, "toujours", "yes"),
    (GOES, "de temps en temps", "yes"),
    (GOES, "ouais souvent", "yes"),
    (GOES, "bien sûr", "yes"),
    (GOES, "jamais", "no"),
    (GOES, "non jamais", "no"),
    (GOES, "pas du tout", "no"),
    # yes/no: doubtful, asked again
    (GOES, "peut-être", UNCLEAR),
    (GOES, "bof", UNCLEAR),
    (GOES, "ça dépend", UNCLEAR),
    (GOES, "pas souvent", UNCLEAR),
    (GOES, "oui je n'y vais pas", UNCLEAR),
    (GOES, "Non, pas vraiment", UNCLEAR),
    (GOES, "pas", UNCLEAR),
    (GOES, "oui et non", Problem.ONLY_ONE),
    (GOES, "oui 2", Problem.ONLY_ONE),
    (GOES, "3", UNCLEAR),
    (GOES, "je ne sais pas", UNCLEAR),
    # single choice: words, label words, positions
    (FIRST, "les arbres", "arbres"),
    (FIRST, "Arbres.", "arbres"),
    (FIRST, "planter des arbres", "arbres"),
    (FIRST, "plus d'arbres", "arbres"),
    (FIRST, "je veux des jeux", "jeux"),
    (FIRST, "jeu", "jeux"),
    (FIRST, "des jeux pour les enfants", "jeux"),
    (FIRST, "l'éclairage", "eclairage"),
    (FIRST, "le soir", "eclairage"),  # "Éclairer le parc le soir": only this label says soir
    (FIRST, "plus de lumière le soir", "eclairage"),
    (FIRST, "en premier les jeux", "jeux"),  # "premier" restates the question
    (FIRST, "2", "jeux"),
    (FIRST, "b", "jeux"),
    (FIRST, "option B", "jeux"),
    (FIRST, "j'ai choisi la b", "jeux"),
    (FIRST, "c'est le 2", "jeux"),
    (FIRST, "n°2", "jeux"),
    (FIRST, "numéro 2", "jeux"),
    (FIRST, "deux", "jeux"),
    (FIRST, "deuxième", "jeux"),
    (FIRST, "le 2ème", "jeux"),
    (FIRST, "le premier", "arbres"),
    (FIRST, "une", "arbres"),
    (FIRST, "Deux.", "jeux"),  # as speech-to-text writes it
    (FIRST, "Euh, le numéro deux.", "jeux"),
    (GOES, "Oui, j'y vais souvent.", "yes"),
    # single choice: doubtful
    (FIRST, "1 ou 2", UNCLEAR),
    (FIRST, "pas le 2", UNCLEAR),
    (FIRST, "ombre et jeux", Problem.ONLY_ONE),
    (FIRST, "1 les jeux", Problem.ONLY_ONE),
    (FIRST, "5", UNCLEAR),
    (FIRST, "0", UNCLEAR),
    (FIRST, "tout", UNCLEAR),
    (FIRST, "rien", UNCLEAR),
    (FIRST, "le parc", UNCLEAR),  # a word of the question names no option
    (FIRST, "quatre-vingt-douze", UNCLEAR),
    # multiple choice: options named by word; number words before them are quantities
    (PROJECTS, "Une aire de jeux", ["aire-jeux"]),
    (PROJECTS, "une fontaine", ["fontaines"]),
    (PROJECTS, "deux bancs", ["bancs"]),
    (PROJECTS, "je vote pour une piste cyclable", ["pistes-cyclables"]),
    (PROJECTS, "un jardin et une fontaine", ["jardin-partage", "fontaines"]),
    (PROJECTS, "un meilleur éclairage", ["eclairage"]),
    (PROJECTS, "le collège", ["pistes-cyclables"]),
    (PROJECTS, "réparer", ["tiers-lieu"]),
    (PROJECTS, "les toilettes publiques", ["toilettes"]),
    (PROJECTS, "toilettes et wc", ["toilettes"]),
    (PROJECTS, "fontaines à eau", ["fontaines"]),
    (PROJECTS, "vélo", ["pistes-cyclables"]),
    (PROJECTS, "jardin et 7", ["jardin-partage", "eclairage"]),
    (PROJECTS, "3 bancs", ["bancs"]),  # position 3 is the benches: no doubt
    (PROJECTS, "1 jardin 3 bancs", ["jardin-partage", "bancs"]),
    (PROJECTS, "À 3", ["bancs"]),
    (PROJECTS, "à 3", ["bancs"]),
    # multiple choice: positions
    (PROJECTS, "2", ["pistes-cyclables"]),
    (PROJECTS, "1 3", ["jardin-partage", "bancs"]),
    (PROJECTS, "1,3", ["jardin-partage", "bancs"]),
    (PROJECTS, "1;3", ["jardin-partage", "bancs"]),
    (PROJECTS, "1 et 3", ["jardin-partage", "bancs"]),
    (PROJECTS, "1 et 3 merci", ["jardin-partage", "bancs"]),
    (PROJECTS, "je choisis le 2 et le 5 merci", ["pistes-cyclables", "toilettes"]),
    (PROJECTS, "deux", ["pistes-cyclables"]),
    (PROJECTS, "un et trois", ["jardin-partage", "bancs"]),
    (PROJECTS, "one and three", ["jardin-partage", "bancs"]),
    (PROJECTS, "le premier et le troisième", ["jardin-partage", "bancs"]),
    (PROJECTS, "a c", ["jardin-partage", "bancs"]),
    (PROJECTS, "1 3 3", ["jardin-partage", "bancs"]),
    # multiple choice: doubtful or too many
    (PROJECTS, "jardin et deux", UNCLEARS),
    (PROJECTS, "aucune fontaine", UNCLEARS),
    (PROJECTS, "1 à 3", UNCLEARS),  # a range or two choices?
    (PROJECTS, "1-3", UNCLEARS),
    (PROJECTS, "1 ou 3", UNCLEARS),
    (PROJECTS, "2 bancs", UNCLEARS),
    (PROJECTS, "2 sur 4", UNCLEARS),  # two benches, or option 2 and the benches?
    (PROJECTS, "tous", UNCLEARS),
    (PROJECTS, "c'est", UNCLEARS),
    (PROJECTS, "1 2 3 4", Problem.TOO_MANY),
    (PROJECTS, "a b c d", Problem.TOO_MANY),
    # profile questions: full labels, distinctive words; ages are not positions
    (AGE, "60 ans ou plus", "60-plus"),
    (AGE, "moins de 18 ans", "moins-18"),
    (AGE, "under 18", "moins-18"),
    # age bands: an age no position could be falls in its band
    (AGE, "29", "18-29"),
    (AGE, "j'ai 45 ans", "30-59"),
    (AGE, "17", "moins-18"),
    (AGE, "soixante-dix ans", "60-plus"),
    (AGE, "I'm 30 years old", "30-59"),
    (AGE, "plus de 60", "60-plus"),
    (AGE, "plus de 59 ans", "60-plus"),
    (AGE, "moins de 30", UNCLEAR),  # under 18 or 18 to 29
    (AGE, "45 ou 50", UNCLEAR),
    (AGE, "j'ai 45 ans et demi", UNCLEAR),
    (AGE, "45 euros", UNCLEAR),
    (AGE, "3", "30-59"),  # a position first, as the question lists them
    (DISTRICT, "j'habite le quartier des Tilleuls", "tilleuls"),
    (DISTRICT, "la gare", "gare"),
    (DISTRICT, "centre-ville", "centre"),
    (DISTRICT, "champ fleuri", "champ-fleuri"),
    # scale: digits, words, units, label words, out of five
    (MARK, "4", 4),
    (MARK, "quatre", 4),
    (MARK, "un", 1),
    (MARK, "je mets 3", 3),
    (MARK, "je dirais 4", 4),
    (MARK, "3 étoiles", 3),
    (MARK, "note 4", 4),
    (MARK, "Ma note est 4", 4),
    (MARK, "une note de 4", 4),
    (MARK, "je mets un 4", 4),
    (MARK, "4 !", 4),
    (MARK, "4/5", 4),
    (MARK, "4 sur 5", 4),
    (MARK, "4 étoiles sur 5", 4),
    (MARK, "cinq sur cinq", 5),
    (MARK, "5/5", 5),
    (MARK, "beaucoup", 5),
    (MARK, "j'aime beaucoup", 5),
    (MARK, "pas du tout", 1),
    (MARK, "a lot", 5),
    (MARK, "4 merci beaucoup", 4),  # courtesy, not the label "beaucoup"
    # scale: doubtful or out of the scale
    (MARK, "3/10", Problem.UNCLEAR_SCALE),
    (MARK, "10/10", Problem.UNCLEAR_SCALE),
    (MARK, "3 ou 4", Problem.UNCLEAR_SCALE),
    (MARK, "entre 3 et 4", Problem.UNCLEAR_SCALE),
    (MARK, "2 3", Problem.UNCLEAR_SCALE),
    (MARK, "3,5", Problem.UNCLEAR_SCALE),
    (MARK, "0", Problem.UNCLEAR_SCALE),
    (MARK, "6", Problem.UNCLEAR_SCALE),
    (MARK, "4 parce que c'est sale", Problem.UNCLEAR_SCALE),
    (MARK, "3 beaucoup", Problem.UNCLEAR_SCALE),
    # number: digits, words through text2num, units, the question restated
    (VISITS, "12", 12),
    (VISITS, "deux", 2),
    (VISITS, "dix-sept", 17),
    (VISITS, "vingt et un", 21),
    (VISITS, "trente et un", 31),
    (VISITS, "four times", 4),
    (VISITS, "zéro", 0),
    (VISITS, "jamais", 0),
    (VISITS, "aucune", 0),
    (VISITS, "2 fois par mois", 2),
    (VISITS, "une fois par mois", 1),
    (VISITS, "je vais au parc 4 fois par mois", 4),
    (VISITS, "environ 4", 4),
    (VISITS, "quatre-vingt-douze", Problem.OUT_OF_RANGE),  # read as 92, out of 0-31
    (VISITS, "deux cents", Problem.OUT_OF_RANGE),
    (VISITS, "-3", Problem.OUT_OF_RANGE),
    # number: doubtful
    (VISITS, "2,5", Problem.UNCLEAR_NUMBER),  # the question wants a whole number
    (VISITS, "1 ou 2", Problem.UNCLEAR_NUMBER),
    (VISITS, "deux trois", Problem.UNCLEAR_NUMBER),
    (VISITS, "1 000", Problem.UNCLEAR_NUMBER),
    (VISITS, "beaucoup", Problem.UNCLEAR_NUMBER),
    (VISITS, "9" * 400, Problem.UNCLEAR_NUMBER),
    (VISITS, "-" + "9" * 400, Problem.UNCLEAR_NUMBER),
    (VISITS, "9" * 400 + ",5", Problem.UNCLEAR_NUMBER),
    (VISITS, "9" * 300, Problem.UNCLEAR_NUMBER),
    # free text: kept as written, or skipped
    (IDEA, "Plus d'ombre près des bancs 🌳", "Plus d'ombre près des bancs 🌳"),
    (IDEA, "  des   bancs ", "des bancs"),
    (IDEA, "non merci", None),
    (IDEA, "pas d'idée", None),
    (IDEA, "x" * 501, Problem.TOO_LONG),
    # empty, whatever the question
    (FIRST, "  ", Problem.EMPTY),
    (IDEA, "", Problem.EMPTY),
]


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    TABLE,
    ids=[f"{q.id}:{text[:30]}" for q, text, _ in TABLE],
)
def test_reading(question: Question, text: str, expected: Any) -> None:
    read = read_answer(question, text)
    if isinstance(expected, Problem):
        assert (read.problem, read.value) == (expected, None)
    else:
        assert (read.value, read.problem) == (expected, None)


@pytest.mark.parametrize("question", [GOES, FIRST, PROJECTS, MARK, VISITS])
@pytest.mark.parametrize(
    "text",
    ["9" * 4300, "9" * 5000, "1 " * 2000, "quatre-vingt-douze " * 300, "é" * 1600],
    ids=["4300-digits", "5000-digits", "2000-numbers", "300-number-words", "1600-letters"],
)
def test_huge_answers_get_the_hint_without_work(
    question: Question, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []

    def watched(words: str, language: str, threshold: float) -> str:
        read.append(words)
        return str(reading_alpha2digit(words, language, threshold=threshold))

    reading_alpha2digit = reading.alpha2digit
    monkeypatch.setattr(reading, "alpha2digit", watched)
    result = read_answer(question, text)
    assert result.problem is not None and result.value is None
    assert all(len(words) <= MAX_READ_CHARS for words in read)


def test_a_definition_with_its_own_yes_no_options_reads_only_its_synonyms() -> None:
    own = Question.model_validate(
        {
            "id": "accord",
            "type": "yes_no",
            "text": {"fr": "Êtes-vous d'accord ?"},
            "options": [
                {"key": "oui", "label": {"fr": "Oui"}},
                {"key": "non", "label": {"fr": "Non"}},
            ],
        }
    )
    assert read_answer(own, "oui merci").value == "oui"
    assert read_answer(own, "non, je ne suis pas d'accord").value == "non"
    assert read_answer(own, "souvent").problem == UNCLEAR


def test_a_word_two_labels_share_names_no_option() -> None:
    question = Question.model_validate(
        {
            "id": "lieu",
            "type": "single_choice",
            "text": {"fr": "Où ?"},
            "options": [
                {"key": "haut", "label": {"fr": "Le jardin du nord"}},
                {"key": "bas", "label": {"fr": "Le jardin du sud"}},
                {"key": "place", "label": {"fr": "La place"}, "synonyms": {"fr": ["nord"]}},
            ],
        }
    )
    assert read_answer(question, "le sud").value == "bas"
    assert read_answer(question, "jardin").problem == UNCLEAR  # in two labels
    assert read_answer(question, "le nord").value == "place"  # a synonym beats a label word
    assert read_answer(question, "les nords").problem == UNCLEAR  # claimed twice


def _bands(*labels: str) -> Question:
    options = [{"key": f"o{i}", "label": {"fr": label}} for i, label in enumerate(labels)]
    return Question.model_validate(
        {"id": "combien", "type": "single_choice", "text": {"fr": "Combien ?"}, "options": options}
    )


def test_amounts_fall_in_bands_only_when_every_option_is_one_and_none_overlap() -> None:
    visits = _bands("1 à 4 fois", "5 à 9 fois", "10 fois ou plus")
    assert read_answer(visits, "7").value == "o1"
    assert read_answer(visits, "douze").value == "o2"
    assert read_answer(visits, "2").value == "o1"  # a position, as listed
    with_never = _bands("Jamais", "1 à 4 fois", "5 fois ou plus")
    assert read_answer(with_never, "7").problem == UNCLEAR
    overlapping = _bands("10 à 20", "15 à 30", "plus de 30")
    assert read_answer(overlapping, "25").problem == UNCLEAR


def test_a_negation_in_the_question_still_counts_in_the_answer() -> None:
    question = Question.model_validate(
        {
            "id": "note",
            "type": "scale",
            "text": {"fr": "Êtes-vous satisfait ? 1 pas du tout, 5 très, ou sans avis"},
        }
    )
    assert read_answer(question, "satisfait : 4").value == 4
    assert read_answer(question, "pas 4").problem == Problem.UNCLEAR_SCALE
    assert read_answer(question, "sans 4").problem == Problem.UNCLEAR_SCALE


@pytest.mark.parametrize(
    ("question", "text"),
    [(PROJECTS, "1" * 5000), (PROJECTS, "2 " + "0" * 5000), (FIRST, "3" * 5000),
     (GOES, "1" * 4301), (MARK, "4/" + "5" * 5000), (MARK, "4" * 5000 + " sur 5")],
)  # fmt: skip
def test_thousands_of_digits_are_unclear_not_a_crash(question: Question, text: str) -> None:
    answer = read_answer(question, text)
    assert answer.value is None and answer.problem is not None
