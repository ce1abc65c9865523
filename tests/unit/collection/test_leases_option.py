"""The vm module's lease option: a storage domain name on the user's side, oVirt's lease.storage_domain on the
wire."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import to_facts, to_wire


def test_the_vm_module_sends_and_reads_the_lease_by_storage_domain_name():
    class Names:
        def name(self, kind: str, ident: str) -> str | None:
            return "labnfs" if (kind, ident) == ("storage_domain", "sd-1") else None

    def ids(kind: str, name: str, values: dict) -> str | None:
        return "sd-1" if (kind, name) == ("storage_domain", "labnfs") else None

    vm = KINDS["vm"]
    assert to_wire(vm, {"lease": "labnfs"}, ids) == {"lease": {"storage_domain": {"id": "sd-1"}}}
    assert to_wire(vm, {"lease": ""}, ids) == {"lease": {"storage_domain": None}}  # removes it
    facts = to_facts(vm, {"id": "v", "name": "web", "lease": {"storage_domain": {"id": "sd-1"}}}, Names())
    assert facts["lease"] == "labnfs"
    assert to_facts(vm, {"id": "v", "name": "web"}, Names()).get("lease") is None


def test_an_estate_vm_declares_its_lease():
    from ansible_collections.vdc.infra.plugins.module_utils.estate.document import EstateVm

    vm = EstateVm(name="web", cluster="c1", lease="labnfs", high_availability=True)
    assert vm.lease == "labnfs"
    assert KINDS["vm"].field("lease").ref == "storage_domain"  # planned after the domain it names
