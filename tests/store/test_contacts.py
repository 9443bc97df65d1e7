"""One opt-out list for every channel, kept across the move out of the SMS tables."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from gateway import contacts
from gateway.identity import participant_key
from gateway.runtime import Runtime
from gateway.store.migrate import MIGRATIONS_DIR, upgrade
from gateway.store.models import Channel, ContactOptOut

SECRET = b"test-secret"


def test_an_opt_out_on_one_channel_holds_for_all_until_opt_in(runtime: Runtime) -> None:
    phone = participant_key("phone", "+33612345678", SECRET)
    with runtime.sessions() as session, session.begin():
        assert contacts.opt_out(session, phone, Channel.IVR, "key 9")
        # Said again by SMS: already recorded, so not confirmed a second time.
        assert not contacts.opt_out(session, phone, Channel.SMS, "stop")
    with runtime.sessions() as session, session.begin():
        assert contacts.is_opted_out(session, phone)
        row = session.scalars(select(ContactOptOut)).one()
        assert (row.channel, row.said) == ("ivr", "key 9")
        assert contacts.opt_in(session, phone) and not contacts.opt_in(session, phone)
        assert not contacts.is_opted_out(session, phone)


def _before(revision: str) -> str:
    """The revision a migration applies on top of."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    down = scripts.get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


def test_sms_opt_outs_move_to_the_shared_list(runtime: Runtime) -> None:
    with runtime.engine.begin() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("DROP TABLE contact_opt_out"))
        connection.execute(
            text("UPDATE alembic_version SET version_num = :before"), {"before": _before("0006")}
        )
        connection.execute(
            text(
                "CREATE TABLE sms_opt_out (id INTEGER PRIMARY KEY, phone_hash VARCHAR(64) "
                "NOT NULL UNIQUE, keyword VARCHAR(32) NOT NULL, opted_out_at TIMESTAMP "
                "WITH TIME ZONE NOT NULL)"
            )
        )
        connection.execute(
            text("INSERT INTO sms_opt_out VALUES (1, 'h1', 'arret', :at)"),
            {"at": datetime(2026, 11, 1, tzinfo=UTC)},
        )
    upgrade(runtime.engine, "0006")
    with runtime.engine.begin() as connection:
        # Only 0006 was undone: the later revisions are still in place.
        connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    with runtime.sessions() as session:
        row = session.scalars(select(ContactOptOut)).one()
        assert (row.phone_hash, row.channel, row.said) == ("h1", "sms", "arret")
