"""Attribute scenarios with the real PyMISP client: add one and a list,
duplicates, update, soft and hard delete, restore, checked through get_event."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from pymisp import MISPAttribute, MISPEvent, PyMISP

DUPLICATE = "A similar attribute already exists for this event."


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


def attribute(type_: str, value: str, **fields: Any) -> MISPAttribute:
    a = MISPAttribute()
    a.type = type_
    a.value = value
    for k, v in fields.items():
        setattr(a, k, v)
    return a


def live(admin: PyMISP, event: MISPEvent) -> dict[str, MISPAttribute]:
    """The event's attributes that are not deleted, by value."""
    ev = assert_ok(admin.get_event(event, pythonify=True))
    return {a.value: a for a in ev.attributes if not a.deleted}


@pytest.fixture
def event(admin: PyMISP) -> Iterator[MISPEvent]:
    e = MISPEvent()
    e.info = f"PyMISP attributes {uuid.uuid4().hex[:8]}"
    e.distribution = 0
    created = assert_ok(admin.add_event(e, pythonify=True))
    yield created
    admin.delete_event(created)


def test_add_single_attribute(admin: PyMISP, event: MISPEvent) -> None:
    new = assert_ok(
        admin.add_attribute(event, attribute("ip-dst", "198.51.100.23", comment="c2"), pythonify=True)
    )
    assert isinstance(new, MISPAttribute)
    assert new.value == "198.51.100.23"
    assert new.category == "Network activity"
    assert new.to_ids is True
    assert int(new.event_id) == int(event.id)

    got = assert_ok(admin.get_attribute(new, pythonify=True))
    assert got.uuid == new.uuid and got.comment == "c2"
    assert admin.attribute_exists(new)

    values = live(admin, event)
    assert set(values) == {"198.51.100.23"}
    ev = admin.get_event(event, pythonify=True)
    assert ev.published is False
    assert int(ev.attribute_count) == 1


def test_add_list_of_attributes(admin: PyMISP, event: MISPEvent) -> None:
    result = admin.add_attribute(
        event,
        [
            attribute("domain", "one.example"),
            attribute("ip-dst", "not an ip"),
            attribute("url", "https://two.example/path"),
        ],
        pythonify=True,
    )
    assert isinstance(result, dict)
    assert [a.value for a in result["attributes"]] == ["one.example", "https://two.example/path"]
    assert result["errors"] == {"attribute_1": {"value": ["IP address has an invalid format."]}}
    assert set(live(admin, event)) == {"one.example", "https://two.example/path"}

    # A list of one answers one attribute, which PyMISP expects.
    single = admin.add_attribute(event, [attribute("hostname", "three.example")], pythonify=True)
    assert [a.value for a in single["attributes"]] == ["three.example"]


def test_duplicate_attribute_refused(admin: PyMISP, event: MISPEvent) -> None:
    assert_ok(admin.add_attribute(event, attribute("domain", "dup.example")))
    response = admin.add_attribute(event, attribute("domain", "DUP.example"))
    assert "errors" in response, response
    status, body = response["errors"]
    assert status == 403
    assert body["saved"] is False
    assert body["errors"] == {"value": [DUPLICATE]}
    assert list(live(admin, event)) == ["dup.example"]


def test_update_attribute(admin: PyMISP, event: MISPEvent) -> None:
    new = assert_ok(admin.add_attribute(event, attribute("ip-src", "192.0.2.10"), pythonify=True))
    fetched = assert_ok(admin.get_attribute(new, pythonify=True))
    fetched.value = "192.0.2.11"
    fetched.comment = "moved"
    fetched.to_ids = False
    updated = assert_ok(admin.update_attribute(fetched, pythonify=True))
    assert isinstance(updated, MISPAttribute)
    assert updated.value == "192.0.2.11"
    assert updated.comment == "moved"
    assert updated.to_ids is False
    assert updated.uuid == new.uuid

    values = live(admin, event)
    assert set(values) == {"192.0.2.11"}
    assert values["192.0.2.11"].comment == "moved"

    # Invalid new values are refused, nothing changes.
    fetched.value = "not an ip"
    response = admin.update_attribute(fetched)
    status, body = response["errors"]
    assert status == 403 and body["errors"] == {"value": ["IP address has an invalid format."]}
    assert set(live(admin, event)) == {"192.0.2.11"}


def test_delete_soft_restore_and_hard(admin: PyMISP, event: MISPEvent) -> None:
    soft = assert_ok(admin.add_attribute(event, attribute("domain", "soft.example"), pythonify=True))
    hard = assert_ok(admin.add_attribute(event, attribute("domain", "hard.example"), pythonify=True))

    assert admin.delete_attribute(soft) == {"message": "Attribute deleted."}
    assert set(live(admin, event)) == {"hard.example"}
    assert not admin.attribute_exists(soft)
    ev = admin.get_event(event, pythonify=True)
    assert int(ev.attribute_count) == 1

    restored = assert_ok(admin.restore_attribute(soft, pythonify=True))
    assert restored.deleted is False and restored.value == "soft.example"
    assert set(live(admin, event)) == {"soft.example", "hard.example"}

    assert admin.delete_attribute(hard, hard=True) == {"message": "Attribute deleted."}
    ev = admin.get_event(event, pythonify=True)
    assert [a.value for a in ev.attributes] == ["soft.example"], "a hard delete leaves nothing"
    assert int(ev.attribute_count) == 1
    response = admin.get_attribute(hard)
    assert response["errors"][0] == 404
