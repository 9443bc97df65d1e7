"""A closed answer heard by Whisper: each allowed phrase scored against the audio.

Whisper has no grammar, and biasing its decoder towards the allowed answers makes it
say them on noise. Instead the decoder reads each allowed phrase as the whole
utterance (teacher forcing): a phrase's score is the log-likelihood of its tokens,
then of the utterance ending there (the end token or a final punctuation mark).
Each score is then weighed against the phrase's score on silence, its prior: what
Whisper says readily on little evidence ("un", "oui") must earn its place like the
rest. Phrases that stand for one answer ("bancs", "le troisième", "trois") are not
rivals: an answer scores as its best phrase.

The best answer is taken only when it is clear: it beats every other answer by
`MARGIN`, and Whisper's own free transcription of the audio does not beat it by more
than `GAP` (then something else was said, and the nearest allowed phrase would be a
guess). Anything less is unsure: nothing heard, and the line asks for the keypad.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gateway.speech import SAMPLE_RATE, SpeechUnavailable

# Chosen on a table of phone clips (bench/closed_answers.py): 21 sayings in Kokoro's
# realistic voice and 21 in robotic espeak-ng through the simulated line (yes/no,
# option labels, positions, "le deux", "plutôt les bancs", sayings off the list),
# plus silence and line noise. Weighed against their priors, the best answer was
# right for 30 of the 32 sayings that have one; answers heard wrong or for a saying
# off the list had margins up to 3.79 nats (Kokoro's "peut-être" as "tout à fait"),
# right ones from 0.3 to 22.8. At 4.5 no saying gets a wrong answer and 18 get the
# right one; the rest go to the keypad. Right answers came up to 11.7 nats below the
# free transcription (robotic speech is transcribed as anything), sayings off the
# list up to 29.4: the gap only catches what is plainly something else.
MARGIN = 4.5
GAP = 15.0
# A free transcription Whisper itself deems this likely to hold no speech is
# silence or line noise, as for free text (`gateway.speech.whisper.NO_SPEECH`).
NO_SPEECH = 0.6
# What may end a short answer after its last word: Whisper's end token, or a mark
# before it.
ENDINGS = (".", "!", "?", "...", " ?", " !", "…")
# An answer's score is its score against the clip less its score against silence:
# unweighed, short phrases Whisper says readily ("un", "oui") beat the rest on any
# unclear audio. Measured on the same table, the prior at weight 1 (the log-ratio)
# made 18 answers sure and right with none wrong; at 0.5 only 11, unweighed 8.
PRIOR_WEIGHT = 1.0
# Phrase priors kept per process: the phrases of every question, many times over.
MAX_PRIORS = 4096
BEAM_SIZE = 5
# A short answer is a few words; a free transcription longer than this is not one.
MAX_FREE_TOKENS = 48


@dataclass(frozen=True)
class Choice:
    """The answer heard and how clearly: `phrase` is None when unsure."""

    phrase: str | None
    margin: float
    gap: float


class Chooser:
    """Scores allowed phrases against one clip, on a loaded faster-whisper model."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()
        self._tokenizers: dict[str, Any] = {}
        self._silence: Any = None
        self._priors: dict[tuple[str, str], float] = {}

    def choose(self, samples: np.ndarray, language: str, allowed: Mapping[str, str]) -> Choice:
        """The allowed phrase said in `samples` (16 kHz floats), or None when unsure."""
        tokenizer = self._tokenizer(language)
        encoded = self._encode(samples)
        start = _start(tokenizer)
        free = self._model.model.generate(
            encoded, [start], beam_size=BEAM_SIZE, max_length=len(start) + MAX_FREE_TOKENS,
            return_no_speech_prob=True,
        )[0]  # fmt: skip
        if free.no_speech_prob >= NO_SPEECH:
            return Choice(None, 0.0, 0.0)
        said = _without_ending(list(free.sequences_ids[0]), _ends(tokenizer))
        phrases = _spellings(allowed)
        heard = self._scorer(encoded, tokenizer).scores([said, *_tokens(tokenizer, phrases)])
        priors = self._priors_of(tokenizer, language, phrases)
        scores = {p: (heard[i + 1], priors[p]) for i, p in enumerate(phrases)}
        return _decide(heard[0], scores, allowed)

    def _priors_of(self, tokenizer: Any, language: str, phrases: list[str]) -> dict[str, float]:
        """Each phrase's score against silence, once per phrase: how readily Whisper says it."""
        with self._lock:
            missing = [p for p in phrases if (language, p) not in self._priors]
        if missing:
            if self._silence is None:
                self._silence = self._encode(np.zeros(SAMPLE_RATE * 2, np.float32))
            scores = self._scorer(self._silence, tokenizer).scores(_tokens(tokenizer, missing))
            with self._lock:
                if len(self._priors) > MAX_PRIORS:
                    self._priors.clear()
                pairs = zip(missing, scores, strict=True)
                self._priors.update(((language, phrase), score) for phrase, score in pairs)
        with self._lock:
            return {p: self._priors.get((language, p), 0.0) for p in phrases}

    def _scorer(self, encoded: Any, tokenizer: Any) -> _Scorer:
        return _Scorer(self._model.model, encoded, _start(tokenizer), _ends(tokenizer))

    def _tokenizer(self, language: str) -> Any:
        with self._lock:
            if language not in self._tokenizers:
                from faster_whisper.tokenizer import Tokenizer

                self._tokenizers[language] = Tokenizer(
                    self._model.hf_tokenizer, self._model.model.is_multilingual,
                    task="transcribe", language=language,
                )  # fmt: skip
            return self._tokenizers[language]

    def _encode(self, samples: np.ndarray) -> Any:
        """The encoder's output for the clip, computed once and read by every phrase."""
        from faster_whisper.audio import pad_or_trim

        extractor = self._model.feature_extractor
        return self._model.encode(pad_or_trim(extractor(samples), extractor.nb_max_frames))


