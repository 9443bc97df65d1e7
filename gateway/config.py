"""Settings, read from PORTEVOIX_* environment variables."""

from __future__ import annotations

import math
from collections import Counter
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-change-me"
MIN_SECRET_LENGTH = 32
# Character frequencies of 32 random hex digits estimate 90 to 128 bits; "a" * 32 gives 0.
MIN_SECRET_BITS = 80


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTEVOIX_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"

    # The channels to serve, by name (a JSON list); unset serves every channel built.
    channels: list[str] | None = None

    jobs: Literal["inprocess", "celery"] = "inprocess"
    job_workers: int = 2
    redis_url: str = "redis://127.0.0.1:6379/0"

    # Answers read by a machine (OCR, speech) below this confidence go to review.
    review_confidence_threshold: float = 0.8
    # A vote's uncertain answer counts only once two different reviewers agree on it;
    # when they disagree, an agent decides.
    double_review_votes: bool = False
    # Paper mark bands that differ from gateway/paper_ocr/marks.py (a JSON object, e.g.
    # {"marked_from": 0.12}); `portevoix paper rethreshold` shows what a change would do.
    paper_thresholds: dict[str, float] = {}
    evidence_max_bytes: int = 25 * 1024 * 1024
    evidence_retention_days: int = 180
    max_request_bytes: int = 1024 * 1024
    # A staff upload (a batch of scans, under /staff/…/upload): its files are spooled to disk.
    max_upload_bytes: int = 500 * 1024 * 1024
    # /docs, /redoc and /openapi.json; unset means on, except in production.
    api_docs: bool | None = None
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

    # The phone line (IVR). Each language a caller may choose, the first greets.
    ivr_languages: list[str] = ["fr"]
    # Twilio <Say> voices per language; a slower rate (e.g. "85%") for residents who need it.
    ivr_voices: dict[str, str] = {"fr": "Polly.Lea", "en": "Polly.Amy"}
    ivr_speech_rate: str = "100%"
    # Seconds of silence before a question counts as unanswered (then asked again).
    ivr_timeout_seconds: int = 10
    # Where `0` transfers a caller (E.164), and when someone answers there.
    ivr_mediator_number: str = ""
    ivr_mediator_opens: time = time(9, 0)
    ivr_mediator_closes: time = time(17, 0)
    ivr_mediator_days: list[int] = [0, 1, 2, 3, 4]  # Monday is 0.
    ivr_timezone: str = "Europe/Paris"
    # The time zone of a paper batch's collection time given without one.
    paper_timezone: str = "Europe/Paris"
    # A call dropped mid-consultation resumes where it stopped when the number calls back
    # within this many hours; after that the answers are forgotten.
    ivr_resume_hours: int = 48
    # Who hears a spoken answer to a closed question (`spoken: true` in the definition):
    # Twilio's own recogniser (<Gather input="dtmf speech">), the local engine on a short
    # recording, or nobody (keypad only). Below the confidence, the caller is asked again,
    # then to use the keypad: a spoken answer is never guessed.
    ivr_spoken_answers: Literal["twilio", "local", "off"] = "twilio"
    ivr_speech_confidence: float = Field(0.6, ge=0, le=1)

    # A kiosk left untouched this long warns, then counts down this long and wipes the session.
    kiosk_idle_seconds: int = Field(120, ge=10)
    kiosk_warning_seconds: int = Field(30, ge=5)
    # At most this many contributions one médiateur helps with (or keys in from paper) for
    # one consultation: past it, help goes to another médiateur, so no one voice weighs much.
    kiosk_assist_cap: int = Field(30, ge=1)
    # Online pages (`/c/{code}`): a session lives this long untouched. A one-time code sent
    # by SMS expires after this long, takes this many tries, and a number gets this many
    # codes an hour.
    online_session_minutes: int = Field(60, ge=5)
    online_code_minutes: int = Field(10, ge=1)
    online_code_attempts: int = Field(5, ge=1)
    online_codes_per_hour: int = Field(3, ge=1)

    # Speech to text for spoken answers: whisper, vosk or none. Unset: whisper when
    # the `speech` extra is installed, else none (recordings wait for a person).
    stt_engine: Literal["whisper", "vosk", "none"] | None = None
    # Where `portevoix ivr setup-speech` joins the Whisper model; default
    # <data_dir>/speech/whisper-base.
    whisper_model_dir: Path | None = None
    # A Vosk model directory (e.g. vosk-model-small-fr-0.22), for the vosk engine.
    vosk_model: Path | None = None

    # A staff session ends after this long without a request, and this long after sign-in.
    staff_session_idle_minutes: int = 30
    staff_session_max_hours: int = 12

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and not is_strong_secret(secret):
            raise ValueError(
                "PORTEVOIX_SECRET_KEY must be set to a random value of 32 characters or more "
                "outside development (try: openssl rand -hex 32)"
            )
        return self

    @property
    def api_docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"

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


def is_strong_secret(secret: str) -> bool:
    """Refuse short, default, repeated or low-entropy secrets ("a" * 32, "ab" * 16)."""
    if secret == DEFAULT_SECRET or len(secret) < MIN_SECRET_LENGTH:
        return False
    if (secret + secret).find(secret, 1) < len(secret):
        return False  # A shorter string repeated: its entropy is that of the shorter one.
    counts = Counter(secret).values()
    bits = -sum(n * math.log2(n / len(secret)) for n in counts)
    return bits >= MIN_SECRET_BITS


@lru_cache
def get_settings() -> Settings:
    return Settings()
