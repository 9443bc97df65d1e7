"""Free text made fit to publish: personal data masked, insults flagged; the original stays.

What a resident wrote is kept as they wrote it, for agents; only what is published
goes through `publishable`: the text as an agent decided (masked, edited or
withheld, journaled on the answer), else masked here, and withheld while it holds
an insult. Detection errs towards masking: a masked word in a published idea costs
less than a phone number on the town's website.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The journal's subject for an agent's decision on an answer's free text.
MODERATED_TEXT = "answer_text"
DECIDED = "moderation."
MASK = "[…]"
PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)\s?33\s?\(?0?\)?\s?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# What French speakers say before their own name.
NAME_CUE = re.compile(
    r"\b(?:je m['’]appelle|mon nom est|mon nom c['’]est|moi c['’]est|je suis|"
    r"signé|signe|cordialement)\s*[,:]?\s+",
    re.IGNORECASE,
)
NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# After "je suis", only a capitalised word is a name ("je suis contente" is not).
CAPITALISED_ONLY = ("je suis", "cordialement", "signé", "signe")
MAX_NAME_WORDS = 3
INSULTS = frozenset({
    "connard", "connards", "connasse", "salope", "salopes", "encule", "encules", "pute",
    "putes", "abruti", "abrutis", "cretin", "cretins", "debile", "debiles", "ordure",
    "ordures", "batard", "batards", "merde", "enfoire", "enfoires", "con", "cons",
})  # fmt: skip
WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Moderated:
    published: str
    masked: tuple[str, ...]
    insults: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        return bool(self.masked or self.insults)


@dataclass(frozen=True)
class Decision:
    """An agent's word on a free text: what to publish, None when withheld."""

    published: str | None


def publishable(text: str, decision: Decision | None) -> str | None:
    """The free text as it may be published: as decided, else masked, insults withheld."""
    if decision is not None:
        return decision.published
    found = moderate(text)
    return None if found.insults else found.published


def moderate(text: str) -> Moderated:
    """Mask phone numbers, e-mail addresses and names; flag insults."""
    masked: list[str] = []
    for kind, pattern in (("email", EMAIL), ("phone", PHONE)):
        text, count = pattern.subn(MASK, text)
        masked += [kind] * count
    text, names = _mask_names(text)
    masked += ["name"] * names
    return Moderated(text, tuple(masked), _insults(text))


def _mask_names(text: str) -> tuple[str, int]:
    out, position, count = [], 0, 0
    for cue in NAME_CUE.finditer(text):
        if cue.start() < position:
            continue
        end = _name_end(text, cue.end(), cue.group(0).lower().startswith(CAPITALISED_ONLY))
        if end > cue.end():
            out += [text[position : cue.end()], MASK]
            position, count = end, count + 1
    return "".join([*out, text[position:]]), count


def _name_end(text: str, start: int, capitalised_only: bool) -> int:
    """Where the name that starts at `start` ends: up to three capitalised words."""
    end, words = start, 0
    for word in NAME_WORD.finditer(text, start):
        gap = text[end : word.start()]
        if words == MAX_NAME_WORDS or (words and gap.strip()) or (not words and gap):
            break
        if not word.group(0)[0].isupper() and (words or capitalised_only):
            break
        end, words = word.end(), words + 1
        if not word.group(0)[0].isupper():
            break  # a name written lower case: its first word only
    return end


def _insults(text: str) -> tuple[str, ...]:
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return tuple(dict.fromkeys(w for w in WORD.findall(plain) if w in INSULTS))