class _Scorer:
    """Teacher-forced log-likelihoods of token sequences against one encoded clip."""

    def __init__(self, model: Any, encoded: Any, start: list[int], ends: list[int]) -> None:
        self._model, self._encoded, self._start, self._ends = model, encoded, start, ends

    def scores(self, sequences: Sequence[list[int]]) -> list[float]:
        """Each sequence's score; one decoder pass per sequence no other one extends."""
        known: dict[tuple[int, ...], float] = {}
        for sequence in sorted({tuple(s) for s in sequences}, key=len, reverse=True):
            if sequence not in known:
                known.update(self._prefix_scores(list(sequence)))
        return [known[tuple(s)] for s in sequences]

    def _prefix_scores(self, tokens: list[int]) -> dict[tuple[int, ...], float]:
        """The score of `tokens` and of each of its prefixes, from one forced pass."""
        rows = self._forced_rows(tokens)
        scores, total = {}, 0.0
        for i, row in enumerate(rows):
            scores[tuple(tokens[:i])] = total + float(np.logaddexp.reduce(row[self._ends]))
            if i < len(tokens):
                total += float(row[tokens[i]])
        return scores

    def _forced_rows(self, tokens: list[int]) -> np.ndarray:
        """Log-probabilities of the next token after each prefix of `tokens`, itself included."""
        result = self._model.generate(
            self._encoded, [self._start + tokens], beam_size=1,
            # The prompt counts in the length; room for the row after the last token.
            max_length=len(self._start) + 2 * len(tokens) + 4,
            return_logits_vocab=True, suppress_blank=False, suppress_tokens=[],
        )[0]  # fmt: skip
        logits = np.asarray(result.logits[0], dtype=np.float64)[: len(tokens) + 1]
        if len(logits) <= len(tokens) or list(result.sequences_ids[0][: len(tokens)]) != tokens:
            # Never seen; the line then asks again rather than fail the call.
            raise SpeechUnavailable("Whisper did not read the forced phrase back")
        peak = logits.max(axis=1, keepdims=True)
        total = np.log(np.exp(logits - peak).sum(axis=1, keepdims=True))
        normalised: np.ndarray = logits - peak - total
        return normalised


def _decide(
    free: float, scores: Mapping[str, tuple[float, float]], allowed: Mapping[str, str]
) -> Choice:
    """The best answer when it is clear of the others and of the free transcription.

    `scores` holds each phrase's score against the clip and against silence.
    """
    best: dict[str, tuple[float, float]] = {}
    phrases: dict[str, str] = {}
    for phrase, (heard, prior) in scores.items():
        answer, weighed = allowed[phrase], heard - PRIOR_WEIGHT * prior
        if answer not in best or weighed > best[answer][0]:
            best[answer], phrases[answer] = (weighed, heard), phrase
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    answer, (top, heard) = ranked[0]
    margin = top - ranked[1][1][0] if len(ranked) > 1 else float("inf")
    gap = free - heard
    clear = margin >= MARGIN and gap <= GAP
    return Choice(phrases[answer] if clear else None, margin, gap)


def _spellings(allowed: Mapping[str, str]) -> list[str]:
    """One spelling per phrase, the accented one: "lumiere" is "lumière" typed on a phone."""
    kept: dict[str, str] = {}
    for phrase in allowed:
        plain = _unaccented(phrase)
        if plain not in kept or kept[plain] == plain:
            kept[plain] = phrase
    return list(kept.values())


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(tokenizer: Any, phrases: list[str]) -> list[list[int]]:
    return [tokenizer.encode(_spelled(phrase)) for phrase in phrases]


def _start(tokenizer: Any) -> list[int]:
    """What a transcription without timestamps starts with, in the tokenizer's language."""
    return [*tokenizer.sot_sequence, tokenizer.no_timestamps]


def _ends(tokenizer: Any) -> list[int]:
    return [tokenizer.eot, *(t for mark in ENDINGS for t in tokenizer.encode(mark))]


def _spelled(phrase: str) -> str:
    """As Whisper writes a short answer: after a space, capitalised ("oui" -> " Oui")."""
    return " " + phrase[:1].upper() + phrase[1:]


def _without_ending(tokens: list[int], ends: list[int]) -> list[int]:
    """The free transcription without its final punctuation, scored like a phrase."""
    while tokens and tokens[-1] in ends:
        tokens = tokens[:-1]
    return tokens
