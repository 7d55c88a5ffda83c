"""Whole events with the real PyMISP client: add_event with attributes, an
object from a template and tags; get_event; update_event (PyMISP's edit loop:
change what was fetched and send it all back); publish; delete_event, after
which re-adding the same event is blocked."""

from __future__ import annotations

import uuid
from typing import Any

from pymisp import MISPEvent, MISPObject, PyMISP


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


def build_event() -> MISPEvent:
    event = MISPEvent()
    event.info = f"PyMISP events {uuid.uuid4().hex[:8]}"
    event.distribution = 1
    event.threat_level_id = 2
    event.analysis = 1
    event.add_tag("tlp:green")
    event.add_attribute("ip-dst", "203.0.113.10", comment="c2 server")
    event.add_attribute("domain", "bad.example", to_ids=False, Tag=[{"name": "kill-chain:delivery"}])
    obj = MISPObject("domain-ip")
    obj.add_attribute("domain", value="obj.example")
    obj.add_attribute("ip", value="203.0.113.11")
    event.add_object(obj)
    return event


def test_add_get_update_publish_delete(admin: PyMISP) -> None:
    sent = build_event()
    created = assert_ok(admin.add_event(sent, pythonify=True))
    assert isinstance(created, MISPEvent)
    assert created.uuid == sent.uuid
    assert created.info == sent.info

    got = assert_ok(admin.get_event(created, pythonify=True))
    assert {a.value for a in got.attributes} == {"203.0.113.10", "bad.example"}
    assert [t.name for t in got.tags] == ["tlp:green"]
    domain = next(a for a in got.attributes if a.value == "bad.example")
    assert [t.name for t in domain.tags] == ["kill-chain:delivery"]
    assert domain.to_ids is False
    assert len(got.objects) == 1
    assert got.objects[0].name == "domain-ip"
    assert {a.object_relation: a.value for a in got.objects[0].attributes} == {
        "domain": "obj.example",
        "ip": "203.0.113.11",
    }
    assert int(got.attribute_count) == 4
    before = got.timestamp

    # PyMISP's edit loop: change the fetched event and send it all back.
    # Only what was edited loses its timestamp; the rest is sent unchanged.
    got.info = got.info + " (edited)"
    ip = next(a for a in got.attributes if a.value == "203.0.113.10")
    ip.comment = "confirmed c2"
    got.add_attribute("url", "https://bad.example/payload")
    got.add_tag("tlp:amber")
    updated = assert_ok(admin.update_event(got, pythonify=True))
    assert updated.info.endswith("(edited)")
    assert updated.timestamp >= before
    assert {a.value: a.comment for a in updated.attributes} == {
        "203.0.113.10": "confirmed c2",
        "bad.example": "",
        "https://bad.example/payload": "",
    }
    assert sorted(t.name for t in updated.tags) == ["tlp:amber", "tlp:green"]
    assert int(updated.attribute_count) == 5
    assert len(updated.objects) == 1 and len(updated.objects[0].attributes) == 2

    # Sending the fetched copy again without changes: its timestamp is not
    # newer than the stored one, and MISP's guard refuses it.
    stale = assert_ok(admin.get_event(updated, pythonify=True))
    stale.force_timestamp = True
    response = admin.update_event(stale)
    assert "errors" in response, response
    status, body = response["errors"]
    assert status == 403
    assert "not newer than the local copy" in str(body["errors"])

    published = assert_ok(admin.publish(updated))
    assert published["message"].startswith("Event published")
    after = assert_ok(admin.get_event(updated, pythonify=True))
    assert after.published is True

    deleted = assert_ok(admin.delete_event(after))
    assert deleted["message"] == "Event deleted."
    again = admin.add_event(sent)
    assert "errors" in again, again
    status, body = again["errors"]
    assert status == 403
    assert "blocklist" in str(body["errors"]).lower()
