"""Password hashing with bcrypt; hashes made earlier with the standard library's scrypt still verify.

bcrypt reads at most 72 bytes, so the password is first reduced to its SHA-256 digest (base64, no NUL bytes):
a long pass phrase counts whole. A verified scrypt hash is reported by :func:`needs_rehash`, so that the next
successful login stores a bcrypt one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import bcrypt

ROUNDS = 11  # bcrypt's cost: 2**11 rounds
_N, _R, _P = 2**14, 8, 1  # the parameters of the scrypt hashes made before


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str) -> str:
    return "bcrypt$" + bcrypt.hashpw(_prehash(password), bcrypt.gensalt(ROUNDS)).decode()


def verify_password(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    if scheme == "bcrypt":
        try:
            return bcrypt.checkpw(_prehash(password), rest.encode())
        except ValueError:
            return False
    if scheme == "scrypt":
        try:
            salt_b64, digest_b64 = rest.split("$")
            digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), n=_N, r=_R, p=_P)
        except ValueError:
            return False
        return hmac.compare_digest(digest, base64.b64decode(digest_b64))
    return False


def needs_rehash(stored: str) -> bool:
    return not stored.startswith("bcrypt$")
