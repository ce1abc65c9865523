"""``vdc-shell``: the prompt, TAB completion, pipes and ``!cmd``, ``-E``/``-f`` scripts, and exit statuses.

Unlike ovirt-shell, which always exited 0, the process exits with the status of the last command that failed
(1 syntax, 2 command, 5 communication, 6 authentication, 10 remote, 11 not found) and the fault goes to
stderr.
"""

from __future__ import annotations

import argparse
import cmd
import configparser
import getpass
import io
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from engine_api.shell import commands
from engine_api.shell.client import (
    COMMAND_ERROR,
    INTERRUPTED,
    OK,
    SYNTAX_ERROR,
    UNKNOWN_ERROR,
    Client,
    ShellError,
)
from engine_api.shell.model import Model

CONFIG = "~/.vdcshellrc"
SECTION = "vdc-shell"
CONFIG_KEYS = ("url", "username", "password", "ca_file", "insecure", "filter", "timeout")
HELP = {
    "connect": "connect [--url U] [--user U] [--password P] [--insecure] [--ca-file F] [--filter]",
    "disconnect": "disconnect: log out",
    "list": "list <type> [parent identifiers] [--query Q] [--show-all] [--max N] [--kwargs \"k=v;k2=v2\"] [--table]",
    "show": "show <type> <id|name> [parent identifiers] [--table]",
    "add": "add <type> [parent identifiers] [--option value ...]",
    "update": "update <type> <id|name> [parent identifiers] [--option value ...]",
    "remove": "remove <type> <id|name> [parent identifiers] [--option value]",
    "action": "action <type> <id|name> <action> [parent identifiers] [--option value ...]",
    "status": "status: the status of the last command",
    "ping": "ping: check the connection to the engine",
    "info": "info: versions of the engine, the shell and Python",
    "help": "help [command [type]]",
    "history": "history [N] | --last N | --first N",
    "exit": "exit: leave the shell",
}
_HTTP_CACHE_SECONDS = 10.0  # how long names offered by completion are reused


