"""Retention: evidence is deleted once its retention date has passed."""

from __future__ import annotations

from sqlalchemy import select

from gateway import audit
from gateway.runtime import Runtime
from gateway.store.base import utcnow
from gateway.store.models import Evidence


def purge_expired_evidence(runtime: Runtime) -> None:
    """Delete blobs past their retention date; keep the row as proof it existed."""
    with runtime.sessions() as session, session.begin():
        expired = session.scalars(
            select(Evidence).where(Evidence.retain_until < utcnow(), Evidence.purged_at.is_(None))
        ).all()
        for evidence in expired:
            runtime.evidence.delete(evidence.sha256)
            evidence.purged_at = utcnow()
        if expired:
            audit.append(session, "evidence.purged", "evidence", "batch", {"count": len(expired)})
