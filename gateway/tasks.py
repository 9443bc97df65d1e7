"""Import every module that registers jobs, so any process knows them all."""

from gateway import audit_anchor, retention  # noqa: F401
from gateway.sms import tasks as sms_tasks  # noqa: F401
