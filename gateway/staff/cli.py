"""`portevoix users`: staff accounts, created from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gateway.adapter import cli_runtime
from gateway.staff import repository as staff
from gateway.staff import service
from gateway.staff.models import StaffRole
from gateway.store.base import utcnow
from gateway.store.session import transaction

app = typer.Typer(help="Staff accounts: admin, agent, médiateur, observer.", no_args_is_help=True)
Elected = Annotated[
    bool, typer.Option("--elected", help="an elected official: may never assist a resident")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
]


@app.command("create-admin")
def create_admin(ctx: typer.Context, login: str, password_stdin: PasswordStdin = False) -> None:
    """Create an administrator account."""
    _create(ctx, login, StaffRole.ADMIN, password_stdin)


@app.command("add")
def add(
    ctx: typer.Context,
    login: str,
    role: Annotated[str, typer.Option("--role", help="admin, agent, médiateur or observer")],
    password_stdin: PasswordStdin = False,
    elected: Elected = False,
) -> None:
    """Create a staff account with a role."""
    _create(ctx, login, service.parse_role(role), password_stdin, elected)


def _create(
    ctx: typer.Context, login: str, role: StaffRole, password_stdin: bool, elected: bool = False
) -> None:
    password = _read_password(password_stdin)
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        account = service.create_account(session, login, role, password, elected=elected)
    typer.echo(f"{account.login}: {role.value} account created" + (" (elected)" if elected else ""))


@app.command("set-elected")
def set_elected(
    ctx: typer.Context,
    login: str,
    elected: Annotated[bool, typer.Option("--yes/--no", help="an elected official or not")] = True,
) -> None:
    """Flag an account as an elected official's: it may then never assist a resident."""
    with cli_runtime(ctx) as runtime, transaction(runtime.sessions) as session:
        account = service.set_elected(session, login, elected)
    typer.echo(f"{account.login}: {'elected official' if elected else 'not an elected official'}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """List the staff accounts and their roles."""
    with cli_runtime(ctx) as runtime, runtime.sessions() as session:
        accounts = staff.list_accounts(session)
    if not accounts:
        typer.echo("no staff account yet: portevoix users create-admin LOGIN")
    now = utcnow()
    for account in accounts:
        locked = " locked" if service.remaining(account.locked_until, now) else ""
        pin = " PIN" if account.pin_hash else ""
        elected = " elected" if account.elected else ""
        typer.echo(f"{account.login:<24} {account.role:<10}{pin}{elected}{locked}")
