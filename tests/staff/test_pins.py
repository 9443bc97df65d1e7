"""Médiateur PINs: set on a page behind the password, checked at kiosks, locked after misses."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.runtime import Runtime
from gateway.staff import service
from gateway.staff.models import StaffAccount, StaffRole
from tests.staff.conftest import PASSWORD, Clock, csrf_token, make_account, sign_in

PIN = "4071"


def _post_pin(
    client: TestClient, pin: str = PIN, again: str | None = None, **form: str
) -> httpx.Response:
    fields = {"password": PASSWORD, "pin": pin, "pin_again": pin if again is None else again}
    fields["csrf_token"] = form.pop("csrf_token", None) or csrf_token(client.get("/staff/pin"))
    return client.post("/staff/pin", data={**fields, **form})


def _check(runtime: Runtime, who: int | str, pin: str) -> service.PinCheck:
    with runtime.sessions() as session, session.begin():
        return service.check_pin(session, who, pin)


def _pin_hash(runtime: Runtime, login: str = "mia") -> str | None:
    with runtime.sessions() as session:
        return session.scalar(select(StaffAccount.pin_hash).where(StaffAccount.login == login))


@pytest.fixture
def mediateur(runtime: Runtime, client: TestClient) -> StaffAccount:
    account = make_account(runtime, "mia", StaffRole.MEDIATEUR)
    sign_in(client, "mia")
    return account


def test_a_mediateur_sets_a_pin_and_a_kiosk_checks_it(
    runtime: Runtime, client: TestClient, mediateur: StaffAccount
) -> None:
    saved = _post_pin(client)
    assert saved.status_code == 200 and "Votre code PIN est enregistré" in saved.text
    stored = _pin_hash(runtime)
    assert stored and stored.startswith("$argon2id$") and PIN not in stored
    assert _check(runtime, "mia", PIN).ok
    assert _check(runtime, mediateur.id, PIN) == service.PinCheck(mediateur.id, ok=True)
    assert not _check(runtime, "mia", "4072").ok


@pytest.mark.parametrize(
    ("pin", "again", "message"),
    [
        ("12", None, "de 4 à 8 chiffres"),
        ("123456789", None, "de 4 à 8 chiffres"),
        ("12a4", None, "de 4 à 8 chiffres"),
        ("1234", None, "ne doit pas répéter"),
        ("7777", None, "ne doit pas répéter"),
        ("4071", "4017", "Les deux codes PIN sont différents"),
    ],
)
def test_a_bad_pin_is_refused_with_a_reason(
    runtime: Runtime,
    client: TestClient,
    mediateur: StaffAccount,
    pin: str,
    again: str | None,
    message: str,
) -> None:
    refused = _post_pin(client, pin, again)
    assert refused.status_code == 400 and message in refused.text
    assert _pin_hash(runtime) is None


def test_setting_a_pin_needs_the_password(
    runtime: Runtime, client: TestClient, mediateur: StaffAccount
) -> None:
    refused = _post_pin(client, password="not my password at all")
    assert refused.status_code == 400 and "Le mot de passe n'est pas le bon" in refused.text
    assert _pin_hash(runtime) is None


def test_a_forged_or_missing_csrf_token_leaves_the_pin_unchanged(
    runtime: Runtime, client: TestClient, mediateur: StaffAccount
) -> None:
    _post_pin(client)
    before = _pin_hash(runtime)
    assert _post_pin(client, "5820", csrf_token="forged").status_code == 403
    no_token = {"password": PASSWORD, "pin": "5820", "pin_again": "5820"}
    assert client.post("/staff/pin", data=no_token).status_code == 403
    assert _pin_hash(runtime) == before


def test_five_wrong_pins_lock_it_and_say_for_how_long(
    runtime: Runtime, client: TestClient, mediateur: StaffAccount, clock: Clock
) -> None:
    _post_pin(client)
    results = [_check(runtime, "mia", "0000") for _ in range(5)]
    assert [r.locked_for for r in results] == [None] * 4 + [timedelta(minutes=15)]
    assert results[0].message("fr") == "Code PIN faux. Essayez encore."
    assert results[-1].message("fr") == (
        "Trop de codes PIN faux. Le code PIN est bloqué pendant 15 minutes."
    )
    clock.advance(minutes=10, seconds=30)
    still_locked = _check(runtime, "mia", PIN)
    assert not still_locked.ok and still_locked.message("en").endswith("for 5 minutes.")
    clock.advance(minutes=5)
    assert _check(runtime, "mia", PIN).ok


def test_only_a_mediateur_or_an_admin_can_use_a_pin(runtime: Runtime) -> None:
    agent = make_account(runtime, "arno", StaffRole.AGENT)
    with runtime.sessions() as session, session.begin():
        account = session.get(StaffAccount, agent.id)
        assert account is not None
        service.set_pin(session, account, PIN)
    assert _check(runtime, "arno", PIN) == service.PinCheck(None, ok=False)
    assert _check(runtime, "nobody", PIN) == service.PinCheck(None, ok=False)
