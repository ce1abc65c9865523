"""``vdc-engine config``: read and set the engine's configuration keys, as oVirt's ``engine-config`` does.

    vdc-engine config --data-dir D -l
    vdc-engine config --data-dir D -g UserDefinedVMProperties [--cver=4.7]
    vdc-engine config --data-dir D -s 'UserDefinedVMProperties=numa=^(strict|interleave|preferred):[0-9^,-]+$' \\
        --cver=4.7

The value is written to the engine's database: a running engine uses it from its next request on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine_api.commands import engine_config
from engine_api.core.errors import Fault
from engine_api.store.db import Database


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("config", help="read and set configuration keys (as engine-config)")
    c.add_argument("--data-dir", required=True, help="the engine's data directory")
    c.add_argument("--db", help="database URL (default: SQLite in the data directory)")
    what = c.add_mutually_exclusive_group(required=True)
    what.add_argument("-l", "--list", action="store_true", help="list the keys")
    what.add_argument("-g", "--get", metavar="KEY", help="print a key's value (at every level without --cver)")
    what.add_argument("-s", "--set", metavar="KEY=VALUE", help="set a key (its whole value)")
    c.add_argument("--cver", help="the cluster level of a per-level key, e.g. 4.7")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    if not args.db and not (data_dir / "engine.db").exists():
        print(f"vdc-engine config: no engine database in {data_dir}", file=sys.stderr)
        return 2
    db = Database(args.db or f"sqlite:///{data_dir / 'engine.db'}")
    try:
        db.migrate()
        if args.list:
            for key in engine_config.KEYS.values():
                print(f"{key.name}: {key.description} ({'per cluster level' if key.versioned else 'general'})")
            return 0
        if args.get:
            with db.read() as conn:
                if args.cver:
                    shown = [{"name": args.get, "version": args.cver,
                              "value": engine_config.get(conn, args.get, args.cver)}]
                else:
                    shown = engine_config.entries(conn, args.get)
            for e in shown:
                print(f"{e['name']}: {e['value']} version: {e['version']}")
            return 0
        name, sep, value = args.set.partition("=")
        if not sep:
            print("vdc-engine config: -s takes KEY=VALUE", file=sys.stderr)
            return 2
        with db.write() as conn:
            changed = engine_config.set_value(conn, name, value, args.cver)
        print(f"{name} {'set' if changed else 'unchanged'}" + (f" for version {args.cver}" if args.cver else ""))
        return 0
    except Fault as e:
        print(f"vdc-engine config: {e.detail}", file=sys.stderr)
        return 1
    finally:
        db.close()
