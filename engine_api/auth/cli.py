"""``vdc-engine user|group|group-manage``: the internal domain's users and groups, shaped as
``ovirt-aaa-jdbc-tool``, on the same ``--data-dir``/``--db`` as ``serve`` and while the engine runs.

    vdc-engine user add NAME [--password-stdin] [--password-valid-to "2030-01-01 00:00:00Z"] [--attribute k=v]
    vdc-engine user password-reset NAME [--password-stdin] [--password-valid-to ...]
    vdc-engine user edit NAME --lock | --unlock
    vdc-engine user unlock NAME
    vdc-engine user show NAME
    vdc-engine group add NAME
    vdc-engine group-manage useradd GROUP --user NAME
    vdc-engine group-manage userdel GROUP --user NAME

A password is read from standard input (``--password-stdin``: its first line) or asked for twice on a
terminal; it is never an argument (arguments show in the process list). Without ``--password-valid-to`` a
password is valid for 180 days (aaa-jdbc's PASSWORD_EXPIRATION_DAYS); ``never`` keeps it valid. A running
engine sees every change within a second.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from engine_api.auth import directory
from engine_api.store.audit import record_event
from engine_api.store.db import Database

PASSWORD_DAYS = 180
ATTRIBUTES = {"firstName": "first_name", "lastName": "last_name", "email": "email", "department": "department",
              "description": "description"}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", required=True, help="the engine's data directory")
    p.add_argument("--db", help="database URL (default: SQLite in the data directory)")


def _password_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--password-valid-to", metavar="WHEN",
                   help='when the password expires: "yyyy-MM-dd HH:mm:ssZ" (or ISO 8601, or "never")')


def add_parsers(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="users of the internal domain (as ovirt-aaa-jdbc-tool user)")
    u = user.add_subparsers(dest="action", required=True)
    add = u.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--attribute", action="append", default=[], metavar="KEY=VALUE",
                     help=f"one of {', '.join(ATTRIBUTES)}")
    _password_options(add)
    reset = u.add_parser("password-reset", help="set a user's password")
    reset.add_argument("name")
    _password_options(reset)
    edit = u.add_parser("edit", help="lock or unlock a user")
    edit.add_argument("name")
    lock = edit.add_mutually_exclusive_group(required=True)
    lock.add_argument("--lock", action="store_true", help="disable the account until it is unlocked")
    lock.add_argument("--unlock", action="store_true", help="enable the account and clear its lockout")
    unlock = u.add_parser("unlock", help="clear a user's lockout")
    unlock.add_argument("name")
    show = u.add_parser("show", help="show a user's account state")
    show.add_argument("name")
    for p in (add, reset, edit, unlock, show):
        _common(p)

    group = sub.add_parser("group", help="groups of the internal domain")
    g = group.add_subparsers(dest="action", required=True)
    gadd = g.add_parser("add", help="add a group")
    gadd.add_argument("name")
    _common(gadd)

    manage = sub.add_parser("group-manage", help="the members of a group of the internal domain")
    m = manage.add_subparsers(dest="action", required=True)
    for verb, text in (("useradd", "add a user to a group"), ("userdel", "remove a user from a group")):
        p = m.add_parser(verb, help=text)
        p.add_argument("name", help="the group")
        p.add_argument("--user", required=True, help="the user's name")
        _common(p)


def parse_when(text: str | None) -> float | None:
    """A ``--password-valid-to`` value as seconds since the epoch (None: never)."""
    if text is None:
        return time.time() + PASSWORD_DAYS * 86400
    if text.strip().lower() == "never":
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'cannot read the date "{text}"; give "yyyy-MM-dd HH:mm:ssZ"') from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password on: use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Reenter password: "):
        raise ValueError("the passwords do not match")
    return first


def _shown(when: float | None) -> str:
    return "never" if when is None else datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    if not args.db and not (data_dir / "engine.db").exists():
        print(f"vdc-engine: no engine database in {data_dir}", file=sys.stderr)
        return 2
    db = Database(args.db or f"sqlite:///{data_dir / 'engine.db'}")
    try:
        db.migrate()
        return _run(db, args)
    except (directory.DirectoryError, ValueError) as e:
        print(f"vdc-engine {args.command}: {e}", file=sys.stderr)
        return 1
    finally:
        db.close()


def _run(db, args: argparse.Namespace) -> int:
    cmd, action, name = args.command, args.action, args.name
    if cmd == "user" and action == "show":
        with db.read() as conn:
            acc = directory.account(conn, name)
        if acc is None:
            raise directory.DirectoryError(f"user '{name}' does not exist in the internal domain")
        now = time.time()
        print(f"name: {acc.name}\nid: {acc.id}\ndisabled: {str(acc.disabled).lower()}\n"
              f"locked: {str(acc.locked(now)).lower()}{' until ' + _shown(acc.unlock_time) if acc.locked(now) else ''}"
              f"\npassword valid to: {_shown(acc.valid_to)}\nfailed logins since last success: {acc.failures}")
        return 0
    password = valid_to = None
    if cmd == "user" and action in ("add", "password-reset"):
        valid_to = parse_when(args.password_valid_to)
        if action == "password-reset" or args.password_stdin or sys.stdin.isatty():
            password = _read_password(args.password_stdin)
    with db.write() as conn:
        if cmd == "user" and action == "add":
            attrs = {}
            for item in args.attribute:
                key, sep, value = item.partition("=")
                if not sep or key not in ATTRIBUTES:
                    raise ValueError(f"--attribute takes KEY=VALUE with KEY one of {', '.join(ATTRIBUTES)}")
                attrs[ATTRIBUTES[key]] = value
            ident = directory.add_user(conn, name, password, valid_to, attrs)
            text = f"User {name}@internal-authz was added to the internal domain."
            record_event(conn, None, 149, text, user=ident)
            print(f"user {name} added (id {ident})" + ("" if password else "; it has no password yet"))
        elif cmd == "user" and action == "password-reset":
            directory.set_password(conn, name, password or "", valid_to)
            record_event(conn, None, 0, f"The password of user {name}@internal-authz was reset.")
            print(f"password of user {name} reset, valid to {_shown(valid_to)}")
        elif cmd == "user" and action in ("edit", "unlock"):
            locked = action == "edit" and args.lock
            directory.set_locked(conn, name, locked)
            record_event(conn, None, 0, f"User {name}@internal-authz was {'locked' if locked else 'unlocked'}.")
            print(f"user {name} {'locked' if locked else 'unlocked'}")
        elif cmd == "group":
            ident = directory.add_group(conn, name)
            record_event(conn, None, 0, f"Group {name} was added to the internal domain.")
            print(f"group {name} added (id {ident})")
        else:
            if action == "useradd":
                changed = directory.add_member(conn, name, args.user)
            else:
                changed = directory.remove_member(conn, name, args.user)
            verb = "added to" if action == "useradd" else "removed from"
            if changed:
                record_event(conn, None, 0, f"User {args.user} was {verb} group {name}.")
            print(f"user {args.user} {verb} group {name}" + ("" if changed else " (no change)"))
    return 0
