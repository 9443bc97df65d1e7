"""Anchors: the journal's length and head hash, appended to a file outside the database.

`audit verify` compares the journal with the latest anchor, so events deleted
from the tail up to that anchor are found. The file only helps if whoever can
rewrite the database cannot rewrite it too: in production it belongs on another
disk or host (a mounted share, a log shipper, a write-once bucket).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from gateway import audit
from gateway.errors import PortevoixError
from gateway.runtime import Runtime


def write_anchor(session: Session, path: Path) -> audit.Anchor:
    """Append the journal's current head to the anchor file, durably."""
    anchor = audit.head(session)
    line = {"at": anchor.at.isoformat(), "events": anchor.events, "head": anchor.head}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return anchor


def latest_anchor(path: Path) -> audit.Anchor | None:
    """The last anchor in the file; None if nothing was anchored there yet."""
    if not path.exists():
        return None
    last = None
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            last = line.strip() or last
    return None if last is None else _parse(path, last)


def _parse(path: Path, line: str) -> audit.Anchor:
    try:
        fields = json.loads(line)
        return audit.Anchor(
            at=datetime.fromisoformat(fields["at"]),
            events=int(fields["events"]),
            head=str(fields["head"]),
        )
    except (ValueError, KeyError, TypeError):
        raise PortevoixError(f"{path}: the last anchor is not readable") from None


def anchor_journal(runtime: Runtime) -> None:
    """Anchor the journal once a day while the gateway serves."""
    with runtime.sessions() as session:
        write_anchor(session, runtime.settings.audit_anchor_path)
