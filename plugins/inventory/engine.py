"""Inventory plugin vdc.infra.engine: the engine's VMs as inventory hosts, read in a handful of bulk calls.

The pipeline: :meth:`InventoryModule.parse` → :meth:`~InventoryModule.records` (cached) → :func:`host_record`
per VM (pure) → :meth:`~InventoryModule.add_vm` (host, variables, default groups, then compose, groups and
keyed_groups).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: engine
short_description: VMs of an oVirt REST API v4 engine as inventory hosts
version_added: 0.1.0
author: vdc maintainers (@vdc)
description:
  - Every VM of the engine (or those a search selects) becomes an inventory host, named after the VM.
  - "Hosts are grouped by cluster (C(cluster_Default)), data center (C(data_center_Default)), status
    (C(status_up)) and tag (C(tag_web), only when the engine has tags besides C(root)); characters that may
    not appear in a group name become C(_)."
  - "Each host gets variables, prefixed with O(vars_prefix): C(id), C(name), C(status), C(description),
    C(comment), C(cluster), C(data_center), C(host) (where it runs, when it runs), C(memory) (bytes),
    C(cpu_cores), C(cpu_sockets), C(cpu_threads), C(os), C(fqdn), C(tags), C(nics) (each with C(name),
    C(mac), C(interface), C(plugged) and the C(ips) its guest reports) and C(ips) (all reported addresses)."
  - The engine is read in bulk, whatever the number of VMs - C(GET /tags), C(GET /vms) with the NICs and
    their reported devices (and tags) followed, C(GET /clusters), C(GET /datacenters) and C(GET /hosts) -
    never once per VM.
  - The inventory file name must end in C(vdc.yml) or C(vdc.yaml), for example C(lab.vdc.yml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; makes the file an inventory source of it.
    required: true
    type: str
    choices: [vdc.infra.engine]
  url:
    description:
      - The API URL, for example C(https://engine.example.org/ovirt-engine/api).
    type: str
    env:
      - name: VDC_URL
  username:
    description:
      - The user, for example C(admin@internal); needed unless O(token) is given.
    type: str
    env:
      - name: VDC_USERNAME
  password:
    description:
      - The user's password.
    type: str
    env:
      - name: VDC_PASSWORD
  token:
    description:
      - An SSO access token, for example the one M(vdc.infra.auth) returns; it is never revoked by the plugin.
    type: str
    env:
      - name: VDC_TOKEN
  ca_file:
    description:
      - A PEM file with the CA certificate(s) that signed the engine's certificate.
    type: path
    env:
      - name: VDC_CA_FILE
  insecure:
    description:
      - Do not verify the engine's TLS certificate.
    type: bool
    default: false
    env:
      - name: VDC_INSECURE
  headers:
    description:
      - Extra HTTP headers sent with every request.
    type: dict
  search:
    description:
      - Only the VMs this query in the engine's search language selects, for example C(cluster=c1 and status=up).
    type: str
  vars_prefix:
    description:
      - Prefix of every host variable the plugin sets. C(name) and C(tags) are names Ansible reserves, so
        an empty prefix makes every task warn about them.
    type: str
    default: vdc_
  hostnames:
    description:
      - Host variables (without O(vars_prefix)) to name an inventory host by; the first that is set wins, and
        of a list its first element (so C(ips) gives the first reported address).
      - A VM with none of them is named after its C(name).
    type: list
    elements: str
    default: [name]
"""

EXAMPLES = r"""
# lab.vdc.yml: every VM, with its address from the guest when it reports one;
# ansible-inventory -i lab.vdc.yml --graph
plugin: vdc.infra.engine
url: https://engine.example.org/ovirt-engine/api
username: admin@internal
password: "{{ lookup('ansible.builtin.env', 'ENGINE_PASSWORD') }}"
ca_file: /etc/pki/vdc/ca.pem
compose:
  ansible_host: vdc_ips | first | default(vdc_name)
keyed_groups:
  - key: vdc_os
    prefix: os
groups:
  big: vdc_memory >= 8 * 1024 ** 3

# web.vdc.yml: only the running VMs of one cluster, the connection from VDC_* variables,
# the answer cached for ten minutes
plugin: vdc.infra.engine
search: cluster=web and status=up
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/vdc-inventory
cache_timeout: 600
"""

from typing import Any  # noqa: E402

from ansible.errors import AnsibleError, AnsibleParserError  # noqa: E402
from ansible.inventory.group import to_safe_group_name  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.auth import session, settings  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient, items  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.errors import EngineError, VdcError  # noqa: E402

FOLLOW = ["nics.reported_devices"]
AUTH_OPTIONS = ("url", "username", "password", "token", "ca_file", "insecure", "headers")


def _list(value: Any) -> list:
    """A list the engine writes plain or wrapped (``{"nic": [...]}``)."""
    if isinstance(value, dict):
        return items(value)
    return list(value or [])


