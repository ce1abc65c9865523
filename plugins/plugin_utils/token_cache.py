"""Engine tokens shared by the tasks of one playbook run, and revoked when it ends.

A module process logs in, works and revokes its token: two SSO calls per task. When a module runs inside the
controller (see :mod:`.engine_action`), its session comes from :class:`ControllerSessions` instead, which takes the
token from a :class:`TokenCache`: one file per engine URL and user, ``0600`` in a ``0700`` directory inside
Ansible's private temporary directory of the run. A file holds the token, what is needed to revoke it, and a keyed
digest of the password (the key lives in the controller's memory only, never on disk), so a task that gives
another password logs in again instead of riding on a token it could not have obtained. The password itself is
never written.

The controller process creates the cache when it first loads a vdc action plugin (the strategy loads action
plugin classes before it forks the task workers, which inherit it) and revokes every cached token when it exits.
Where no cache exists (the plugin was first loaded in a worker) a session logs in and out as a module does.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import hmac
import json
import multiprocessing
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.error import HTTPError

from ansible_collections.vdc.infra.plugins.module_utils.auth import AuthSettings, login, logout
from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient, Opener
from ansible_collections.vdc.infra.plugins.module_utils.keepalive import KeepAliveOpener

DIRECTORY_NAME = "vdc-tokens"


class TokenCache:
    """Tokens on disk, one file per (engine URL, user name); every method takes the directory's lock."""

    def __init__(self, directory: str, key: bytes):
        self.directory = directory
        self._key = key

    @contextmanager
    def locked(self) -> Iterator[None]:
        fd = os.open(os.path.join(self.directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def private(self) -> bool:
        """Whether the directory is still ours alone (a real directory, owned by this user, mode 0700)."""
        try:
            st = os.lstat(self.directory)
        except OSError:
            return False
        return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) == 0o700

    def _path(self, s: AuthSettings) -> str:
        name = hashlib.sha256(f"{s.url}\n{s.username}".encode()).hexdigest()[:32]
        return os.path.join(self.directory, name + ".json")

    def _digest(self, password: str | None) -> str:
        return hmac.new(self._key, (password or "").encode(), hashlib.sha256).hexdigest()

    def get(self, s: AuthSettings) -> str | None:
        """The cached token of ``s``'s engine and user, if it was obtained with ``s``'s password."""
        try:
            with open(self._path(s)) as f:
                entry = json.load(f)
        except (OSError, ValueError):
            return None
        if not hmac.compare_digest(str(entry.get("password_digest")), self._digest(s.password)):
            return None
        return entry.get("token")

    def put(self, s: AuthSettings, token: str) -> str | None:
        """Cache ``token`` for ``s``; returns the token it replaces (the caller revokes it), if any."""
        path = self._path(s)
        try:
            with open(path) as f:
                replaced = json.load(f).get("token")
        except (OSError, ValueError):
            replaced = None
        entry = {"url": s.url, "username": s.username, "token": token, "ca_file": s.ca_file,
                 "insecure": s.insecure, "password_digest": self._digest(s.password)}
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".new-")  # created 0600
        with os.fdopen(fd, "w") as f:
            json.dump(entry, f)
        os.replace(tmp, path)
        return replaced if replaced != token else None

    def revoke_all(self) -> int:
        """Revoke every cached token and remove the directory; returns how many tokens were revoked."""
        count = 0
        opener = KeepAliveOpener()
        for name in sorted(os.listdir(self.directory)):
            path = os.path.join(self.directory, name)
            if name.endswith(".json"):
                try:
                    with open(path) as f:
                        entry = json.load(f)
                    logout(AuthSettings(url=entry["url"], ca_file=entry.get("ca_file"),
                                        insecure=bool(entry.get("insecure"))), entry["token"], opener)
                    count += 1
                except (OSError, ValueError, KeyError):
                    pass
            os.unlink(path)
        opener.close()
        os.rmdir(self.directory)
        return count


