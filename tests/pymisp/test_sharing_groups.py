"""Sharing groups with the real PyMISP client: create, read, update, members
(organisations and the local server), existence checks, who may see and
change a group, delete."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from pymisp import MISPOrganisation, MISPSharingGroup, MISPUser, PyMISP

NO_PERMISSION = "You do not have permission to use this functionality."


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert isinstance(response, dict) and "errors" in response, response
    got_status, body = response["errors"]
    assert got_status == status, response
    return body


def connect(url: str, key: str) -> PyMISP:
    return PyMISP(url, key, ssl=False)


def make_org(admin: PyMISP) -> MISPOrganisation:
    o = MISPOrganisation()
    o.name = unique("SG Org")
    return assert_ok(admin.add_organisation(o, pythonify=True))


def make_user(admin: PyMISP, org: MISPOrganisation, role_id: int) -> MISPUser:
    u = MISPUser()
    u.email = f"{unique('sg')}@example.test"
    u.org_id = org.id
    u.role_id = role_id
    return assert_ok(admin.add_user(u, pythonify=True))


class Tenants:
    """Two organisations, each with an org admin (perm_sharing_group) and a
    plain user (without it)."""

    def __init__(self, admin: PyMISP, base_url: str) -> None:
        self.admin = admin
        self.org_a = make_org(admin)
        self.org_b = make_org(admin)
        self.users = [
            make_user(admin, self.org_a, 2),
            make_user(admin, self.org_a, 3),
            make_user(admin, self.org_b, 2),
        ]
        self.a_admin = connect(base_url, self.users[0].authkey)
        self.a_user = connect(base_url, self.users[1].authkey)
        self.b_admin = connect(base_url, self.users[2].authkey)

    def cleanup(self) -> None:
        for u in self.users:
            self.admin.delete_user(u)
        self.admin.delete_organisation(self.org_a)
        self.admin.delete_organisation(self.org_b)


@pytest.fixture
def tenants(admin: PyMISP, base_url: str) -> Iterator[Tenants]:
    t = Tenants(admin, base_url)
    yield t
    t.cleanup()


def new_group(name: str) -> MISPSharingGroup:
    sg = MISPSharingGroup()
    sg.name = name
    sg.releasability = "Testing"
    sg.description = "PyMISP scenario"
    return sg


def test_sharing_group_lifecycle(tenants: Tenants) -> None:
    a = tenants.a_admin
    name = unique("Testcases SG")
    sg = assert_ok(a.add_sharing_group(new_group(name), pythonify=True))
    assert isinstance(sg, MISPSharingGroup)
    assert sg.name == name
    assert sg.releasability == "Testing"
    assert int(sg.org_id) == int(tenants.org_a.id)
    # The creator organisation is a member that may extend the group.
    assert [(int(o.Organisation.id), o.extend) for o in sg.SharingGroupOrg] == [
        (int(tenants.org_a.id), True)
    ]

    # Read back: by id, by UUID, in the index, HEAD.
    assert a.get_sharing_group(sg.id, pythonify=True).name == name
    assert a.get_sharing_group(sg.uuid, pythonify=True).uuid == sg.uuid
    groups = assert_ok(a.sharing_groups(pythonify=True))
    assert [g.name for g in groups] == [name]
    assert a.sharing_group_exists(sg) is True
    assert a.sharing_group_exists(999999) is False

    # Members through the quick edits.
    r = assert_ok(a.add_org_to_sharing_group(sg, tenants.org_b.id, extend=True))
    assert r["name"] == "Organisation added to the sharing group.", r
    again = assert_error(a.add_org_to_sharing_group(sg, tenants.org_b.id), 403)
    assert again["errors"] == "Organisation is already in the sharing group.", again
    members = a.get_sharing_group(sg, pythonify=True).SharingGroupOrg
    assert sorted(int(m.Organisation.id) for m in members) == sorted(
        [int(tenants.org_a.id), int(tenants.org_b.id)]
    )
    r = assert_ok(a.remove_server_from_sharing_group(sg, 0))
    assert r["name"] == "Server removed from the sharing group.", r
    r = assert_ok(a.add_server_to_sharing_group(sg, 0, all_orgs=True))
    assert r["name"] == "Server added to the sharing group.", r
    view = assert_ok(a.get_sharing_group(sg))
    assert [(s["server_id"], s["all_orgs"]) for s in view["SharingGroupServer"]] == [("0", True)]
    assert view["SharingGroupServer"][0]["Server"]["name"] == "Local instance"

    # B, a member with extend, sees the group but may not edit it.
    assert tenants.b_admin.get_sharing_group(sg, pythonify=True).name == name
    body = assert_error(
        tenants.b_admin.update_sharing_group({"name": "Hijacked"}, sg.id), 403
    )
    assert body["message"] == "Action not allowed.", body
    r = assert_ok(tenants.b_admin.remove_org_from_sharing_group(sg, tenants.org_b.id))
    assert r["name"] == "Organisation removed from the sharing group.", r

    # The owner edits.
    updated = assert_ok(
        a.update_sharing_group({"releasability": "Changed"}, sg.id, pythonify=True)
    )
    assert updated.releasability == "Changed"
    assert updated.name == name

    # A plain user may not create or delete.
    body = assert_error(tenants.a_user.add_sharing_group(new_group(unique("No"))), 403)
    assert body["message"] == NO_PERMISSION, body
    body = assert_error(tenants.a_user.delete_sharing_group(sg), 403)
    assert body["message"] == NO_PERMISSION, body

    r = assert_ok(a.delete_sharing_group(sg))
    assert r["message"] == "SharingGroup deleted", r
    assert a.sharing_group_exists(sg) is False


def test_other_organisations_do_not_see_a_group(tenants: Tenants) -> None:
    sg = assert_ok(tenants.a_admin.add_sharing_group(new_group(unique("Private SG")), pythonify=True))
    try:
        b = tenants.b_admin
        assert assert_ok(b.sharing_groups()) == []
        body = assert_error(b.get_sharing_group(sg.id), 404)
        assert body["message"] == "Invalid sharing group", body
        assert b.sharing_group_exists(sg) is False
        body = assert_error(b.add_org_to_sharing_group(sg, tenants.org_b.id), 404)
        assert body["message"] == "Invalid sharing group or no editing rights.", body
        body = assert_error(b.delete_sharing_group(sg), 404)
        assert body["message"] == "Invalid sharing group", body
        # The site admin sees everything.
        names = [g.name for g in assert_ok(tenants.admin.sharing_groups(pythonify=True))]
        assert sg.name in names
    finally:
        assert_ok(tenants.a_admin.delete_sharing_group(sg))
