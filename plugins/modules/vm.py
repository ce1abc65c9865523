#!/usr/bin/python
"""Module vdc.infra.vm: a VM with its disks and NICs, reconciled."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vm
short_description: Manage virtual machines, their disks and NICs
version_added: 0.1.0
description:
  - Create, update, start, stop, suspend and remove VMs. Options follow M(ovirt.ovirt.ovirt_vm).
  - A new VM from a template has thin disks (qcow2 overlays on the template's) unless I(clone) asks for full
    copies; I(template_version) picks a version of the template. With I(snapshot_vm) and I(snapshot_name) the
    new VM is a copy of another VM at one of its snapshots.
  - I(disks) and I(nics) are reconciled too, field by field. With I(exclusive=true), disks and NICs of the VM
    that are not declared are removed; without it they are left alone (never silently only added).
# options: generated from the desired-state model by `make docs`; declare options there.
options:
  id:
    description: Id of the VM; when given, the VM is found by id.
    type: str
  name:
    description: Name of the VM.
    type: str
    required: true
  state:
    description:
      - C(present) makes sure the VM exists, whatever its status.
      - C(running), C(stopped) and C(suspended) also bring it to C(up), C(down) or C(suspended).
      - C(absent) stops and removes it, with its disks.
    type: str
    default: present
    choices: [present, absent, running, stopped, suspended]
  cluster:
    description: Cluster of the VM. Required to create one.
    type: str
  template:
    description: Template the VM is created from, C(Blank) when not given; used when creating
      only.
    type: str
  template_version:
    description:
      - Version number of I(template) the VM is created from (1 is the base template);
        used when creating only.
      - Without it the engine takes the base version, or the latest one with I(use_latest_template_version).
    type: int
  use_latest_template_version:
    description:
      - 'The VM follows the latest version of its template (oVirt''s I(use_latest_template_version),
        as in M(ovirt.ovirt.ovirt_vm)): a new VM is created from the latest version of
        I(template).'
    type: bool
  clone:
    description:
      - Create the VM's disks as full, independent copies of the template's (qemu-img
        convert), instead of thin qcow2 overlays on them; used when creating only.
    type: bool
    default: false
  snapshot_vm:
    description:
      - 'VM whose snapshot I(snapshot_name) the new VM is copied from (oVirt''s clone
        VM from snapshot): it gets that VM''s configuration as it was saved with the snapshot
        and full copies of its disks at that point. Used when creating only, with I(snapshot_name).'
    type: str
  snapshot_name:
    description: Description of the snapshot of I(snapshot_vm) the new VM is copied from,
      as M(ovirt.ovirt.ovirt_vm) names it; used when creating only.
    type: str
  description:
    description: Description.
    type: str
  comment:
    description: Comment.
    type: str
  memory:
    description: Memory, as an IEC size such as C(2GiB) or C(512MiB), or bytes.
    type: str
  memory_guaranteed:
    description: Guaranteed memory, as a size.
    type: str
  memory_max:
    description: Maximum memory for hot plug, as a size.
    type: str
  cpu_cores:
    description: Cores per socket.
    type: int
  cpu_sockets:
    description: Sockets.
    type: int
  cpu_threads:
    description: Threads per core.
    type: int
  type:
    description: Optimisation of the VM.
    type: str
    choices: [desktop, server, high_performance]
  operating_system:
    description: Guest operating system type, for example C(rhel_9x64).
    type: str
  high_availability:
    description: Restart the VM when its host fails.
    type: bool
  lease:
    description:
      - Storage domain holding the VM's lease (oVirt's I(lease.storage_domain)); it must
        be active in the VM's data center.
      - A host runs the VM only while it holds the lease, so a highly available VM whose
        host stops answering is restarted elsewhere once the lease expired, without fencing
        the host. An empty string removes it.
    type: str
  stateless:
    description: Discard changes when the VM stops.
    type: bool
  delete_protected:
    description: Refuse removal.
    type: bool
  boot_devices:
    description: Boot order. C([]) clears it.
    type: list
    choices: [cdrom, hd, network]
    elements: str
  bios_type:
    description: Chipset and firmware.
    type: str
    choices: [i440fx_sea_bios, q35_ovmf, q35_sea_bios, q35_secure_boot, cluster_default]
  custom_properties:
    description: Properties for the host's hooks, compared as a set.
    type: list
    elements: dict
    suboptions:
      name:
        description: Property name.
        type: str
        required: true
      value:
        description: Property value.
        type: str
        required: true
  disks:
    description: Disks of the VM, found by name (or id) among the VM's disks.
    type: list
    elements: dict
    suboptions:
      size:
        description: Size, as an IEC string such as C(20GiB) or bytes; disks can only
          grow.
        type: str
      storage_domain:
        description:
          - Data domain of the disk.
          - A different domain for an existing disk moves it there (live while its VM
            runs), as M(ovirt.ovirt.ovirt_disk) does; the module waits (with I(wait))
            until the disk is C(ok) on its new domain.
        type: str
      interface:
        description: Bus (for a disk attached to a VM).
        type: str
        choices: [virtio, virtio_scsi, ide, sata, spapr_vscsi]
      bootable:
        description: The VM boots from it.
        type: bool
      format:
        description: Image format; cannot change later.
        type: str
        choices: [cow, raw]
      sparse:
        description: Thin provisioning; cannot change later.
        type: bool
      shareable:
        description: May be attached to several VMs (raw only).
        type: bool
      activate:
        description: Plugged in.
        type: bool
      description:
        description: Description.
        type: str
      id:
        description: Id of an existing disk.
        type: str
      name:
        description: Name (alias) of the disk.
        type: str
  nics:
    description: NICs of the VM, found by name among the VM's NICs.
    type: list
    elements: dict
    suboptions:
      network:
        description: Network; the profile defaults to the one named after it.
        type: str
      profile:
        description: vNIC profile.
        type: str
      interface:
        description: Device model.
        type: str
        choices: [virtio, e1000, e1000e, rtl8139, rtl8139_virtio, pci_passthrough, spapr_vlan]
      mac_address:
        description: MAC address; allocated by the engine when not given.
        type: str
      linked:
        description: Link state.
        type: bool
      plugged:
        description: Plugged in.
        type: bool
      name:
        description: Name of the NIC, for example C(nic1).
        type: str
        required: true
  exclusive:
    description: Remove disks and NICs of the VM that are not declared in I(disks) and
      I(nics).
    type: bool
    default: false
  force:
    description: With I(state=absent), remove the VM even if the engine would refuse otherwise.
    type: bool
    default: false
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
# The connection: an auth dict in the task (as in the first one), set once per play with module_defaults
# for group/vdc.infra.engine, or VDC_URL, VDC_USERNAME and VDC_PASSWORD in the environment (the others).
- name: A web server with one disk and one NIC, and nothing else
  vdc.infra.vm:
    auth:
      url: https://engine.example.org/ovirt-engine/api
      username: admin@internal
      password: "{{ engine_password }}"
      ca_file: /etc/pki/vdc/ca.pem
    name: web1
    cluster: c1
    memory: 2GiB
    cpu_cores: 2
    disks:
      - name: web1_os
        size: 20GiB
        storage_domain: data1
        bootable: true
    nics:
      - name: nic1
        network: app
    exclusive: true

- name: A database server from a template, highly available, running
  vdc.infra.vm:
    name: db1
    cluster: c1
    template: el9-base
    memory: 8GiB
    memory_guaranteed: 4GiB
    cpu_sockets: 2
    cpu_cores: 4
    type: server
    operating_system: rhel_9x64
    high_availability: true
    boot_devices: [hd, network]
    custom_properties:
      - name: pincpu
        value: "0-3"
    state: running

- name: A VM with its own full copy of the second version of a template
  vdc.infra.vm:
    name: app2
    cluster: c1
    template: el9-base
    template_version: 2
    clone: true

- name: A copy of db1 as it was at its snapshot "before upgrade"
  vdc.infra.vm:
    name: db1-before-upgrade
    cluster: c1
    snapshot_vm: db1
    snapshot_name: before upgrade

- name: A bigger boot disk (disks only grow); the other disks and NICs are left alone
  vdc.infra.vm:
    name: web1
    disks:
      - name: web1_os
        size: 40GiB

- name: What would change, without changing it (with --diff, field by field)
  vdc.infra.vm:
    name: web1
    memory: 4GiB
    state: stopped
  check_mode: true
  register: preview

- name: The plan, one step per entity, each with its reason
  ansible.builtin.debug:
    msg: "{{ preview.plan | map(attribute='reason') | list }}"

- name: Stopped, then removed with its disks
  vdc.infra.vm:
    name: "{{ item }}"
    state: absent
  loop: [web1, db1]
"""

RETURN = r"""
# Generated by `make docs`.
id:
  description: Id of the VM (none when absent).
  returned: always
  type: str
vm:
  description: The VM as the engine returns it (the shape of M(vdc.infra.vm_info)), with
    C(disk_attachments.disk) and C(nics) followed.
  returned: when it exists
  type: dict
entity:
  description: Same as RV(vm).
  returned: when it exists
  type: dict
plan:
  description: The steps planned, each with C(op), C(kind), C(entity), C(reason) and,
    for changes, C(changes).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field that changes, for each changing step.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402


class VmModule(ReconcileModule):
    kind = "vm"


def main() -> None:
    VmModule()()


if __name__ == "__main__":
    main()
