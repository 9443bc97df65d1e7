"""The channel registry: one map read by the app, the CLI, the jobs and `doctor`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway import channels
from gateway.app import create_app
from gateway.doctor import doctor_report
from gateway.errors import PortevoixError
from gateway.store.models import Channel
from tests.conftest import make_settings


def test_every_adapter_is_listed_under_its_own_channel() -> None:
    assert all(adapter.channel == channel for channel, adapter in channels.ADAPTERS.items())


def test_unset_channels_mean_every_channel_built(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    assert [a.channel for a in channels.enabled(settings)] == list(channels.ADAPTERS)


def test_unknown_channels_are_refused_with_the_known_ones(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, channels=["sms", "fax"])
    with pytest.raises(PortevoixError, match=r"unknown channel 'fax'; known channels: online, sms"):
        create_app(settings)


def test_a_disabled_channel_has_no_routes_and_no_jobs(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, channels=["online"])
    with channels.build_runtime(settings, dispatch=False) as runtime:
        assert "sms.send_due" not in runtime.jobs and "evidence.purge_expired" in runtime.jobs
        with TestClient(create_app(runtime=runtime)) as client:
            assert client.post("/sms/twilio/inbound").status_code == 404
            assert client.get("/api/v1/consultations").status_code == 200


def test_doctor_says_exactly_what_is_missing(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, channels=["sms"])
    settings.data_dir.mkdir(parents=True)
    report = doctor_report(settings)
    text = report.text()
    assert not report.ok
    assert "store      core, ready" in text
    assert "sms        enabled, NOT READY" in text
    assert (
        "missing: Twilio auth token (webhook signatures): set PORTEVOIX_TWILIO_AUTH_TOKEN" in text
    )
    assert "optional, missing: invitations (outbound SMS)" in text
    assert "online     disabled" in text


def test_doctor_is_happy_when_all_is_there(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        channels=[Channel.SMS.value],
        twilio_auth_token="token",
        public_url="https://porte-voix.mairie.example",
        twilio_account_sid="AC0",
        twilio_from_number="+33644630000",
    )
    settings.data_dir.mkdir(parents=True)
    report = doctor_report(settings)
    assert report.ok, report.text()
