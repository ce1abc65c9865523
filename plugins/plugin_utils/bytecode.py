"""The collection's Python code imported with a bytecode cache in the controller.

Ansible's collection loader compiles a module from its source at every import and keeps no bytecode, so each
``ansible-playbook`` run compiled the ~9,000 lines an engine module imports in the controller (~50 ms of its start).
:func:`install` puts a finder just before Ansible's collection finder (not first: whatever precedes Ansible's finder
keeps its place, as ansible-test's import check requires) that finds the modules of ``module_utils``, ``modules``
and ``plugin_utils`` of this copy of the collection at the same files, through Python's own source loader, which
reads and writes ``__pycache__`` as for any package (where the directory is writable; otherwise it compiles, as
before). Module names, files and code are the same; only the compiled form is kept. Everything else (the
collection's packages, routing, other collections, the module process's own imports) stays Ansible's.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib.machinery import ModuleSpec
from typing import Any

from ansible.utils.collection_loader import AnsibleCollectionConfig

PACKAGE = "ansible_collections.vdc.infra.plugins"
CACHED = frozenset({"module_utils", "modules", "plugin_utils"})
PLUGINS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CachedSourceFinder:
    """Finds this collection's Python modules (see the module docstring); ``None`` for every other name."""

    def __init__(self, plugins: str):
        self.plugins = plugins

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if not fullname.startswith(PACKAGE + "."):
            return None
        parts = fullname[len(PACKAGE) + 1:].split(".")
        if len(parts) < 2 or parts[0] not in CACHED:
            return None
        base = os.path.join(self.plugins, *parts)
        if os.path.isfile(base + ".py"):
            return importlib.util.spec_from_file_location(fullname, base + ".py")
        if os.path.isfile(os.path.join(base, "__init__.py")):
            return importlib.util.spec_from_file_location(fullname, os.path.join(base, "__init__.py"),
                                                          submodule_search_locations=[base])
        return None

    def invalidate_caches(self) -> None:
        pass


def install() -> None:
    """Put the finder just before Ansible's collection finder on ``sys.meta_path`` (once per process).

    Without Ansible's finder in the process (nothing imports a collection then) nothing is installed.
    """
    if any(isinstance(f, CachedSourceFinder) for f in sys.meta_path):
        return
    ansible_finder = AnsibleCollectionConfig.collection_finder
    if ansible_finder in sys.meta_path:
        sys.meta_path.insert(sys.meta_path.index(ansible_finder), CachedSourceFinder(PLUGINS))
