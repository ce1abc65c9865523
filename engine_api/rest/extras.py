"""Collections the real ``ovirt.ovirt`` modules read besides the core tree: mostly read-only, computed answers.

:func:`register` adds them to the tree of :mod:`engine_api.rest.root` (top-level collections in ``ROOT``,
sub-collections in the ``subs`` of existing collections). Nothing here writes to the store.
"""

from __future__ import annotations

from engine_api.rest.resources import Collection


def register(root: dict[str, Collection]) -> None:
    """Add the extra collections and sub-collections to the API tree."""
    # Blank (a template without a cluster) is in every data center: `name=Blank and datacenter=X` finds it.
    templates = root["templates"]
    field = templates.fields["datacenter"]
    templates.fields["datacenter"] = (field[0], field[1], True)
