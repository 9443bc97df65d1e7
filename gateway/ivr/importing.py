"""Recordings collected elsewhere (a voicemail box, a dictaphone at a permanence), imported.

Each file goes through the phone line's pipeline: checked, kept as evidence,
transcribed when an engine is set, and recorded through the one door as a spoken
answer to one free-text question. Like a call's recording, its transcript is only
the proposed value of an answer a person checks against the audio in review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import QuestionType
from gateway.contributions.decisions import propose_reading
from gateway.contributions.door import record_intake
from gateway.contributions.intake import AnswerIn, EvidenceRef, Intake, IntakeResult
from gateway.deps import door_policy
from gateway.errors import PortevoixError
from gateway.evidence import StoredBlob
from gateway.runtime import Runtime
from gateway.speech import SpeechEngine, Transcript
from gateway.speech.engines import transcribe_recording
from gateway.speech.wav import check_audio
from gateway.store.base import utcnow
from gateway.store.models import AnswerSource, Channel

AUDIO_MEDIA_TYPE = "audio/wav"
TRANSCRIPT_MEDIA_TYPE = "application/json"
IMPORT_ACTOR = "system:audio-import"


class NotImportable(PortevoixError):
    """This file, or this question, cannot take an imported recording."""


@dataclass(frozen=True)
class Imported:
    transcript: Transcript | None
    result: IntakeResult | None


def transcribe_file(path: Path, engine: SpeechEngine | None, max_bytes: int) -> Transcript | None:
    """The transcript of one WAV file; NotImportable when it is too large or not audio."""
    return _transcribe(_read(path, max_bytes), engine)


def import_file(
    session: Session,
    runtime: Runtime,
    path: Path,
    engine: SpeechEngine | None,
    target: tuple[str, str],
) -> Imported:
    """Record one file as a spoken answer to (consultation code, question id), once."""
    code, question_id = target
    _check_question(session, code, question_id)
    audio = _read(path, runtime.evidence.max_bytes)
    transcript = _transcribe(audio, engine)
    refs = [_ref(runtime.evidence.put(audio, AUDIO_MEDIA_TYPE), "recording", question_id)]
    if transcript is not None:
        document = json.dumps(transcript.as_json(), ensure_ascii=False).encode()
        blob = runtime.evidence.put(document, TRANSCRIPT_MEDIA_TYPE)
        refs.append(_ref(blob, "transcript", question_id))
    result = record_intake(session, _intake(code, question_id, path, refs), door_policy(runtime))
    if transcript is not None and transcript.text and not result.replayed:
        propose_reading(
            session, result.contribution_id, question_id, transcript.text,
            confidence=transcript.confidence, actor=IMPORT_ACTOR,
            reason="transcript of an imported recording: to check against the audio",
        )  # fmt: skip
    return Imported(transcript, result)


def _check_question(session: Session, code: str, question_id: str) -> None:
    definition = consultations.definition_by_code(session, code)
    if definition is None:
        raise NotImportable(f"no consultation {code}")
    question = definition.question(question_id)
    if question is None:
        raise NotImportable(f"{code} has no question {question_id!r}")
    if question.type != QuestionType.TEXT:
        raise NotImportable(f"{code}/{question_id} is not a free-text question")


def _read(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise NotImportable(f"{path.name}: {size} bytes, over the limit of {max_bytes}")
    audio = path.read_bytes()
    check_audio(audio)
    return audio


def _transcribe(audio: bytes, engine: SpeechEngine | None) -> Transcript | None:
    # The recording's language is the line's first: French.
    return transcribe_recording(engine, audio, "fr") if engine is not None else None


def _ref(blob: StoredBlob, role: str, question_id: str) -> EvidenceRef:
    return EvidenceRef(blob.sha256, blob.media_type, blob.size, role=role, question_id=question_id)


def _intake(code: str, question_id: str, path: Path, refs: list[EvidenceRef]) -> Intake:
    # The audio's hash is the external id: importing the same file twice records it once.
    return Intake(
        consultation_code=code,
        channel=Channel.IVR,
        external_id=f"import:{refs[0].sha256}",
        answers=[AnswerIn(question_id, "", f"file:{path.name}"[:200], AnswerSource.SPEECH, 0.0)],
        participant=None,
        evidence=refs,
        language="fr",
        received_at=utcnow(),
    )
