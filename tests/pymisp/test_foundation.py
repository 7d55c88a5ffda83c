"""Foundation scenarios with the real PyMISP client: connecting, the type
table, the current user, roles, organisations, users and API keys."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from pymisp import MISPOrganisation, MISPRole, MISPUser, PyMISP, PyMISPError

from conftest import ADMIN_EMAIL, ADMIN_KEY

MISP_ROLES = {
    1: "admin",
    2: "Org Admin",
    3: "User",
    4: "Publisher",
    5: "Sync user",
    6: "Read Only",
}
AUTH_FAILED = (
    "Authentication failed. Please make sure you pass the API key of an API "
    "enabled user along in the Authorization header."
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_ok(response: Any) -> Any:
    """A successful PyMISP answer: no `errors` key."""
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """PyMISP turns a 4xx JSON answer into {'errors': (status, body)}."""
    assert isinstance(response, dict) and "errors" in response, response
    got_status, body = response["errors"]
    assert got_status == status, response
    return body


def assert_deleted(response: Any, message: str) -> None:
    """MISP's success envelope for a deletion."""
    assert_ok(response)
    assert response["saved"] is True and response["success"] is True, response
    assert response["message"] == message, response


def connect(url: str, key: str) -> PyMISP:
    return PyMISP(url, key, ssl=False)


@pytest.fixture
def org(admin: PyMISP) -> Iterator[MISPOrganisation]:
    """A fresh organisation, deleted afterwards (its users must be gone by then)."""
    o = MISPOrganisation()
    o.name = unique("PyMISP Org")
    created = assert_ok(admin.add_organisation(o, pythonify=True))
    yield created
    admin.delete_organisation(created)


@pytest.fixture
def user(admin: PyMISP, org: MISPOrganisation) -> Iterator[MISPUser]:
    """A role-3 (User) account in `org`, with its first API key in `.authkey`."""
    u = MISPUser()
    u.email = f"{unique('user')}@example.test"
    u.org_id = org.id
    u.role_id = 3
    created = assert_ok(admin.add_user(u, pythonify=True))
    yield created
    admin.delete_user(created)


def find_key_id(admin: PyMISP, raw_key: str) -> str:
    keys = assert_ok(admin.direct_call("auth_keys/index"))
    assert isinstance(keys, list)
    matches = [
        k["AuthKey"]["id"]
        for k in keys
        if k["AuthKey"]["authkey_start"] == raw_key[:4]
        and k["AuthKey"]["authkey_end"] == raw_key[-4:]
    ]
    assert len(matches) == 1, (raw_key[:4], raw_key[-4:], keys)
    return matches[0]


# --- connecting ---------------------------------------------------------------


def test_connect_with_admin_key(base_url: str) -> None:
    misp = connect(base_url, ADMIN_KEY)
    version = misp.misp_instance_version
    assert re.fullmatch(r"\d+(\.\d+)+", version["version"]), version
    assert re.fullmatch(r"\d+(\.\d+)+", version["pymisp_recommended_version"]), version
    assert version["perm_sync"] is True
    assert misp._misp_version == tuple(int(p) for p in version["version"].split("."))
    # The constructor fetched the type table from the server.
    assert "ip-dst" in misp.types


