"""The consultations a channel offers, as the dialogue engine sees them, read from the store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.consultations import repository as consultations
from gateway.consultations.schema import Definition, IdentityKey, Policy
from gateway.store.models import Channel


class OfferedConsultations:
    """One channel's view of the consultations, for one caller, read once per turn.

    `phone_hash` is the caller's keyed phone hash, or None when the number is unknown
    (a withheld caller id): then nobody can be told they already took part. Whether
    the caller took part is read along with a consultation when that is read.
    """

    def __init__(
        self, session: Session, channel: Channel, phone_hash: str | None, now: datetime
    ) -> None:
        self.session = session
        self.channel = channel
        self.phone_hash = phone_hash
        self.now = now
        self._definitions: dict[str, Definition | None] = {}
        self._took_part: dict[str, bool] = {}

    def definition(self, code: str) -> Definition | None:
        if code not in self._definitions:
            definition = self._read(code)
            offered = definition is not None and self.channel in definition.channels
            self._definitions[code] = definition if offered else None
        return self._definitions[code]

    def _read(self, code: str) -> Definition | None:
        if self.phone_hash is None:
            return consultations.definition_by_code(self.session, code)
        definition, took_part = consultations.definition_for(self.session, code, self.phone_hash)
        if definition is not None and took_part is not None:
            self._took_part[definition.code] = took_part
        return definition

    def open_definitions(self) -> list[Definition]:
        found = []
        for consultation in consultations.list_all(self.session):
            definition = consultations.definition_of(consultation)
            if self.channel in definition.channels and definition.is_open(self.now):
                found.append(definition)
        return found

    def open_codes(self) -> list[str]:
        return [definition.code for definition in self.open_definitions()]

    def took_part(self, definition: Definition) -> bool:
        identity = definition.identity
        if self.phone_hash is None or identity.policy != Policy.ONE_PER_PERSON:
            return False
        if IdentityKey.PHONE not in identity.keys:
            return False
        known = self._took_part.get(definition.code)
        if known is not None:
            return known
        return consultations.took_part(self.session, definition.code, self.phone_hash)
