"""The core's jobs; each channel lists its own in its adapter."""

from datetime import timedelta

from gateway.audit_anchor import anchor_journal
from gateway.jobs import JobSpec
from gateway.retention import purge_expired_evidence

CORE_JOBS = (
    JobSpec("evidence.purge_expired", purge_expired_evidence, every=timedelta(hours=6)),
    JobSpec("audit.anchor", anchor_journal, every=timedelta(days=1)),
)