class RenewingOpener:
    """An opener whose bearer token is replaced by a new one when the engine refuses it (401), once per call."""

    def __init__(self, inner: Opener, renew: Callable[[str | None], str]):
        self.inner = inner
        self.renew = renew
        self.token: str | None = None

    def __call__(self, url: str, **kwargs: Any) -> Any:
        headers = kwargs["headers"]
        bearer = str(headers.get("Authorization", "")).startswith("Bearer ")
        if bearer and self.token:
            kwargs["headers"] = {**headers, "Authorization": f"Bearer {self.token}"}
        try:
            return self.inner(url, **kwargs)
        except HTTPError as e:
            if e.code != 401 or not bearer:
                raise
            refused = kwargs["headers"]["Authorization"].split(" ", 1)[1]
        self.token = self.renew(refused)
        kwargs["headers"] = {**headers, "Authorization": f"Bearer {self.token}"}
        return self.inner(url, **kwargs)


class ControllerSessions:
    """The sessions of modules run in the controller (installed as ``auth.SESSIONS``): one opener, with its kept
    connections, per engine and user for the life of the task's worker (all the items of a loop), and the token
    from the run's cache."""

    def __init__(self, cache: TokenCache | None):
        self.cache = cache if cache is not None and cache.private() else None
        self._openers: dict[tuple, RenewingOpener] = {}

    def opener(self, s: AuthSettings) -> RenewingOpener:
        key = (s.url, s.username, s.password, s.ca_file, s.insecure)
        if key not in self._openers:
            inner = KeepAliveOpener()
            self._openers[key] = RenewingOpener(inner, lambda refused: self._renew(s, inner, refused))
        return self._openers[key]

    def _token(self, s: AuthSettings, opener: RenewingOpener) -> str:
        if opener.token:
            return opener.token
        if self.cache is None:
            return login(s, opener.inner)
        with self.cache.locked():
            token = self.cache.get(s)
            if token is None:
                token = login(s, opener.inner)
                self._replace(self.cache, s, token, opener.inner)
        return token

    def _renew(self, s: AuthSettings, inner: Opener, refused: str | None) -> str:
        if self.cache is None:
            return login(s, inner)
        with self.cache.locked():
            token = self.cache.get(s)
            if token is None or token == refused:  # else another task renewed it already
                token = login(s, inner)
                self._replace(self.cache, s, token, inner)
        return token

    @staticmethod
    def _replace(cache: TokenCache, s: AuthSettings, token: str, inner: Opener) -> None:
        replaced = cache.put(s, token)
        if replaced:
            logout(s, replaced, inner)

    @contextmanager
    def session(self, s: AuthSettings) -> Iterator[EngineClient]:
        opener = self.opener(s)
        opener.token = self._token(s, opener)
        try:
            yield EngineClient(s.url, opener.token, ca_file=s.ca_file, insecure=s.insecure, headers=s.headers,
                               opener=opener)
        finally:
            if self.cache is None:  # nobody revokes it at the end of the run: revoke it now, as a module does
                logout(s, opener.token, opener.inner)
                opener.token = None


def _run_cache() -> TokenCache | None:
    """The run's cache, created in the controller's main process (None in a worker: it would die with it)."""
    if multiprocessing.current_process().name != "MainProcess":
        return None
    from ansible import constants as C

    directory = os.path.join(C.DEFAULT_LOCAL_TMP, DIRECTORY_NAME)
    os.makedirs(directory, 0o700, exist_ok=True)
    os.chmod(directory, 0o700)  # whatever the umask
    cache = TokenCache(directory, secrets.token_bytes(32))
    owner = os.getpid()

    def revoke() -> None:
        if os.getpid() == owner and os.path.isdir(directory):
            cache.revoke_all()

    atexit.register(revoke)  # after the temporary directory's own clean-up was registered: runs before it
    return cache


RUN_CACHE: TokenCache | None = _run_cache()
