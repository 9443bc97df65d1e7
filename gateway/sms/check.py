"""Every message a consultation can send by SMS, with what each costs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway import i18n
from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition
from gateway.sms import messages
from gateway.sms.segments import SegmentInfo, analyse, transliterate


@dataclass(frozen=True)
class Costed:
    language: str
    name: str
    text: str
    info: SegmentInfo
    # A GSM-7 version, when the definition forbids sending one and it would differ.
    proposal: str | None
    proposal_segments: int | None


def consultation_messages(definition: Definition, language: str) -> Iterator[tuple[str, str]]:
    yield "intro", messages.intro(definition, language)
    yield "invitation", messages.invitation(definition, language)
    for question in definition.all_questions:
        yield f"question {question.id}", messages.question_text(definition, question, language)


def costly_messages(session: Session, code: str) -> list[Costed]:
    """Messages that cost more than one segment as they will be sent."""
    definition = consultations.definition_of(consultations.get(session, code))
    found = []
    for language in i18n.languages():
        for name, written in consultation_messages(definition, language):
            text = messages.fit(written, definition)
            info = analyse(text)
            if info.fits_one_segment:
                continue
            # Sending is not transliterated for this consultation: say what it would save.
            proposal = transliterate(text)
            saving = analyse(proposal).segments if proposal != text else None
            found.append(Costed(language, name, text, info, proposal if saving else None, saving))
    return found
