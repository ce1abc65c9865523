"""``/tags`` (the tree under the root tag) and the ``tags`` of VMs, hosts, templates, users and groups, with
``tag=`` in the search of each."""

from __future__ import annotations

from engine_api.commands import tags
from engine_api.rest.present import TOP
from engine_api.rest.resources import Collection

TAGGED = {"vms": "vm", "hosts": "host", "templates": "template", "users": "user", "groups": "group"}


def register(root: dict[str, Collection]) -> None:
    """Add ``/tags`` and the assigned tags to the tree (after the users and groups joined it)."""
    coll = Collection("tags", "tag", load=tags.load_tag,
                      list_items=lambda conn, parent, params: tags.list_tags(conn),
                      add=tags.add_tag, update=tags.update_tag, remove=tags.remove_tag)
    root[coll.name] = coll
    TOP[coll.type] = coll
    for name, kind in TAGGED.items():
        owner = root.get(name)
        if owner is None:
            continue
        list_items, load = tags.assigned_loaders(kind)
        add, remove = tags.assigned_commands(kind)
        owner.subs["tags"] = Collection("tags", "tag", load=load, list_items=list_items, add=add, remove=remove)
        owner.fields["tag"] = tags.search_field(kind)
