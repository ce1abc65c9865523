"""Login rate limiting: failed password checks drain a bucket per client address and one per user name.

A bucket holds ``burst`` failures and refills at ``rate`` a second; while either bucket of an attempt is empty
the attempt is refused at once, before any password is hashed, whoever the user is (administrators too).
A pair already verified (the authenticator's cache) is never refused: no guessing happens there.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

MAX_KEYS = 50_000  # buckets kept; full ones are forgotten first


class TooManyAttempts(Exception):
    def __init__(self, retry_after: float):
        super().__init__(f"too many failed logins; retry in {math.ceil(retry_after)} s")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    level: float
    stamp: float


class LoginThrottle:
    def __init__(self, burst: float = 10.0, rate: float = 1.0):
        self.burst = burst
        self.rate = rate
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        b = self._buckets.get(key)
        if b is None:
            return self.burst
        return min(self.burst, b.level + (now - b.stamp) * self.rate)

    def check(self, *keys: str) -> None:
        """Raise TooManyAttempts while any of ``keys`` has no failure left."""
        now = time.monotonic()
        with self._lock:
            lowest = min(self._level(k, now) for k in keys)
        if lowest < 1.0:
            raise TooManyAttempts((1.0 - lowest) / self.rate)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._buckets[k] = _Bucket(self._level(k, now) - 1.0, now)
            if len(self._buckets) > MAX_KEYS:
                self._forget(now)

    def _forget(self, now: float) -> None:
        for k in [k for k in self._buckets if self._level(k, now) >= self.burst]:
            del self._buckets[k]
        while len(self._buckets) > MAX_KEYS:  # still too many: the oldest go
            del self._buckets[next(iter(self._buckets))]
