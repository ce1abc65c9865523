"""The seeds' numa hook on a real QEMU host: deployed by the engine, it rewrites the domain XML before libvirt
defines it, and the qemu guest runs with the memory policy it wrote."""

from __future__ import annotations

from pathlib import Path

import httpx
import libvirt
import ovirtsdk4.types as t
from lxml import etree

from engine_api.cli import main as engine_cli
from tests.qemu.vms import counting_vm, libvirt_uri, wait_counting

NUMA = (Path(__file__).parent.parent / "data" / "hooks" / "50_numa").read_text()


def test_seed_numa_hook_rewrites_the_domain_qemu_runs(qemu_engine, qestate):
    engine_cli(["config", "--data-dir", str(qemu_engine.engine.data_dir), "-s",
                "UserDefinedVMProperties=numa=^(strict|interleave|preferred):[0-9^,-]+$", "--cver=4.7"])
    with httpx.Client(base_url=qemu_engine.url + "/vdc", auth=(qemu_engine.username, qemu_engine.password),
                      timeout=60) as api:
        r = api.post("/hooks", json={"name": "50_numa", "event": "before_vm_start", "content": NUMA,
                                     "clusters": [{"name": "Default"}], "hosts": []})
        assert r.status_code == 201, r.text
        hook = r.json()
        vm_id = None
        try:
            vm_id, _ = counting_vm(qestate, "q-numa", custom_properties=[t.CustomProperty(name="numa",
                                                                                          value="strict:0")])
            vm = qestate.start_on(vm_id, 0)
            wait_counting(qestate, vm_id)  # the guest runs under the policy the hook wrote
            conn = libvirt.open(libvirt_uri(qestate, vm.host.id))
            try:
                live = etree.fromstring(conn.lookupByUUIDString(vm_id).XMLDesc(0).encode())
            finally:
                conn.close()
            memory = live.find("numatune/memory")
            assert (memory.get("mode"), memory.get("nodeset")) == ("strict", "0")
        finally:
            if vm_id:
                qestate.destroy_vm(vm_id)
            api.delete(f"/hooks/{hook['id']}")
