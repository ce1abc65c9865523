"""The collection as users get it: ``ansible-galaxy collection build``, installed into an empty directory,
documented by ``ansible-doc`` from there: every module, every option, with examples."""

from __future__ import annotations

import json
import tarfile

import pytest
import yaml

from tests.quality.collection import BIN, ROOT, run, tool_env

# What the artifact may hold at its top (MANIFEST.json and FILES.json are the build's own).
SHIPPED = {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "meta", "plugins", "roles", "playbooks",
           "schemas", "tests"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("galaxy")
    env = tool_env(work / "home", ANSIBLE_COLLECTIONS_PATH=str(work / "collections"))
    built = run([BIN / "ansible-galaxy", "collection", "build", ROOT, "--output-path", work / "dist"], work, env)
    assert built.returncode == 0, built.stdout + built.stderr
    [artifact] = (work / "dist").glob("vdc-infra-*.tar.gz")
    done = run([BIN / "ansible-galaxy", "collection", "install", artifact, "-p", work / "collections"], work, env)
    assert done.returncode == 0, done.stdout + done.stderr
    return artifact, work / "collections" / "ansible_collections" / "vdc" / "infra", env, work


def test_the_artifact_is_the_collection_alone(installed):
    artifact, _, _, _ = installed
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    assert {n.split("/")[0] for n in names} <= SHIPPED
    assert {n for n in names if n.startswith("tests/") and not n.startswith("tests/sanity")} <= {"tests/config.yml"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/." in f"/{n}"]
    assert artifact.stat().st_size < 512 * 1024, f"{artifact.name} is {artifact.stat().st_size} bytes"


def test_every_module_is_documented_from_the_installed_artifact(installed):
    _, path, env, work = installed
    listed = run([BIN / "ansible-doc", "--json", "-l", "vdc.infra"], work, env)
    assert listed.returncode == 0, listed.stderr
    modules = sorted(json.loads(listed.stdout))
    assert sorted(p.stem for p in (path / "plugins" / "modules").glob("*.py")) == [m.split(".")[-1] for m in modules]
    docs, problems = _docs(modules, work, env)
    for name, doc in docs.items():
        problems += [f"{name}: option {o} has no description" for o in _undescribed(doc["doc"].get("options"))]
        examples = doc.get("examples") or ""
        if not isinstance(yaml.safe_load(examples), list) or f"{name}:" not in examples:
            problems.append(f"{name}: no example task uses it")
        if not doc.get("return") and not name.endswith("auth"):
            problems.append(f"{name}: no RETURN")
    assert problems == []


def _docs(modules, work, env):
    """Every module's documentation; one call, or one per module to name those that do not render."""
    whole = run([BIN / "ansible-doc", "--json", *modules], work, env)
    if whole.returncode == 0:
        return json.loads(whole.stdout), []
    docs, problems = {}, []
    for name in modules:
        one = run([BIN / "ansible-doc", "--json", name], work, env)
        if one.returncode == 0:
            docs.update(json.loads(one.stdout))
        else:
            problems.append(f"{name}: ansible-doc fails: {one.stderr.strip()}")
    return docs, problems


def _undescribed(options, prefix=""):
    for key, spec in (options or {}).items():
        if not spec.get("description"):
            yield prefix + key
        yield from _undescribed(spec.get("suboptions"), f"{prefix}{key}.")


def test_a_new_user_reads_the_vm_module_and_the_inventory_plugin(installed):
    _, path, env, work = installed
    vm = run([BIN / "ansible-doc", "vdc.infra.vm"], work, env)
    assert vm.returncode == 0, vm.stderr
    assert str(path) in vm.stdout  # documented from the installed artifact, not the checkout
    for text in ("memory", "cpu_cores", "disks", "exclusive", "auth", "EXAMPLES", "vdc.infra.vm:", "RETURN VALUES"):
        assert text in vm.stdout, text
    inventory = run([BIN / "ansible-doc", "-t", "inventory", "vdc.infra.engine"], work, env)
    assert inventory.returncode == 0, inventory.stderr
    assert "keyed_groups" in inventory.stdout and "plugin: vdc.infra.engine" in inventory.stdout
