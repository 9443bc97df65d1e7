"""What residents type, brought to a comparable form, and the words that act as commands."""

from __future__ import annotations

import re

from gateway import i18n
from gateway.dialogue.engine import Command
from gateway.dialogue.reading import fold

# Twilio's own opt-out words (it blocks the number on its side too) plus the
# French ones people use; compared after `fold`, so ARRÊT and arret match.
OPT_OUT = frozenset(
    {
        "stop", "stop sms", "stopsms", "stop all", "stopall", "arret", "arreter", "arretez",
        "arret sms", "desabonner", "desabonnement", "desinscrire", "desinscription",
        "unsubscribe", "cancel", "end", "quit", "optout", "opt out", "revoke",
    }
)  # fmt: skip
# A message made only of these, repeated or with polite words ("STOP STOP", "stop merci"),
# is an opt-out; any other word makes it an answer ("Arrêt de bus", "Stop aux crottes").
_OPT_OUT_WORDS = frozenset(phrase for phrase in OPT_OUT if " " not in phrase)
_POLITE = frozenset({"sms", "merci", "svp", "stp", "please", "all", "tout"})
_SIL_VOUS_PLAIT = re.compile(r"\bs il vous plait\b")
OPT_IN = frozenset({"start", "debut", "unstop", "reprendre"})
ENGLISH_OPT_OUT = frozenset({"unsubscribe", "cancel", "end", "quit", "optout", "opt out", "revoke"})


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


def is_opt_out(text: str) -> bool:
    return opt_out_keyword(text) is not None


def opt_out_keyword(text: str) -> str | None:
    """The opt-out a message is made of ("STOP", "stop stop!!!", "Arrêt svp" -> arret), or None."""
    folded = fold(text)
    if folded in OPT_OUT:
        return folded
    words = _SIL_VOUS_PLAIT.sub("svp", folded).replace("opt out", "optout").split()
    if words and words[0] in _OPT_OUT_WORDS:
        return words[0] if all(w in _OPT_OUT_WORDS or w in _POLITE for w in words) else None
    return None


def is_opt_in(text: str) -> bool:
    return fold(text) in OPT_IN


def command(text: str) -> Command | None:
    stripped = text.strip()
    return COMMANDS.get("?" if stripped == "?" else fold(stripped))


def language_switch(text: str) -> str | None:
    """A message that is only a language code with a catalogue ("EN", "fr")."""
    folded = fold(text)
    return folded if folded in i18n.languages() else None