def test_server_runs_on_requested_backend(cydef_server: Any, base_url: str) -> None:
    r = requests.get(f"{base_url}/health/ready", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": cydef_server.backend}


def test_describe_types_match_misp(admin: PyMISP, shared_data: Path) -> None:
    path = shared_data / "misp-core" / "describeTypes.json"
    assert path.is_file(), f"missing reference file {path}"
    expected = json.loads(path.read_text())["result"]
    remote = admin.describe_types_remote
    assert remote == expected
    assert len(remote["types"]) == len(expected["types"]) > 100


def test_get_user_me_is_admin(admin: PyMISP) -> None:
    me = assert_ok(admin.get_user())
    assert me["User"]["email"] == ADMIN_EMAIL
    assert int(me["User"]["role_id"]) == 1
    assert me["Role"]["perm_site_admin"] is True
    assert "UserSetting" in me and "Organisation" in me

    expanded = admin.get_user(pythonify=True, expanded=True)
    assert isinstance(expanded, tuple) and len(expanded) == 3
    user, role, settings = expanded
    assert isinstance(user, MISPUser)
    assert isinstance(role, MISPRole)
    assert isinstance(settings, list)
    assert user.email == ADMIN_EMAIL
    assert int(user.role_id) == 1
    assert role.name == "admin"
    assert role.perm_site_admin is True


def test_roles_are_misp_defaults(admin: PyMISP) -> None:
    roles = assert_ok(admin.roles(pythonify=True))
    by_id = {int(r.id): r for r in roles}
    assert {i: by_id[i].name for i in MISP_ROLES} == MISP_ROLES
    assert by_id[1].perm_site_admin is True
    assert by_id[2].perm_admin is True and by_id[2].perm_site_admin is False
    assert by_id[3].perm_publish is False and by_id[3].default_role is True
    assert by_id[4].perm_publish is True
    assert by_id[5].perm_sync is True
    assert by_id[6].perm_add is False and by_id[6].perm_auth is True


# --- organisations --------------------------------------------------------------


def test_organisation_lifecycle(admin: PyMISP) -> None:
    name = unique("Lifecycle Org")
    o = MISPOrganisation()
    o.name = name
    o.description = "before"
    created = assert_ok(admin.add_organisation(o, pythonify=True))
    assert isinstance(created, MISPOrganisation)
    try:
        assert created.name == name
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", created.uuid)
        org_id = int(created.id)

        by_id = assert_ok(admin.get_organisation(org_id, pythonify=True))
        assert (by_id.name, by_id.uuid, int(by_id.id)) == (name, created.uuid, org_id)
        by_uuid = assert_ok(admin.get_organisation(created.uuid, pythonify=True))
        assert (by_uuid.name, int(by_uuid.id)) == (name, org_id)
        raw = assert_ok(admin.get_organisation(org_id))
        assert raw["Organisation"]["description"] == "before"

        everything = assert_ok(admin.organisations(scope="all", pythonify=True))
        assert any(int(x.id) == org_id and x.name == name for x in everything)
        listed = assert_ok(admin.organisations(scope="all"))
        assert any(x["Organisation"]["uuid"] == created.uuid for x in listed)

        created.description = "after"
        assert_ok(admin.update_organisation(created))
        again = assert_ok(admin.get_organisation(org_id))
        assert again["Organisation"]["description"] == "after"
        assert again["Organisation"]["name"] == name
    finally:
        deleted = assert_ok(admin.delete_organisation(created))
    assert_deleted(deleted, "Organisation deleted")
    gone = admin.get_organisation(org_id)
    assert_error(gone, 404)


# --- users and keys ---------------------------------------------------------------


def test_add_user_and_connect_as_it(admin: PyMISP, base_url: str, org: MISPOrganisation, user: MISPUser) -> None:
    assert isinstance(user, MISPUser)
    assert int(user.org_id) == int(org.id)
    assert int(user.role_id) == 3
    assert isinstance(user.authkey, str) and len(user.authkey) == 40 and user.authkey.isalnum()

    as_user = connect(base_url, user.authkey)
    me = assert_ok(as_user.get_user())
    assert me["User"]["email"] == user.email
    assert int(me["User"]["id"]) == int(user.id)
    assert me["Role"]["name"] == "User"
    assert me["Organisation"]["name"] == org.name
    assert as_user.misp_instance_version["perm_sync"] is False


def test_plain_user_cannot_add_organisation(admin: PyMISP, base_url: str, user: MISPUser) -> None:
    as_user = connect(base_url, user.authkey)
    o = MISPOrganisation()
    o.name = unique("Forbidden Org")
    body = assert_error(as_user.add_organisation(o), 403)
    assert body["message"], body
    assert body["url"] == "/admin/organisations/add", body
    # Nothing was created.
    names = [x["Organisation"]["name"] for x in assert_ok(admin.organisations(scope="all"))]
    assert o.name not in names


def test_new_authkey_then_revoke(admin: PyMISP, base_url: str, user: MISPUser) -> None:
    key = admin.get_new_authkey(user)
    assert isinstance(key, str) and len(key) == 40 and key.isalnum()
    assert key != user.authkey

    as_user = connect(base_url, key)
    assert assert_ok(as_user.get_user())["User"]["email"] == user.email

    key_id = find_key_id(admin, key)
    deleted = assert_ok(admin.direct_call(f"auth_keys/delete/{key_id}", {}))
    assert_deleted(deleted, "AuthKey deleted.")

    with pytest.raises(PyMISPError):
        connect(base_url, key)
    # The user's first key is untouched.
    assert assert_ok(connect(base_url, user.authkey).get_user())["User"]["email"] == user.email


def test_wrong_key_is_rejected(base_url: str) -> None:
    wrong = "x" * 40
    with pytest.raises(PyMISPError):
        connect(base_url, wrong)

    r = requests.get(
        f"{base_url}/users/view/me",
        headers={"Authorization": wrong, "Accept": "application/json", "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 403
    body = r.json()
    assert set(body) >= {"name", "message", "url"}, body
    assert body["message"] == AUTH_FAILED
    assert body["name"] == AUTH_FAILED
    assert body["url"] == "/users/view/me"


def test_duplicate_email_is_rejected(admin: PyMISP, org: MISPOrganisation, user: MISPUser) -> None:
    dup = MISPUser()
    dup.email = user.email
    dup.org_id = org.id
    dup.role_id = 3
    body = assert_error(admin.add_user(dup), 403)
    assert body["saved"] is False, body
    assert body["message"] == "Could not add User", body
    assert body["errors"] == {"email": ["An account with this email address already exists."]}, body
    users = assert_ok(admin.users(organisation=int(org.id)))
    assert [u["User"]["email"] for u in users].count(user.email) == 1


def test_add_user_with_unknown_org_is_rejected(admin: PyMISP) -> None:
    u = MISPUser()
    u.email = f"{unique('orphan')}@example.test"
    u.org_id = 987654321
    u.role_id = 3
    body = assert_error(admin.add_user(u), 403)
    assert body["saved"] is False, body
    assert body["message"] == "Could not add User", body
    assert body["errors"] == ["Invalid organisation"], body
    emails = [x["User"]["email"] for x in assert_ok(admin.users())]
    assert u.email not in emails


def test_delete_user_then_organisation(admin: PyMISP, base_url: str) -> None:
    o = MISPOrganisation()
    o.name = unique("Doomed Org")
    org = assert_ok(admin.add_organisation(o, pythonify=True))
    u = MISPUser()
    u.email = f"{unique('doomed')}@example.test"
    u.org_id = org.id
    u.role_id = 3
    user = assert_ok(admin.add_user(u, pythonify=True))

    # The organisation still has a user: it cannot go first.
    refused = assert_error(admin.delete_organisation(org), 403)
    assert refused["saved"] is False, refused
    assert refused["message"] == "Could not delete Organisation", refused

    deleted = assert_ok(admin.delete_user(user))
    assert_deleted(deleted, "User deleted.")
    assert_error(admin.get_user(int(user.id)), 404)
    with pytest.raises(PyMISPError):
        connect(base_url, user.authkey)

    deleted = assert_ok(admin.delete_organisation(org))
    assert_deleted(deleted, "Organisation deleted")
    assert_error(admin.get_organisation(int(org.id)), 404)
    names = [x["Organisation"]["name"] for x in assert_ok(admin.organisations(scope="all"))]
    assert org.name not in names
