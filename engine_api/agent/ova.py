"""OVA files on a host: packing a VM's disks with its OVF into one, reading one, and extracting its disks.

An OVA is a tar archive: the OVF descriptor first (``vm.ovf``), then one member per disk named by its image id,
each a qcow2 image holding what the disk's chain shows, as oVirt's pack_ova writes it. The archive is written
under a hidden name and renamed when complete, so a failed export leaves no half-written OVA behind.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from lxml import etree

from engine_api.agent.storage import FORMATS, qemu_img
from engine_api.protocol.client import AgentError

OVF_NS = "http://schemas.dmtf.org/ovf/envelope/1"
OVF_MEMBER = "vm.ovf"


def _directory(value: object) -> Path:
    if not isinstance(value, str) or not value.startswith("/"):
        raise AgentError(f"directory '{value}' is not an absolute path", 400)
    path = Path(value)
    if not path.is_dir():
        raise AgentError(f"directory {value} does not exist on this host", 400)
    if not os.access(path, os.W_OK | os.X_OK):
        raise AgentError(f"directory {value} is not writable on this host", 400)
    return path


def _filename(value: object) -> str:
    if not isinstance(value, str) or not value or "/" in value or value in (".", ".."):
        raise AgentError(f"file name '{value}' is not a plain file name", 400)
    return value


def _set_sizes(ovf: str, sizes: dict[str, int]) -> bytes:
    """The OVF with each disk file's size (``File/@ovf:size``, ``Disk/@ovf:populatedSize``) as packed."""
    root = etree.fromstring(ovf.encode())
    attr = f"{{{OVF_NS}}}"
    for f in root.iter("File"):
        if (href := f.get(attr + "href")) is not None and href in sizes:
            f.set(attr + "size", str(sizes[href]))
    for d in root.iter("Disk"):
        if (ref := d.get(attr + "fileRef")) is not None and ref in sizes:
            d.set(attr + "populatedSize", str(sizes[ref]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check(images, data: dict) -> dict:
    """Whether ``directory/filename`` can be written: the directory exists and is writable, the file is new."""
    final = _directory(data.get("directory")) / _filename(data.get("filename"))
    if final.exists():
        raise AgentError(f"{final} already exists on this host", 409)
    return {"path": str(final)}


def pack(images, data: dict) -> dict:
    """Write ``directory/filename``: the OVF, then each disk (``pool``, ``volume``: its top; ``image``: the member
    name) converted to qcow2."""
    final = Path(check(images, data)["path"])
    directory, name = final.parent, final.name
    parts = directory / f".{name}.parts"
    partial = directory / f".{name}.tmp"
    try:
        parts.mkdir()
    except FileExistsError:
        raise AgentError(f"an export to {final} is already running", 409) from None
    try:
        sizes: dict[str, int] = {}
        for d in data.get("disks") or []:
            src = images.storage.volume_path(d["pool"], d["volume"])
            if not src.exists():
                raise AgentError(f"no volume {d['volume']} in storage {d['pool']}", 404)
            out = parts / d["image"]
            qemu_img("convert", "-U", "-q", "-O", "qcow2", str(src), str(out), timeout=3600)
            sizes[d["image"]] = out.stat().st_size
        ovf = _set_sizes(data["ovf"], sizes)
        (parts / OVF_MEMBER).write_bytes(ovf)
        with tarfile.open(partial, "w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(parts / OVF_MEMBER, arcname=OVF_MEMBER)
            for image in sizes:
                tar.add(parts / image, arcname=image)
        partial.rename(final)
    except (OSError, tarfile.TarError) as e:
        raise AgentError(f"could not write {final}: {e}", 409) from None
    finally:
        shutil.rmtree(parts, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return {"path": str(final), "size": final.stat().st_size, "disks": sizes}


def _archive(value: object) -> Path:
    if not isinstance(value, str) or not value.startswith("/"):
        raise AgentError(f"'{value}' is not an absolute path", 400)
    path = Path(value)
    if not path.exists():
        raise AgentError(f"{value} does not exist on this host", 400)
    if not path.is_file():
        raise AgentError(f"{value} is not a file", 400)
    if not tarfile.is_tarfile(path):
        raise AgentError(f"{value} is not an OVA: it is not a tar archive", 400)
    return path


def read(images, data: dict) -> dict:
    """The OVA's OVF descriptor (its first ``*.ovf`` member) and its members."""
    path = _archive(data.get("path"))
    try:
        with tarfile.open(path) as tar:
            members = tar.getmembers()
            ovf = next((m for m in members if m.isfile() and m.name.endswith(".ovf")), None)
            if ovf is None:
                raise AgentError(f"{path} is not an OVA: it holds no OVF descriptor", 400)
            descriptor = tar.extractfile(ovf)
            if descriptor is None:  # pragma: no cover - a regular file always extracts
                raise AgentError(f"{path}: its OVF descriptor cannot be read", 400)
            text = descriptor.read().decode()
    except (OSError, tarfile.TarError, UnicodeDecodeError) as e:
        raise AgentError(f"{path} cannot be read as an OVA: {e}", 400) from None
    return {"ovf": text, "members": [{"name": m.name, "size": m.size} for m in members if m.isfile()]}


def extract(images, data: dict) -> dict:
    """Fill volumes from the OVA's disk members: each ``member`` into ``pool``/``volume`` in ``format``."""
    path = _archive(data.get("path"))
    done: dict[str, dict] = {}
    with tarfile.open(path) as tar:
        for d in data.get("disks") or []:
            dst = images.storage.volume_path(d["pool"], d["volume"])
            staged = dst.with_name(f".{dst.name}.extracting")
            converted = dst.with_name(f".{dst.name}.converting")
            try:
                member = tar.getmember(d["member"])
            except KeyError:
                raise AgentError(f"{path} has no member {d['member']}", 400) from None
            content = tar.extractfile(member) if member.isfile() else None
            if content is None:
                raise AgentError(f"{path}: member {d['member']} is not a file", 400)
            try:
                with content as src, open(staged, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                args = ["convert", "-q", "-O", FORMATS[d.get("format") or "cow"]]
                if d.get("sparse", True) is False:
                    args += ["-S", "0", "-o", "preallocation=falloc"]
                qemu_img(*args, str(staged), str(converted), timeout=3600)
                converted.rename(dst)
            except OSError as e:
                raise AgentError(f"could not extract {d['member']} from {path}: {e}", 409) from None
            finally:
                staged.unlink(missing_ok=True)
                converted.unlink(missing_ok=True)
            done[d["volume"]] = images.storage.volume_info(d["pool"], d["volume"])
    return {"volumes": done}
