"""Sign-in over HTTP: success, a generic failure, lockout, cookies, expiry, sign-out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.app import create_app
from gateway.channels import build_runtime
from gateway.runtime import Runtime
from gateway.staff import hashing
from gateway.staff.models import StaffAccount, StaffRole, StaffSession
from gateway.store.models import AuditEvent
from tests.conftest import make_settings
from tests.staff.conftest import PASSWORD, Clock, csrf_token, make_account, sign_in


def _actions(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _account(runtime: Runtime, login: str = "alice") -> StaffAccount:
    with runtime.sessions() as session:
        account = session.scalar(select(StaffAccount).where(StaffAccount.login == login))
        assert account is not None
        return account


def test_sign_in_opens_the_staff_home(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime, "alice", StaffRole.AGENT)
    signed = sign_in(client, "Alice ")
    assert signed.status_code == 303 and signed.headers["location"] == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "alice" in home.text and "avec le rôle : agent" in home.text
    assert _actions(runtime) == ["staff.created", "staff.signed_in"]


def test_a_failure_says_the_same_whether_or_not_the_login_exists(
    runtime: Runtime, client: TestClient
) -> None:
    make_account(runtime)
    wrong_password = sign_in(client, "alice", "not the password at all")
    unknown_login = sign_in(client, "nobody", PASSWORD)
    assert wrong_password.status_code == unknown_login.status_code == 400
    for page in (wrong_password, unknown_login):
        assert "La connexion a échoué" in page.text
        assert "pv_staff" not in page.headers.get("set-cookie", "")
    assert client.get("/staff/").status_code == 303
    assert _actions(runtime) == ["staff.created", "staff.sign_in_failed", "staff.sign_in_failed"]


def test_ten_failures_lock_the_account_for_fifteen_minutes(
    runtime: Runtime, client: TestClient, clock: Clock
) -> None:
    make_account(runtime)
    for _ in range(10):
        assert sign_in(client, "alice", "a wrong password, again").status_code == 400
    assert _account(runtime).locked_until is not None
    locked = sign_in(client, "alice", PASSWORD)
    assert locked.status_code == 400 and "La connexion a échoué" in locked.text
    clock.advance(minutes=14)
    assert sign_in(client, "alice", PASSWORD).status_code == 400
    clock.advance(minutes=2)
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    actions = _actions(runtime)
    assert actions.count("staff.locked") == 1
    assert actions.count("staff.sign_in_failed") == 12 and actions[-1] == "staff.signed_in"


def test_a_success_resets_the_failure_count(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime)
    for _ in range(9):
        sign_in(client, "alice", "a wrong password, again")
    assert sign_in(client).status_code == 303
    assert _account(runtime).failed_sign_ins == 0


def test_session_cookie_is_httponly_lax_and_not_secure_on_plain_http_in_test(
    runtime: Runtime, client: TestClient
) -> None:
    make_account(runtime)
    cookie = sign_in(client).headers["set-cookie"]
    assert "pv_staff=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie.split("pv_sign_in")[0]


@pytest.fixture
def https_runtime(tmp_path: Path, db_url: str) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, db_url, public_url="https://mairie.example")
    runtime = build_runtime(settings, dispatch=False)
    yield runtime
    runtime.close()


def test_session_cookie_is_secure_behind_https(https_runtime: Runtime, clock: Clock) -> None:
    make_account(https_runtime)
    app = create_app(runtime=https_runtime)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        signed = sign_in(client)
        session_cookie = next(
            c for c in signed.headers.get_list("set-cookie") if c.startswith("__Host-pv_staff=")
        )
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        assert client.get("/staff/").status_code == 200


def test_the_session_id_is_stored_hashed(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime)
    sign_in(client)
    token = client.cookies["pv_staff"]
    with runtime.sessions() as session:
        row = session.scalars(select(StaffSession)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token


def test_an_idle_session_expires(runtime: Runtime, client: TestClient, clock: Clock) -> None:
    make_account(runtime)
    sign_in(client)
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/staff/").status_code == 303


def test_a_busy_session_still_ends_after_its_lifetime(
    tmp_path: Path, db_url: str, clock: Clock
) -> None:
    settings = make_settings(tmp_path, db_url, staff_session_max_hours=1)
    runtime = build_runtime(settings, dispatch=False)
    make_account(runtime)
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as client:
        sign_in(client)
        for _ in range(2):
            clock.advance(minutes=25)
            assert client.get("/staff/").status_code == 200
        clock.advance(minutes=10)
        assert client.get("/staff/").status_code == 303
    runtime.close()


def test_sign_out_deletes_the_session(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime)
    sign_in(client)
    stolen = client.cookies["pv_staff"]
    token = csrf_token(client.get("/staff/"))
    signed_out = client.post("/staff/sign-out", data={"csrf_token": token})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/staff/sign-in"
    with runtime.sessions() as session:
        assert session.scalars(select(StaffSession)).all() == []
    client.cookies.set("pv_staff", stolen)
    assert client.get("/staff/").status_code == 303
    assert _actions(runtime)[-1] == "staff.signed_out"


def test_signing_in_again_opens_a_new_session(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime)
    sign_in(client)
    first = client.cookies["pv_staff"]
    assert client.get("/staff/sign-in").headers["location"] == "/staff/"
    client.cookies.clear()
    sign_in(client)
    assert client.cookies["pv_staff"] != first


def test_a_page_without_session_redirects_to_sign_in(runtime: Runtime, client: TestClient) -> None:
    page = client.get("/staff/pin")
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/sign-in?next=%2Fstaff%2Fpin"


def test_sign_in_goes_back_to_the_page_asked_for(runtime: Runtime, client: TestClient) -> None:
    make_account(runtime, "mia", StaffRole.MEDIATEUR)
    assert sign_in(client, "mia", next="/staff/pin").headers["location"] == "/staff/pin"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x", ""]
)
def test_next_only_accepts_local_paths(runtime: Runtime, client: TestClient, target: str) -> None:
    make_account(runtime)
    assert sign_in(client, next=target).headers["location"] == "/staff/"


def test_the_api_answers_401_without_session(runtime: Runtime, client: TestClient) -> None:
    assert client.get("/staff/api/me").status_code == 401
    make_account(runtime, "olga", StaffRole.OBSERVER)
    sign_in(client, "olga")
    assert client.get("/staff/api/me").json() == {"login": "olga", "role": "observer"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (StaffRole.OBSERVER, 403),
        (StaffRole.AGENT, 403),
        (StaffRole.MEDIATEUR, 200),
        (StaffRole.ADMIN, 200),
    ],
)
def test_a_wrong_role_gets_403(
    runtime: Runtime, client: TestClient, role: StaffRole, expected: int
) -> None:
    make_account(runtime, "someone", role)
    sign_in(client, "someone")
    assert client.get("/staff/pin").status_code == expected


def test_forged_or_missing_csrf_on_sign_out_changes_nothing(
    runtime: Runtime, client: TestClient
) -> None:
    make_account(runtime)
    sign_in(client)
    for form in ({"csrf_token": "forged"}, {}):
        assert client.post("/staff/sign-out", data=form).status_code == 403
    assert client.get("/staff/").status_code == 200
    assert "staff.signed_out" not in _actions(runtime)


def test_forged_or_missing_csrf_on_sign_in_changes_nothing(
    runtime: Runtime, client: TestClient
) -> None:
    make_account(runtime)
    client.get("/staff/sign-in")
    for token in ("forged", None):
        form = {"login": "alice", "password": PASSWORD}
        if token:
            form["csrf_token"] = token
        assert client.post("/staff/sign-in", data=form).status_code == 403
    other = TestClient(client.app).get("/staff/sign-in")  # a token for another browser
    form = {"login": "alice", "password": PASSWORD, "csrf_token": csrf_token(other)}
    assert client.post("/staff/sign-in", data=form).status_code == 403
    assert _actions(runtime) == ["staff.created"]
    assert client.get("/staff/").status_code == 303


def test_passwords_are_stored_as_argon2_hashes_and_rehashed(
    runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(runtime)
    stored = _account(runtime).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    stronger = hashing.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(hashing, "_hasher", lambda: stronger)
    assert sign_in(client).status_code == 303
    rehashed = _account(runtime).password_hash
    assert rehashed != stored and "t=2" in rehashed and stronger.verify(rehashed, PASSWORD)
