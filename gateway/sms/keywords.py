"""What residents type, brought to a comparable form, and the words that act as commands."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from gateway import i18n

_NOT_WORD = re.compile(r"[^a-z0-9]+")

# Twilio's own opt-out words (it blocks the number on its side too) plus the
# French ones people use; compared after `fold`, so ARRÊT and arret match.
OPT_OUT = frozenset(
    {
        "stop", "stop sms", "stopsms", "stop all", "stopall", "arret", "arreter", "arretez",
        "arret sms", "desabonner", "desabonnement", "desinscrire", "desinscription",
        "unsubscribe", "cancel", "end", "quit", "optout", "opt out", "revoke",
    }
)  # fmt: skip
# A first word that shows the intent when only polite words follow ("stop merci"); any
# other word makes it an answer ("Arrêt de bus", "Stop aux crottes").
_OPT_OUT_LEADS = frozenset({"stop", "arret", "arreter", "arretez", "desabonner", "unsubscribe"})
_POLITE = frozenset({"sms", "merci", "svp", "stp", "please", "all", "tout"})
_SIL_VOUS_PLAIT = re.compile(r"\bs il vous plait\b")
OPT_IN = frozenset({"start", "debut", "unstop", "reprendre"})
ENGLISH_OPT_OUT = frozenset({"unsubscribe", "cancel", "end", "quit", "optout", "opt out", "revoke"})


class Command(StrEnum):
    HELP = "help"
    BACK = "back"
    SKIP = "skip"
    END = "end"


COMMANDS = {
    "aide": Command.HELP,
    "help": Command.HELP,
    "?": Command.HELP,
    "retour": Command.BACK,
    "back": Command.BACK,
    "passer": Command.SKIP,
    "skip": Command.SKIP,
    "fin": Command.END,
    "done": Command.END,
    "termine": Command.END,
}


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "  ARRÊT! " -> "arret"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain.replace("œ", "oe")).strip()


def is_opt_out(text: str) -> bool:
    folded = fold(text)
    if folded in OPT_OUT:
        return True
    words = _SIL_VOUS_PLAIT.sub("svp", folded).split()
    return bool(words) and words[0] in _OPT_OUT_LEADS and all(w in _POLITE for w in words[1:])


def is_opt_in(text: str) -> bool:
    return fold(text) in OPT_IN


def command(text: str) -> Command | None:
    stripped = text.strip()
    return COMMANDS.get("?" if stripped == "?" else fold(stripped))


def language_switch(text: str) -> str | None:
    """A message that is only a language code with a catalogue ("EN", "fr")."""
    folded = fold(text)
    return folded if folded in i18n.languages() else None
