"""A new disk's volume on a host: every format and allocation gives an image qemu-img reads back as asked, and a
new empty sparse qcow2 volume is a copy of an image qemu-img made (one qemu-img process per size, not per disk)."""

from __future__ import annotations

import json
import subprocess

import pytest

from engine_api.agent import storage as storage_mod
from engine_api.agent.storage import Storage

GIB = 1 << 30


@pytest.fixture
def storage(tmp_path):
    s = Storage(None, tmp_path / "state")  # a dir domain needs no libvirt connection
    s.connect({"id": "sd1", "name": "data", "type": "dir", "path": str(tmp_path / "sd1")})
    return s


def info(path: str) -> dict:
    return json.loads(subprocess.run(["qemu-img", "info", "--output=json", path], capture_output=True, text=True,
                                     check=True).stdout)


@pytest.mark.parametrize(("fmt", "sparse", "expected"), [("cow", True, "qcow2"), ("cow", False, "qcow2"),
                                                         ("raw", True, "raw"), ("raw", False, "raw")])
def test_a_new_volume_is_an_image_of_the_asked_format_and_size(storage, fmt, sparse, expected):
    path = storage.ensure_volume("sd1", "vol-a", 2 * GIB, fmt, sparse)
    found = info(path)
    assert found["format"] == expected and found["virtual-size"] == 2 * GIB
    if expected == "qcow2":
        assert subprocess.run(["qemu-img", "check", path], capture_output=True).returncode == 0


def test_empty_qcow2_volumes_of_one_size_take_one_qemu_img_process(storage, monkeypatch):
    made: list[tuple[str, ...]] = []
    real = storage_mod.qemu_img

    def counting(*args: str, **kw) -> str:
        made.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(storage_mod, "qemu_img", counting)
    paths = [storage.ensure_volume("sd1", f"vol-{n}", GIB, "cow", True) for n in range(3)]
    other = storage.ensure_volume("sd1", "vol-big", 3 * GIB, "cow", True)
    assert [a[0] for a in made] == ["create", "create"]  # one per size
    assert [info(p)["virtual-size"] for p in paths] == [GIB] * 3 and info(other)["virtual-size"] == 3 * GIB
    # each volume is a file of its own: writing one leaves the others and the blank empty
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", paths[0]], capture_output=True, check=True)
    assert subprocess.run(["qemu-img", "compare", paths[0], paths[1]], capture_output=True).returncode == 1
    assert subprocess.run(["qemu-img", "compare", paths[1], paths[2]], capture_output=True).returncode == 0


def test_an_existing_volume_is_kept(storage):
    path = storage.ensure_volume("sd1", "vol-a", GIB, "cow", True)
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", path], capture_output=True, check=True)
    assert storage.ensure_volume("sd1", "vol-a", GIB, "cow", True) == path
    blank = storage.ensure_volume("sd1", "vol-b", GIB, "cow", True)
    assert subprocess.run(["qemu-img", "compare", path, blank], capture_output=True).returncode == 1
