"""The shell's commands on the API: list, show, add, update, remove, action, with their options derived from
the model, and the parent identifiers (``--parent-vm-name web1``) that place a sub-collection."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import IO, Any

from engine_api.shell import format as fmt
from engine_api.shell.client import COMMAND_ERROR, NOT_FOUND, SYNTAX_ERROR, Client, ShellError
from engine_api.shell.model import Coll, Model

LIST_OPTIONS = {"query": "string", "show-all": "boolean", "max": "integer", "kwargs": "string",
                "case-sensitive": "boolean", "table": "boolean"}
SHOW_OPTIONS = {"table": "boolean"}
ENTITY_VERBS = ("show", "update", "remove", "action")
VERBS = ("list", "add", *ENTITY_VERBS)


@dataclass
class Args:
    """A command line split into positional words and ``--options`` (a bare option means true)."""

    words: list[str]
    options: dict[str, str] = field(default_factory=dict)
    parents: dict[str, tuple[str, str]] = field(default_factory=dict)  # type -> ("name"|"identifier", value)


def parse(tokens: list[str]) -> Args:
    args = Args([])
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("--") and len(tok) > 2:
            name, eq, value = tok[2:].partition("=")
            if not eq:
                if i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
                    value, i = tokens[i + 1], i + 1
                else:
                    value = "true"
            _option(args, name, value)
        elif args.options:
            raise ShellError(f"'{tok}' follows the options; positional arguments come first", SYNTAX_ERROR)
        else:
            args.words.append(tok)
        i += 1
    return args


def _option(args: Args, name: str, value: str) -> None:
    parts = name.split("-")
    if parts[0] == "parent" and len(parts) >= 3 and parts[-1] in ("name", "identifier", "id"):
        args.parents["-".join(parts[1:-1])] = ("name" if parts[-1] == "name" else "identifier", value)
    elif len(parts) == 2 and parts[1] == "identifier":  # the older --vm-identifier form
        args.parents[parts[0]] = ("identifier", value)
    else:
        args.options[name] = value


@dataclass
class Session:
    client: Client
    model: Model
    out: IO[str]

    # -- locating things

    def _chain(self, coll: Coll) -> list[Coll]:
        chain: list[Coll] = []
        c: Coll | None = coll
        while c is not None:
            chain.append(c)
            c = c.parent
        return chain[::-1]

    def base(self, coll: Coll, parents: dict[str, tuple[str, str]]) -> str:
        """The path of ``coll`` with its parents resolved from the parent options."""
        given = {k.replace("_", ""): v for k, v in parents.items()}
        path = ""
        for c in self._chain(coll)[:-1]:
            path += "/" + c.segment
            how, value = given[c.type.replace("_", "")]
            path += "/" + (value if how == "identifier" else self.resolve(c, path, value)["id"])
        return path + "/" + coll.segment

    def resolve(self, coll: Coll, path: str, ident: str) -> dict:
        """An item of the collection at ``path`` by id, else by name."""
        try:
            return self.client.request("GET", f"{path}/{ident}")
        except ShellError as e:
            if e.http not in (400, 404):
                raise
        if "search" in coll.query_params("list"):
            items = self._items(self.client.request("GET", path, {"search": f'name="{ident}"'}), coll)
        else:
            items = [i for i in self._items(self.client.request("GET", path), coll) if i.get("name") == ident]
        if len(items) != 1:
            what = coll.type.replace("_", " ")
            raise ShellError(f"{what} '{ident}' {'is ambiguous' if items else 'does not exist'}",
                             COMMAND_ERROR if items else NOT_FOUND)
        return items[0]

    @staticmethod
    def _items(answer: Any, coll: Coll) -> list[dict]:
        return list((answer or {}).get(coll.type, []))

    def locate(self, args: Args, verb: str) -> tuple[Coll, str | None, str]:
        if not args.words:
            raise ShellError(f"{verb}: which type? 'help {verb}' shows them", SYNTAX_ERROR)
        coll, via = self.model.find(args.words[0], list(args.parents))
        return coll, via, self.base(coll, args.parents)

    # -- bodies and query options

    def body(self, type_name: str, options: dict[str, str]) -> dict:
        known = {k.replace("_", "-"): v for k, v in self.model.options(type_name).items()}
        doc: dict[str, Any] = {}
        for name, value in options.items():
            spec = known.get(name.replace("_", "-"))
            if spec is None:
                raise ShellError(f"unknown option '--{name}' for {type_name}; 'help' with the type lists them",
                                 SYNTAX_ERROR)
            path, mtype = spec
            node = doc
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = [v.strip() for v in value.split(",")] if mtype.endswith("[]") else value
        return doc

    @staticmethod
    def split_query(coll: Coll, method: str, options: dict[str, str], on_entity: bool) -> dict[str, str]:
        """Take the method's query options (``--detach_only true``) out of ``options``."""
        params = {}
        for name in coll.query_params(method, on_entity):
            for spelled in (name, name.replace("_", "-")):
                if spelled in options:
                    params[name] = options.pop(spelled)
        return params

    # -- the commands

    def list(self, args: Args) -> None:
        coll, via, path = self.locate(args, "list")
        opts = dict(args.options)
        unknown = set(opts) - set(LIST_OPTIONS) - {n.replace("_", "-") for n in coll.query_params("list")}
        unknown -= set(coll.query_params("list"))
        if unknown:
            raise ShellError(f"unknown option '--{sorted(unknown)[0]}' for list", SYNTAX_ERROR)
        params = self.split_query(coll, "list", {k: v for k, v in opts.items() if k not in LIST_OPTIONS}, False)
        if "query" in opts:
            params["search"] = opts["query"]
        if "max" in opts:
            params["max"] = opts["max"]
        if opts.get("case-sensitive", "false") == "true":
            params["case_sensitive"] = "true"
        if via:
            params["follow"] = via
        items = self._items(self.client.request("GET", path, params), coll)
        if via:
            items = [i[via] for i in items if isinstance(i.get(via), dict)]
        if "kwargs" in opts:
            items = [i for i in items if _kwargs_match(i, opts["kwargs"])]
        show_all = opts.get("show-all", "false") == "true"
        if opts.get("table", "false") == "true":
            fmt.table(items, show_all, self.out)
        elif items:
            self.out.write(fmt.text_list(items, show_all))

    def show(self, args: Args) -> None:
        coll, via, path = self.locate(args, "show")
        ident = _ident(args, "show")
        if via:
            items = self._items(self.client.request("GET", path, {"follow": via}), coll)
            found = [i[via] for i in items if ident in (i[via].get("id"), i[via].get("name"), i[via].get("alias"))]
            if not found:
                raise ShellError(f"{via} '{ident}' is not attached there", NOT_FOUND)
            doc = found[0]
        else:
            doc = self.resolve(coll, path, ident)
        if args.options.get("table") == "true":
            fmt.table([doc], True, self.out)
        else:
            self.out.write(fmt.text(doc))

    def add(self, args: Args) -> None:
        coll, _, path = self.locate(args, "add")
        if "add" not in coll.methods:
            raise ShellError(f"{coll.member.replace('_', ' ')} cannot be added to", COMMAND_ERROR)
        opts = dict(args.options)
        params = self.split_query(coll, "add", opts, False)
        self.out.write(fmt.text(self.client.request("POST", path, params, self.body(coll.type, opts))))

    def update(self, args: Args) -> None:
        coll, _, path = self.locate(args, "update")
        current = self.resolve(coll, path, _ident(args, "update"))
        opts = dict(args.options)
        params = self.split_query(coll, "update", opts, True)
        if not opts:
            raise ShellError("update: nothing to change; give the fields as options", SYNTAX_ERROR)
        answer = self.client.request("PUT", f"{path}/{current['id']}", params, self.body(coll.type, opts))
        self.out.write(fmt.text(answer))

    def remove(self, args: Args) -> None:
        coll, _, path = self.locate(args, "remove")
        current = self.resolve(coll, path, _ident(args, "remove"))
        opts = dict(args.options)
        params = self.split_query(coll, "remove", opts, True)
        if opts:
            raise ShellError(f"unknown option '--{sorted(opts)[0]}' for remove", SYNTAX_ERROR)
        answer = self.client.request("DELETE", f"{path}/{current['id']}", params)
        self.out.write(fmt.text(answer) if answer else "accepted\n")

    def action(self, args: Args) -> None:
        coll, _, path = self.locate(args, "action")
        if len(args.words) < 3:
            names = ", ".join(coll.actions) or "none"
            raise ShellError(f"action: give the id or name and the action ({names})", SYNTAX_ERROR)
        name = args.words[2]
        if name not in coll.actions:
            raise ShellError(f"{coll.type.replace('_', ' ')} has no action '{name}' (actions: "
                             f"{', '.join(coll.actions) or 'none'})", SYNTAX_ERROR)
        current = self.resolve(coll, path, args.words[1])
        opts = dict(args.options)
        params = self.split_query(coll, name, opts, True)
        answer = self.client.request("POST", f"{path}/{current['id']}/{name}", params, self.body("action", opts))
        if (answer or {}).get("status") == "failed":
            fault = answer.get("fault") or {}
            raise ShellError(f"reason: {fault.get('reason', '')}\ndetail: {fault.get('detail', '')}", COMMAND_ERROR)
        self.out.write(fmt.text(answer or {"status": "complete"}))


def _ident(args: Args, verb: str) -> str:
    if len(args.words) < 2:
        raise ShellError(f"{verb}: give the id or the name", SYNTAX_ERROR)
    return args.words[1]


def _kwargs_match(doc: dict, kwargs: str) -> bool:
    """ovirt-shell's client-side filter: ``--kwargs "memory=1073741824;name=web1"``."""
    have = dict(fmt.pairs(doc))
    for cond in filter(None, (c.strip() for c in kwargs.split(";"))):
        key, _, value = cond.partition("=")
        if have.get(key.strip().replace(".", "-")) != value.strip():
            return False
    return True


def tokens(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError as e:
        raise ShellError(f"cannot parse the line: {e}", SYNTAX_ERROR) from None
