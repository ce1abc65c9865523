"""Sizes as users write them."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.units import format_size, parse_size

GiB = 1024**3


@pytest.mark.parametrize(("text", "size"), [
    ("2GiB", 2 * GiB), ("512MiB", 512 * 1024**2), ("1TiB", 1024**4), ("2G", 2 * GiB), ("2GB", 2 * 10**9),
    ("1.5GiB", 3 * GiB // 2), (" 4 KiB ", 4096), ("100", 100), (2147483648, 2 * GiB), (0, 0), ("10b", 10),
])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["2GB x", "two GiB", "2XB", "", "-1GiB", "1.3B", True, -5])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError) as e:
        parse_size(text)
    assert "size" in str(e.value) or "bytes" in str(e.value)


def test_format_size():
    assert [format_size(n) for n in (2 * GiB, 512 * 1024**2, 1000, 0)] == ["2GiB", "512MiB", "1000", "0"]