class Shell(cmd.Cmd):
    intro = ""
    completekey = "tab"

    def __init__(self, settings: dict[str, str], stdin: IO[str] | None = None, stdout: IO[str] | None = None):
        super().__init__(stdin=stdin, stdout=stdout)
        self.settings = settings
        self.session: commands.Session | None = None
        self.status = OK
        self.failed = OK  # the last failing command's status: the process exit status
        self.interactive = False  # a prompt on a terminal (not -E, -f or piped input)
        self.history: list[str] = []
        self._names: dict[str, tuple[float, list[str]]] = {}
        self.update_prompt()

    # -- the loop

    def update_prompt(self) -> None:
        self.prompt = f"[vdc shell ({'connected' if self.session else 'disconnected'})]# "

    def emptyline(self) -> bool:
        return False

    def run_line(self, line: str) -> bool:
        """Run one line (a command, a pipeline, ``!cmd``); True asks to exit."""
        line = line.strip()
        if not line or line.startswith("#"):
            return False
        if not line.startswith("connect"):
            self.history.append(line)
        try:
            stop = self._run(line)
            self.status = OK
            return stop
        except ShellError as e:
            self._fail(str(e), e.http or e.status, e.status)
        except KeyboardInterrupt:
            self._fail("interrupted", INTERRUPTED, INTERRUPTED)
        except Exception as e:  # a bug of the shell still ends with a status, never a traceback
            self._fail(f"{type(e).__name__}: {e}", UNKNOWN_ERROR, UNKNOWN_ERROR)
        return False

    def _fail(self, message: str, shown: int, code: int) -> None:
        self.status = shown
        self.failed = code
        self.stdout.flush()  # what came before the fault is shown before it
        sys.stderr.write("=== ERROR ===\n" + message.rstrip("\n") + "\n")

    def onecmd(self, line: str) -> bool:
        return self.run_line(line)

    def _run(self, line: str) -> bool:
        if line.startswith("!"):
            rc = subprocess.call(line[1:], shell=True)
            if rc:
                raise ShellError(f"'{line[1:].strip()}' exited with {rc}", COMMAND_ERROR)
            return False
        command, pipe, redirect, append = split_line(line)
        if pipe is None and redirect is None:
            return self.dispatch(command, self.stdout)
        buf = io.StringIO()
        stop = self.dispatch(command, buf)
        if pipe is not None:
            self.stdout.flush()
            done = subprocess.run(pipe, shell=True, input=buf.getvalue(), text=True,
                                  stdout=None if self.stdout is sys.stdout else subprocess.PIPE)
            if done.stdout:
                self.stdout.write(done.stdout)
        elif redirect is not None:
            with open(os.path.expanduser(redirect), "a" if append else "w") as f:
                f.write(buf.getvalue())
        return stop

    def dispatch(self, line: str, out: IO[str]) -> bool:
        words = commands.tokens(line)
        if not words:
            return False
        verb, rest = words[0], words[1:]
        if "--help" in rest:
            verb, rest = "help", [verb, *[w for w in rest if w != "--help"]]
        if verb == "search":
            verb = "list"
        if verb in commands.VERBS:
            session = self._session(out)
            getattr(session, verb)(commands.parse(rest))
            return False
        handler = getattr(self, f"cmd_{verb}", None)
        if handler is None:
            raise ShellError(f"unknown command '{verb}'; 'help' lists the commands", SYNTAX_ERROR)
        return bool(handler(rest, out))

    def _session(self, out: IO[str]) -> commands.Session:
        if self.session is None:
            raise ShellError("not connected; use 'connect'", COMMAND_ERROR)
        self.session.out = out
        return self.session

    # the API verbs run through commands.Session; these stubs make them known commands
    cmd_list = cmd_show = cmd_add = cmd_update = cmd_remove = cmd_action = None

    # -- the shell's own commands

    def cmd_connect(self, rest: list[str], out: IO[str]) -> None:
        args = commands.parse(rest)
        s = dict(self.settings)
        if len(args.words) == 3:
            s["url"], s["username"], s["password"] = args.words
        for key, value in args.options.items():
            s[{"user": "username"}.get(key, key).replace("-", "_")] = value
        if not s.get("url") or not s.get("username"):
            raise ShellError("connect needs --url and --user (or url user password)", SYNTAX_ERROR)
        if not s.get("password"):
            if not sys.stdin.isatty():
                raise ShellError("no password: set VDC_PASSWORD, the config file or --password", SYNTAX_ERROR)
            s["password"] = getpass.getpass("Password: ")
        self.connect(s, out)

    def connect(self, s: dict[str, str], out: IO[str]) -> None:
        client = Client(s["url"], s["username"], s["password"], insecure=_true(s.get("insecure")),
                        ca_file=s.get("ca_file") or None, filter_=_true(s.get("filter")),
                        timeout=float(s.get("timeout") or 120))
        model = Model(client.request("GET", "/model.json"))
        self.session = commands.Session(client, model, out)
        self.settings = s
        version = ((client.request("GET", "") or {}).get("product_info") or {}).get("version") or {}
        numbers = ".".join(str(version.get(k, "")) for k in ("major", "minor", "build", "revision"))
        if self.interactive:
            out.write(f">>> connected to vdc engine {numbers} <<<\n")
        self.update_prompt()

    def cmd_disconnect(self, rest: list[str], out: IO[str]) -> None:
        if self.session is None:
            raise ShellError("not connected", COMMAND_ERROR)
        self.session.client.logout()
        self.session = None
        out.write(">>> disconnected <<<\n")
        self.update_prompt()

    def cmd_ping(self, rest: list[str], out: IO[str]) -> None:
        session = self._session(out)
        session.client.request("GET", "")
        out.write(f"success: {session.client.url}\n")

    def cmd_status(self, rest: list[str], out: IO[str]) -> None:
        out.write(f"last command status: {self.status}\n")

    def cmd_info(self, rest: list[str], out: IO[str]) -> None:
        from importlib import metadata

        try:
            mine = metadata.version("vdc-engine")
        except metadata.PackageNotFoundError:
            mine = "unknown"
        rows = {}
        if self.session is not None:
            product = (self.session.client.request("GET", "") or {}).get("product_info") or {}
            version = product.get("version") or {}
            rows["backend version"] = version.get("full_version") or ".".join(
                str(version.get(k, "")) for k in ("major", "minor", "build", "revision"))
            rows["backend name"] = product.get("name", "")
            rows["entry point"] = self.session.client.url
        rows["shell version"] = mine
        rows["python version"] = platform.python_version()
        width = max(map(len, rows))
        out.write("".join(f"{k.ljust(width)}: {v}\n" for k, v in rows.items()))

    def cmd_history(self, rest: list[str], out: IO[str]) -> None:
        args = commands.parse(rest)
        numbered = list(enumerate(self.history[:-1], 1))  # not this very command
        if "last" in args.options:
            numbered = numbered[-int(args.options["last"]):]
        elif "first" in args.options:
            numbered = numbered[: int(args.options["first"])]
        elif args.words:
            n = int(args.words[0])
            numbered = [e for e in numbered if e[0] == n]
            if not numbered:
                raise ShellError(f"no history entry {n}", COMMAND_ERROR)
        out.write("".join(f"[{n}] {line}\n" for n, line in numbered))

    def cmd_help(self, rest: list[str], out: IO[str]) -> None:
        if not rest:
            width = max(map(len, HELP))
            out.write("".join(f"{k.ljust(width)}  {HELP[k]}\n" for k in HELP))
            out.write("Lines may be piped ('list vms | grep name'), redirected (> file) or be '!command'.\n")
            return
        verb = rest[0]
        if verb not in HELP:
            raise ShellError(f"no help for '{verb}'", SYNTAX_ERROR)
        out.write(f"usage: {HELP[verb]}\n")
        if verb not in commands.VERBS:
            return
        if self.session is None:
            out.write("(connect to see the types and options)\n")
            return
        model = self.session.model
        if len(rest) == 1:
            out.write("types: " + ", ".join(model.type_words(verb == "list")) + "\n")
            return
        coll = model.primary(rest[1])
        if coll is None:
            raise ShellError(f"unknown type '{rest[1]}'", SYNTAX_ERROR)
        for opt in self.options_for(verb, rest[1], rest[2] if len(rest) > 2 else None):
            out.write(f"  --{opt}\n")
        if verb == "action":
            out.write("actions: " + ", ".join(coll.actions) + "\n")

    def cmd_exit(self, rest: list[str], out: IO[str]) -> bool:
        return True

    cmd_quit = cmd_exit

    # -- completion

    def completenames(self, text: str, *ignored: object) -> list[str]:
        return [n + " " for n in self.command_names() if n.startswith(text)]

    def command_names(self) -> list[str]:
        return sorted(n[4:] for n in dir(self) if n.startswith("cmd_"))

    def completedefault(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        try:
            return self._complete(text, line[:begidx])
        except Exception:  # completion must never break the prompt
            return []

    def _complete(self, text: str, before: str) -> list[str]:
        words = shlex.split(before) if before.count('"') % 2 == 0 else before.split()
        verb = words[0] if words else ""
        if verb == "help":
            return [n + " " for n in self.command_names() if n.startswith(text)] if len(words) == 1 else []
        if verb not in commands.VERBS or self.session is None:
            return []
        model = self.session.model
        positional = [w for w in words[1:] if not w.startswith("--")]
        if words and words[-1].startswith("--") and not text.startswith("--"):
            return self._values(model, verb, words, text)  # the value of the option before
        if len(words) == 1 and not text.startswith("-"):
            return [w + " " for w in model.type_words(verb == "list") if w.startswith(text)]
        wanted = {"list": 1, "add": 1, "show": 2, "update": 2, "remove": 2, "action": 3}[verb]
        if len(positional) < wanted and not text.startswith("-") and len(words) == len(positional) + 1:
            if len(positional) == 1:
                return [n + " " for n in self._entity_names(positional[0]) if n.startswith(text)]
            coll = model.primary(positional[0])
            return [a + " " for a in (coll.actions if coll else []) if a.startswith(text)]
        typed = text[2:] if text.startswith("--") else text
        action = positional[2] if len(positional) > 2 else None
        options = self.options_for(verb, positional[0], action) if positional else []
        return ["--" + o + " " for o in options if o.startswith(typed)]

    def options_for(self, verb: str, type_word: str, action: str | None = None) -> list[str]:
        model = self.session.model if self.session else None
        if model is None:
            return []
        colls = sorted((c for c in model.colls if model.matches(c, type_word)), key=lambda c: len(c.parents))
        opts: list[str] = []
        for c in colls:
            for p in c.parents:
                opts += [f"parent-{p.replace('_', '')}-name", f"parent-{p.replace('_', '')}-identifier"]
        if verb == "list":
            opts += list(commands.LIST_OPTIONS)
        elif verb == "show":
            opts += list(commands.SHOW_OPTIONS)
        elif verb in ("add", "update"):
            opts += sorted(k.replace("_", "-") for k in model.options(colls[0].type)) if colls else []
        elif verb == "action":
            opts += sorted(k.replace("_", "-") for k in model.options("action"))
        for c in colls[:1]:
            method = action if verb == "action" else verb
            on_entity = verb not in ("list", "add")
            opts += [n.replace("_", "-") for n in c.query_params(method or "", on_entity) if n != "search"]
        return sorted(set(opts))

    def _values(self, model: Model, verb: str, words: list[str], text: str) -> list[str]:
        name = words[-1][2:]
        positional = [w for w in words[1:] if not w.startswith("--")]
        if not positional or verb not in ("add", "update", "action"):
            return ["true", "false"] if name in ("show-all", "table", "case-sensitive") else []
        coll = model.primary(positional[0])
        type_name = "action" if verb == "action" else coll.type if coll else ""
        spec = {k.replace("_", "-"): v for k, v in model.options(type_name).items()}.get(name)
        if spec is None:
            return []
        values = ["true", "false"] if spec[1] == "boolean" else model.enum_values(spec[1])
        return [v + " " for v in values if v.startswith(text)]

    def _entity_names(self, type_word: str) -> list[str]:
        cached = self._names.get(type_word)
        if cached and time.monotonic() - cached[0] < _HTTP_CACHE_SECONDS:
            return cached[1]
        if self.session is None:
            return []
        model = self.session.model
        coll = model.primary(type_word)
        if coll is None or coll.parent is not None:
            return []
        answer = self.session.client.request("GET", "/" + coll.segment, {"max": "500"})
        names = sorted({i.get("name") or i.get("id") for i in (answer or {}).get(coll.type, [])} - {None})
        self._names[type_word] = (time.monotonic(), names)
        return names


def split_line(line: str) -> tuple[str, str | None, str | None, bool]:
    """(command, pipeline, redirect target, append) of a line; ``|`` and ``>`` inside quotes are text."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "|":
            return line[:i].strip(), line[i + 1:].strip(), None, False
        elif ch == ">":
            append = line[i + 1:i + 2] == ">"
            target = line[i + (2 if append else 1):].strip()
            if not target:
                raise ShellError("'>' needs a file name", SYNTAX_ERROR)
            return line[:i].strip(), None, target, append
    return line, None, None, False


def split_commands(text: str) -> list[str]:
    """``-E "cmd; cmd"``: the commands, split at ``;`` outside quotes."""
    out, quote, start = [], "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ";":
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [c.strip() for c in out if c.strip()]


def script_lines(text: str) -> list[str]:
    """The commands of a ``-f`` file: one a line, ``\\`` continues a line, ``#`` starts a comment line."""
    lines, pending = [], ""
    for raw in text.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = (pending + raw).strip()
        pending = ""
        if line and not line.startswith("#"):
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines


def _true(value: str | None) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "t")


