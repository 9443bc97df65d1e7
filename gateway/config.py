"""Settings, read from PORTEVOIX_* environment variables."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTEVOIX_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"

    channels: list[str] = ["sms", "ivr", "kiosk", "paper", "online"]

    jobs: Literal["inprocess", "celery"] = "inprocess"
    job_workers: int = 2
    redis_url: str = "redis://127.0.0.1:6379/0"

    # Answers read by a machine (OCR, speech) below this confidence go to review.
    review_confidence_threshold: float = 0.8
    evidence_max_bytes: int = 25 * 1024 * 1024
    evidence_retention_days: int = 180
    max_request_bytes: int = 1024 * 1024
    # Where `audit anchor` and the daily job append the journal's head; default
    # <data_dir>/audit-anchors.jsonl. In production: another disk or host.
    audit_anchor_file: Path | None = None

    twilio_auth_token: SecretStr | None = None
    twilio_account_sid: str = ""
    # The SMS sender: a Twilio number in E.164 or an alphanumeric sender id.
    twilio_from_number: str = ""
    # Where the REST client sends requests; a local stand-in in tests.
    twilio_api_url: str = "https://api.twilio.com"

    # A conversation left this long without a reply expires (answers and number purged).
    sms_idle_minutes: int = 60
    # More inbound messages than this from one number within the window get one polite reply.
    sms_flood_limit: int = 20
    sms_flood_window_minutes: int = 5
    sms_log_retention_days: int = 30
    # Outbound invitations: at most this many per minute, never in quiet hours.
    sms_send_per_minute: int = 60
    sms_timezone: str = "Europe/Paris"
    sms_quiet_start: time = time(22, 0)
    sms_quiet_end: time = time(8, 0)
    sms_quiet_days: list[int] = [6]  # Monday is 0: no invitations on Sundays.

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == DEFAULT_SECRET or len(secret) < 32):
            raise ValueError(
                "PORTEVOIX_SECRET_KEY must be set to a random value of 32 characters or more "
                "outside development (try: openssl rand -hex 32)"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'portevoix.db'}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def audit_anchor_path(self) -> Path:
        return self.audit_anchor_file or self.data_dir / "audit-anchors.jsonl"

    @property
    def secret(self) -> bytes:
        return self.secret_key.get_secret_value().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
