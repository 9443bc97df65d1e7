"""`portevoix users`: accounts created from the command line, weak passwords refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.cli import app
from gateway.config import get_settings
from gateway.runtime import Runtime
from gateway.staff.models import StaffAccount
from tests.staff.conftest import PASSWORD

PORTEVOIX = str(Path(sys.executable).parent / "portevoix")


def _portevoix(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTEVOIX_DATABASE_URL": db_url, "PORTEVOIX_ENVIRONMENT": "test"}
    return subprocess.run(
        [PORTEVOIX, "users", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _account(runtime: Runtime, login: str) -> StaffAccount | None:
    with runtime.sessions() as session:
        return session.scalar(select(StaffAccount).where(StaffAccount.login == login))


def test_create_admin_reads_the_password_from_stdin(runtime: Runtime, db_url: str) -> None:
    done = _portevoix(db_url, "create-admin", "Maire", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "maire: admin account created"
    account = _account(runtime, "maire")
    assert account is not None and account.role == "admin"
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
    listed = _portevoix(db_url, "list")
    assert listed.stdout.split() == ["maire", "admin"]


def test_a_weak_password_is_refused_with_a_reason(runtime: Runtime, db_url: str) -> None:
    done = _portevoix(db_url, "create-admin", "maire", "--password-stdin", stdin="short\n")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: The password needs 12 to 256 characters: a few words make a good one."
    )
    assert _account(runtime, "maire") is None


@pytest.fixture
def cli_env(runtime: Runtime, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PORTEVOIX_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_users_add_prompts_twice_for_the_password(runtime: Runtime) -> None:
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    done = CliRunner().invoke(app, ["users", "add", "mia", "--role", "médiateur"], input=typed)
    assert done.exit_code == 0, done.output
    account = _account(runtime, "mia")
    assert account is not None and account.role == "mediateur"


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("login", "password", "reason"),
    [
        ("mia", "aaaaaaaaaaaaaaaa", "repeats too few characters"),
        ("mia", "mia-and-her-password", "must not contain the login"),
        ("Mia Dupont", PASSWORD, "login 'mia dupont'"),
    ],
)
def test_users_add_refuses_weak_passwords_and_odd_logins(
    runtime: Runtime, login: str, password: str, reason: str
) -> None:
    done = CliRunner().invoke(
        app, ["users", "add", login, "--role", "agent", "--password-stdin"], input=password
    )
    assert done.exit_code != 0 and reason in str(done.exception)
    assert _account(runtime, "mia") is None


@pytest.mark.usefixtures("cli_env")
def test_an_unknown_role_or_a_taken_login_is_refused(runtime: Runtime) -> None:
    unknown = CliRunner().invoke(
        app, ["users", "add", "mia", "--role", "maire", "--password-stdin"], input=PASSWORD
    )
    assert "unknown role 'maire'" in str(unknown.exception)
    for expected in (0, 1):
        done = CliRunner().invoke(
            app, ["users", "add", "mia", "--role", "agent", "--password-stdin"], input=PASSWORD
        )
        assert done.exit_code == expected
    assert "already exists" in str(done.exception)