def settings_from(args: argparse.Namespace) -> dict[str, str]:
    """Command line over environment over the config file (``~/.vdcshellrc``, INI, section ``[vdc-shell]``)."""
    s: dict[str, str] = {}
    parser = configparser.ConfigParser(interpolation=None)
    path = Path(os.path.expanduser(args.config or CONFIG))
    if path.is_file():
        parser.read(path)
        if parser.has_section(SECTION):
            s.update({k: v for k, v in parser.items(SECTION) if k in CONFIG_KEYS})
    if os.environ.get("VDC_PASSWORD"):
        s["password"] = os.environ["VDC_PASSWORD"]
    for key in ("url", "username", "ca_file"):
        if getattr(args, key):
            s[key] = getattr(args, key)
    if args.insecure:
        s["insecure"] = "true"
    if args.filter:
        s["filter"] = "true"
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vdc-shell", description="The shell of the oVirt API, for vdc.")
    ap.add_argument("-l", "--url", help="the API, e.g. https://engine.example.com/ovirt-engine/api")
    ap.add_argument("-u", "--username", help="e.g. admin@internal (the password: VDC_PASSWORD, config or prompt)")
    ap.add_argument("-I", "--insecure", action="store_true", help="do not check the server's certificate")
    ap.add_argument("-A", "--ca-file", dest="ca_file", help="the CA certificate that signed the server's")
    ap.add_argument("-F", "--filter", action="store_true", help="see only what the user has permissions on")
    ap.add_argument("-E", "--execute-command", dest="execute", help='run "cmd; cmd" and exit')
    ap.add_argument("-f", "--file", help="run the commands of FILE and exit")
    ap.add_argument("--config", help=f"the config file (default {CONFIG})")
    args = ap.parse_args(argv)
    settings = settings_from(args)
    shell = Shell(settings)
    interactive = args.execute is None and args.file is None and sys.stdin.isatty()
    shell.interactive = interactive
    if settings.get("url") and settings.get("username"):
        if not settings.get("password") and interactive:
            settings["password"] = getpass.getpass("Password: ")
        if settings.get("password"):
            shell.run_line("connect")
            if shell.session is None and not interactive:
                return shell.failed
    if args.execute is not None:
        for line in split_commands(args.execute):
            if shell.run_line(line):
                break
        return shell.failed
    if args.file is not None:
        try:
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        except OSError as e:
            sys.stderr.write(f"=== ERROR ===\ncannot read {args.file}: {e.strerror}\n")
            return SYNTAX_ERROR
        for line in script_lines(text):
            if shell.run_line(line):
                break
        return shell.failed
    if not interactive:
        for line in script_lines(sys.stdin.read()):
            if shell.run_line(line):
                break
        return shell.failed
    shell.intro = "Welcome to vdc shell\n"
    try:
        import readline

        readline.set_completer_delims(" \t\n")
    except ImportError:  # pragma: no cover - no line editing, still a shell
        pass
    while True:
        try:
            shell.cmdloop()
            break
        except KeyboardInterrupt:
            shell.stdout.write("^C\n")
            shell.intro = ""
    return shell.failed if shell.status != OK else OK  # as the last command ended


if __name__ == "__main__":
    sys.exit(main())
