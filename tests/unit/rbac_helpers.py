"""Helpers of the RBAC tests: internal users with a password, clients logged in as them, permissions."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from tests.unit.inprocess import Api

USER_PASSWORD = "user-secret-1"


def add_user(api: Api, name: str, password: str = USER_PASSWORD) -> str:
    """An internal user added to the engine through ``POST /users`` (with vdc's ``password``)."""
    r = api.post("/users", f"<user><user_name>{name}@internal-authz</user_name>"
                           f"<domain><name>internal-authz</name></domain><password>{password}</password></user>")
    assert r.status_code == 201, r.text
    return ET.fromstring(r.content).attrib["id"]


def as_user(api: Api, name: str, password: str = USER_PASSWORD) -> Api:
    """A client of the same engine sending ``name``'s Basic credentials."""
    other = Api(api.client, api.engine)
    other.headers["Authorization"] = "Basic " + base64.b64encode(f"{name}@internal:{password}".encode()).decode()
    return other


def grant(api: Api, path: str, role: str, user_id: str | None = None, group_id: str | None = None) -> str:
    """Give ``role`` on the object at ``path`` (``""`` for System); the permission's id."""
    who = f"<user id='{user_id}'/>" if user_id else f"<group id='{group_id}'/>"
    r = api.post(f"{path}/permissions", f"<permission><role><name>{role}</name></role>{who}</permission>")
    assert r.status_code == 201, r.text
    return ET.fromstring(r.content).attrib["id"]


def vm(api: Api, name: str, cluster_id: str) -> str:
    return api.created("/vms", f"<vm><name>{name}</name><cluster id='{cluster_id}'/>"
                               "<template><name>Blank</name></template></vm>").attrib["id"]
