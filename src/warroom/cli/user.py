"""`warroom user` and `warroom token`: accounts and tokens, directly against the database."""

from __future__ import annotations

import typer
from rich.table import Table

from warroom.cli.common import fail, friendly_errors, local_runtime, out
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService

USER_APP_COMMAND = "user"
TOKEN_APP_COMMAND = "token"

user_app = typer.Typer(help="Create and list users (runs against the local database).",
                       no_args_is_help=True)
token_app = typer.Typer(help="Create and revoke API tokens.", no_args_is_help=True)


@user_app.command("create")
def create(
    name: str,
    admin: bool = typer.Option(False, "--admin", help="give the admin role"),
    role: str = typer.Option("responder", help="viewer, responder, commander or admin"),
    password: str = typer.Option(None, help="prompted for when omitted"),
    security: bool = typer.Option(False, "--security", help="member of the security team"),
    email: str = typer.Option(None),
) -> None:
    """Create a user; prompts for the password when --password is omitted."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with friendly_errors():
        users = UserService(local_runtime())
        user = users.create(SYSTEM, name, role="admin" if admin else role, password=password,
                            email=email, is_security=security)
    out.print(f"created user [bold]{user.name}[/] ({user.role}"
              f"{', security' if user.is_security else ''})")


@user_app.command("password")
def password(name: str, password: str = typer.Option(None)) -> None:
    """Set a user's password."""
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with friendly_errors():
        UserService(local_runtime()).set_password(SYSTEM, name, password)
    out.print(f"password changed for {name}")


@user_app.command("role")
def set_role(name: str, role: str = typer.Argument(..., help="viewer, responder, commander "
                                                   "or admin"),
             security: bool = typer.Option(None, "--security/--no-security",
                                           help="also set or clear the security flag")) -> None:
    """Change a user's role (a demotion ends their console sessions)."""
    with friendly_errors():
        user = UserService(local_runtime()).update(SYSTEM, name, role=role,
                                                   is_security=security)
    out.print(f"{user.name} is now {user.role}{', security' if user.is_security else ''}")


@user_app.command("deactivate")
def deactivate(name: str) -> None:
    """Deactivate a user: their sessions end and their tokens and feed URL are revoked."""
    with friendly_errors():
        UserService(local_runtime()).update(SYSTEM, name, active=False)
    out.print(f"{name} deactivated; sessions ended, tokens revoked")


@user_app.command("activate")
def activate(name: str) -> None:
    """Reactivate a user (old tokens stay revoked; issue new ones)."""
    with friendly_errors():
        UserService(local_runtime()).update(SYSTEM, name, active=True)
    out.print(f"{name} activated")


@user_app.command("end-sessions")
def end_sessions(name: str) -> None:
    """End every console session of a user (they must log in again)."""
    with friendly_errors():
        ended = UserService(local_runtime()).end_sessions(SYSTEM, name)
    out.print(f"ended {ended} session(s) of {name}")


@user_app.command("list")
def list_users() -> None:
    """List users."""
    with friendly_errors():
        rows = UserService(local_runtime()).list(SYSTEM)
    table = Table("name", "role", "security", "active", "email", "created")
    for u in rows:
        table.add_row(u.name, u.role, "yes" if u.is_security else "",
                      "yes" if u.active else "no", u.email or "",
                      u.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="the token acts as this user"),
    role: str = typer.Option(None, help="scope the token to a lower role"),
    name: str = typer.Option("cli", help="a label to recognise it by"),
) -> None:
    """Create an API token. The token is printed alone on the last line, once."""
    with friendly_errors():
        issued = UserService(local_runtime()).create_token(SYSTEM, user, role=role, name=name)
    out.print(f"token {issued.row.id} for {user} (role {issued.row.role}); store it now, "
              "it is not shown again:", highlight=False)
    typer.echo(issued.token)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    with friendly_errors():
        row = UserService(local_runtime()).revoke_token(SYSTEM, token_id)
    if row.revoked_at is None:
        fail("token was not revoked")
    out.print(f"token {token_id} revoked")
