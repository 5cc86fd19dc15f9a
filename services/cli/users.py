"""`hrcase users ...`: named users with a role and an office, their API tokens and how they receive alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import click
from sqlalchemy import Connection

from schemas.vocabulary import ROLES
from services.casework.adapters import accounts, preferences, token_store, web_store
from services.casework.adapters import repository as repo
from services.casework.auth import passwords
from services.casework.domain.roles import User
from services.cli.common import data_dir_option, open_runtime


@click.group()
def users() -> None:
    """Users, roles and offices; web passwords; API tokens; alert delivery."""


@users.command("add")
@data_dir_option
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--office", required=True)
@click.option("--name", "display_name", default="")
def add(data_dir: str, username: str, role: str, office: str, display_name: str) -> None:
    """Add a user, or change an active user's role, office or name (a deactivated one is reactivated on purpose)."""
    runtime = open_runtime(data_dir)
    if office not in runtime.settings.offices:
        raise click.ClickException(f"unknown office {office!r}; configured: {', '.join(runtime.settings.offices)}")

    def save(conn: Connection) -> bool:
        current = repo.get_user(conn, username)
        if current is not None and not current.active:
            return False
        repo.save_user(conn, User(username, role, office, display_name))
        return True

    if not runtime.casework.write(save):
        raise click.ClickException(f"user {username!r} is deactivated; to let them act again, run "
                                   f"`hrcase users reactivate {username}` (their old tokens and sessions stay "
                                   "revoked), then change them with `hrcase users add`")
    click.echo(f"{username}: {role} at {office}")


@users.command("list")
@data_dir_option
def list_users(data_dir: str) -> None:
    """List users."""
    runtime = open_runtime(data_dir)
    for user in runtime.casework.read(repo.list_users):
        click.echo(f"{user.username:20} {user.role:12} {user.office:10} {'' if user.active else '(inactive)'}")


@users.command("deactivate")
@data_dir_option
@click.argument("username")
def deactivate(data_dir: str, username: str) -> None:
    """Deactivate a user: they can no longer act; their API tokens are revoked and their web sessions end."""
    runtime = open_runtime(data_dir)
    try:
        revoked, ended = runtime.casework.write(lambda conn: accounts.deactivate(conn, username, datetime.now(UTC)))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username}: deactivated; {revoked} API token(s) revoked, {ended} web session(s) ended")


@users.command("reactivate")
@data_dir_option
@click.argument("username")
def reactivate(data_dir: str, username: str) -> None:
    """Let a deactivated user act again: tokens and sessions from before stay revoked (issue new ones)."""
    runtime = open_runtime(data_dir)
    try:
        revoked, ended = runtime.casework.write(lambda conn: accounts.reactivate(conn, username, datetime.now(UTC)))
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    left = f" ({revoked} token(s) and {ended} session(s) left from before revoked)" if revoked or ended else ""
    click.echo(f"{username}: reactivated; no API token or web session from before works{left}: issue a new token "
               f"with `hrcase users token create {username}`")


@users.command("alerts")
@data_dir_option
@click.argument("username")
@click.option("--email", default=None, help="Address for alert e-mails ('' to remove).")
@click.option("--webhook", default=None, help="URL for signed alert webhooks ('' to remove).")
@click.option("--mode", type=click.Choice(preferences.MODES), default=None,
              help="Each alert immediately, or one daily digest.")
def alert_preferences(data_dir: str, username: str, email: str | None, webhook: str | None, mode: str | None) -> None:
    """Set where (e-mail, webhook) and when (immediately, daily digest) a user receives alerts."""
    runtime = open_runtime(data_dir)
    if runtime.casework.read(lambda conn: repo.get_user(conn, username)) is None:
        raise click.ClickException(f"unknown user {username!r}")
    current = runtime.casework.read(lambda conn: preferences.get(conn, username))
    updated = replace(current, email=current.email if email is None else (email or None),
                      webhook_url=current.webhook_url if webhook is None else (webhook or None),
                      mode=mode or current.mode)
    runtime.casework.write(lambda conn: preferences.save(conn, updated))
    click.echo(f"{username}: e-mail {updated.email or '-'}, webhook {updated.webhook_url or '-'}, {updated.mode}")


@users.command("password")
@data_dir_option
@click.argument("username")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--remove", is_flag=True, help="Remove the password: the user can no longer sign in to the web pages.")
def password(data_dir: str, username: str, from_stdin: bool, remove: bool) -> None:
    """Set a user's password for the web pages (hashed with argon2); their open sessions end."""
    runtime = open_runtime(data_dir)
    if runtime.casework.read(lambda conn: repo.get_user(conn, username)) is None:
        raise click.ClickException(f"unknown user {username!r}")
    hashed = None
    if not remove:
        if from_stdin:
            secret = click.get_text_stream("stdin").readline().rstrip("\r\n")
        else:
            secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        weakness = passwords.weakness(secret, username)
        if weakness:
            raise click.ClickException(weakness)
        hashed = passwords.hash_password(secret)
    now = datetime.now(UTC)
    runtime.casework.write(lambda conn: web_store.set_password(conn, username, hashed, now))
    click.echo(f"{username}: password {'removed' if remove else 'set'}; open web sessions ended")


@users.group("token")
def token() -> None:
    """API tokens: shown once, stored only as a hash, expiring and revocable."""


@token.command("create")
@data_dir_option
@click.argument("username")
@click.option("--expires-in", "days", type=click.FloatRange(min=0, min_open=True), default=90, show_default=True,
              help="Days until the token expires.")
@click.option("--no-expiry", is_flag=True, help="A token that never expires (revoke it when done).")
@click.option("--label", default="", help="What the token is for.")
def token_create(data_dir: str, username: str, days: float, no_expiry: bool, label: str) -> None:
    """Issue a token for a user and print it: this is the only time it is shown."""
    runtime = open_runtime(data_dir)
    user = runtime.casework.read(lambda conn: repo.get_user(conn, username))
    if user is None or not user.active:
        raise click.ClickException(f"no active user {username!r}")
    now = datetime.now(UTC)
    expires = None if no_expiry else now + timedelta(days=days)
    issued = runtime.casework.write(lambda conn: token_store.create(conn, username, now, expires, label))
    click.echo(issued.value)
    click.echo(f"token {issued.token_id} for {username} ({user.role}, {user.office}), "
               f"{'no expiry' if expires is None else f'expires {expires:%Y-%m-%d %H:%M} UTC'}; "
               "it is not stored and cannot be shown again", err=True)


@token.command("list")
@data_dir_option
@click.argument("username", required=False)
def token_list(data_dir: str, username: str | None) -> None:
    """List tokens (ids, owners, states; never the tokens themselves)."""
    runtime = open_runtime(data_dir)
    now = datetime.now(UTC)
    for stored in runtime.casework.read(lambda conn: token_store.list_for(conn, username)):
        expires = f"{stored.expires_at:%Y-%m-%d}" if stored.expires_at else "never"
        click.echo(f"{stored.token_id}  {stored.username:16} {stored.state(now):8} expires {expires:10} {stored.label}")


@token.command("revoke")
@data_dir_option
@click.argument("token_id")
def token_revoke(data_dir: str, token_id: str) -> None:
    """Revoke a token at once (by its id, as `token list` shows it)."""
    runtime = open_runtime(data_dir)
    if not runtime.casework.write(lambda conn: token_store.revoke(conn, token_id, datetime.now(UTC))):
        raise click.ClickException(f"no active token {token_id!r}")
    click.echo(f"token {token_id} revoked")


COMMANDS = (users,)