def _ips(devices: Any) -> list[str]:
    return [ip["address"] for device in _list(devices) for ip in _list(device.get("ips")) if ip.get("address")]


def host_record(vm: dict, names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A VM's host variables (unprefixed); ``names`` maps kind → id → name (a cluster: → its document)."""
    cluster = names["cluster"].get((vm.get("cluster") or {}).get("id")) or {}
    topology = (vm.get("cpu") or {}).get("topology") or {}
    nics = [{"name": nic.get("name"), "mac": (nic.get("mac") or {}).get("address"),
             "interface": nic.get("interface"), "plugged": nic.get("plugged"),
             "ips": _ips(nic.get("reported_devices"))}
            for nic in _list(vm.get("nics"))]
    ips = [ip for nic in nics for ip in nic["ips"]] + _ips(vm.get("reported_devices"))
    return {
        "id": vm.get("id"),
        "name": vm.get("name"),
        "status": vm.get("status"),
        "description": vm.get("description") or "",
        "comment": vm.get("comment") or "",
        "cluster": cluster.get("name"),
        "data_center": names["data_center"].get((cluster.get("data_center") or {}).get("id")),
        "host": names["host"].get((vm.get("host") or {}).get("id")),
        "memory": vm.get("memory"),
        "cpu_cores": topology.get("cores"),
        "cpu_sockets": topology.get("sockets"),
        "cpu_threads": topology.get("threads"),
        "os": (vm.get("os") or {}).get("type"),
        "fqdn": vm.get("fqdn"),
        "tags": sorted(t["name"] for t in _list(vm.get("tags")) if t.get("name")),
        "nics": nics,
        "ips": list(dict.fromkeys(ips)),
    }


def default_groups(record: dict[str, Any]) -> list[str]:
    """The groups every host joins: by cluster, data center, status and tag; names made safe."""
    raw = [f"{key}_{record[key]}" for key in ("cluster", "data_center", "status") if record.get(key)]
    raw += [f"tag_{tag}" for tag in record.get("tags") or []]
    return [to_safe_group_name(name, force=True, silent=True) for name in raw]


def read_vms(client: EngineClient, search: str | None = None) -> list[dict[str, Any]]:
    """Every VM's host record from five bulk reads; VM tags are followed only when the engine has some."""
    try:
        has_tags = any(t.get("name") != "root" for t in client.list("tags"))
    except EngineError as e:
        if e.status != 404:
            raise
        has_tags = False
    vms = client.list("vms", search=search, follow=FOLLOW + (["tags"] if has_tags else []))
    clusters = client.list("clusters")
    names = {
        "cluster": {c["id"]: c for c in clusters},
        "data_center": {d["id"]: d.get("name") for d in client.list("datacenters")},
        "host": {h["id"]: h.get("name") for h in client.list("hosts")},
    }
    return [host_record(vm, names) for vm in vms]


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "vdc.infra.engine"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("vdc.yml", "vdc.yaml"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        for record in self.records(path, cache):
            self.add_vm(record)

    # ------------------------------------------------------------ fetching (cached)

    def records(self, path: str, cache: bool) -> list[dict[str, Any]]:
        """The host records, from the cache when it is on and fresh, else from the engine."""
        key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        if use_cache:
            try:
                return self._cache[key]
            except KeyError:
                update_cache = True
        found = self.fetch()
        if update_cache:
            self._cache[key] = found
        return found

    def option(self, name: str) -> Any:
        """An option's value, templated when it is a template (a password from a lookup or the vault)."""
        value = self.get_option(name)
        if isinstance(value, str) and self.templar.is_template(value):
            value = self.templar.template(value)
        return value

    def fetch(self) -> list[dict[str, Any]]:
        try:
            auth = settings({k: self.option(k) for k in AUTH_OPTIONS}, environ={})
        except VdcError as e:
            raise AnsibleParserError(f"vdc.infra.engine: {e}") from None
        try:
            with session(auth) as client:
                return read_vms(client, self.option("search"))
        except VdcError as e:
            raise AnsibleError(f"vdc.infra.engine: reading VMs from {auth.url} failed: {e}") from None

    # ------------------------------------------------------------ adding

    def hostname(self, record: dict[str, Any]) -> str:
        for key in self.get_option("hostnames"):
            value = record.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if value:
                return str(value)
        return record["name"]

    def add_vm(self, record: dict[str, Any]) -> None:
        host = self.hostname(record)
        self.inventory.add_host(host)
        prefix = self.get_option("vars_prefix")
        variables = {f"{prefix}{k}": v for k, v in record.items()}
        for name, value in variables.items():
            self.inventory.set_variable(host, name, value)
        for group in default_groups(record):
            self.inventory.add_child(self.inventory.add_group(group), host)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)
