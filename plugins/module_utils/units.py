"""Sizes as users write them: IEC strings (``2GiB``, ``512MiB``), SI strings (``2GB``) or plain byte counts."""

from __future__ import annotations

import re

_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kib": 1024, "m": 1024**2, "mib": 1024**2, "g": 1024**3, "gib": 1024**3,
    "t": 1024**4, "tib": 1024**4, "p": 1024**5, "pib": 1024**5,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4, "pb": 1000**5,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(value: int | str) -> int:
    """Bytes for ``value``; raises ValueError with the accepted forms when it is not a size."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as '2GiB', '512MiB' or a number of bytes, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative, got {value}")
        return value
    m = _SIZE.match(str(value))
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise ValueError(f"'{value}' is not a size; write it like '2GiB', '512MiB', '2GB' or a number of bytes")
    number = float(m.group(1)) * _UNITS[unit]
    if number != int(number):
        raise ValueError(f"'{value}' is not a whole number of bytes")
    return int(number)


def format_size(size: int) -> str:
    """The shortest exact IEC form of ``size`` (``2147483648`` → ``2GiB``), for messages and diffs."""
    for unit, factor in (("PiB", 1024**5), ("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)
