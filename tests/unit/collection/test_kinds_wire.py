"""Request bodies of kinds whose wire form is not a plain copy of the user's value."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import to_facts, to_wire


def test_a_vlan_tag_is_set_with_an_id_and_removed_with_an_empty_vlan():
    network = KINDS["network"]
    assert to_wire(network, {"vlan_tag": 100}, lambda *a: None) == {"vlan": {"id": 100}}
    # <vlan/> (JSON {}) removes the tag in oVirt; a JSON null is ignored there (and refused by the vdc engine)
    assert to_wire(network, {"vlan_tag": None}, lambda *a: None) == {"vlan": {}}
    assert to_facts(network, {"id": "n", "name": "app", "vlan": {}}, None)["vlan_tag"] is None
