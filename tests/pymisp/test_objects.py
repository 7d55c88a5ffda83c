"""MISP objects with the real PyMISP client: object templates, objects in a
new event and added to an existing one, object references, edits, template
checks, and soft and hard deletes."""

from __future__ import annotations

import uuid
from typing import Any

from pymisp import MISPEvent, MISPObject, MISPObjectReference, PyMISP

DOMAIN_IP = "43b3b146-77eb-4931-b4cc-b66c60f28734"


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert isinstance(response, dict) and "errors" in response, response
    got_status, body = response["errors"]
    assert got_status == status, response
    return body


def domain_ip(domain: str, ip: str) -> MISPObject:
    obj = MISPObject("domain-ip")
    obj.add_attribute("domain", value=domain)
    obj.add_attribute("ip", value=ip, to_ids=True)
    return obj


def new_event(admin: PyMISP, *objects: MISPObject) -> MISPEvent:
    event = MISPEvent()
    event.info = f"PyMISP objects {uuid.uuid4().hex[:8]}"
    event.distribution = 0
    event.add_attribute("ip-dst", "192.0.2.200")
    for obj in objects:
        event.add_object(obj)
    return assert_ok(admin.add_event(event, pythonify=True))


def test_object_templates(admin: PyMISP) -> None:
    templates = assert_ok(admin.object_templates(pythonify=True))
    assert len(templates) >= 400
    names = {t.name for t in templates}
    assert {"domain-ip", "file", "url"} <= names
    template = assert_ok(admin.get_object_template(DOMAIN_IP, pythonify=True))
    assert template.name == "domain-ip"
    # PyMISP keeps only the ObjectTemplate part when it pythonifies.
    raw = assert_ok(admin.get_object_template(DOMAIN_IP))
    relations = {e["object_relation"]: e["type"] for e in raw["ObjectTemplateElement"]}
    assert relations["ip"] == "ip-dst" and relations["domain"] == "domain"
    assert_ok(admin.update_object_templates())


def test_objects_and_references(admin: PyMISP) -> None:
    first = domain_ip("example.com", "198.51.100.1")
    event = new_event(admin, first)
    try:
        assert len(event.objects) == 1
        stored_first = event.objects[0]
        assert stored_first.name == "domain-ip"
        assert stored_first.template_uuid == DOMAIN_IP
        assert len(stored_first.attributes) == 2
        assert int(event.attribute_count) == 3

        # add_object on the existing event.
        second = assert_ok(admin.add_object(event, domain_ip("example.org", "198.51.100.2"), pythonify=True))
        assert second.id and int(second.event_id) == int(event.id)
        assert {a.object_relation for a in second.attributes} == {"domain", "ip"}

        # References: object to object, object to attribute.
        ref = second.add_reference(stored_first.uuid, "related-to", "same campaign")
        stored_ref = assert_ok(admin.add_object_reference(ref, pythonify=True))
        assert isinstance(stored_ref, MISPObjectReference)
        assert int(stored_ref.referenced_type) == 1
        assert int(stored_ref.referenced_id) == int(stored_first.id)
        assert stored_ref.object_uuid == second.uuid
        attribute = event.attributes[0]
        ref2 = second.add_reference(attribute.uuid, "resolves-to")
        stored_ref2 = assert_ok(admin.add_object_reference(ref2, pythonify=True))
        assert int(stored_ref2.referenced_type) == 0
        assert int(stored_ref2.referenced_id) == int(attribute.id)

        fetched = assert_ok(admin.get_event(event, pythonify=True))
        assert len(fetched.objects) == 2
        by_uuid = {o.uuid: o for o in fetched.objects}
        refs = by_uuid[second.uuid].references
        assert {r.referenced_uuid for r in refs} == {stored_first.uuid, attribute.uuid}
        assert int(fetched.attribute_count) == 5
        assert fetched.published is False

        # get_object and object_exists.
        got = assert_ok(admin.get_object(second.id, pythonify=True))
        assert got.uuid == second.uuid
        assert admin.object_exists(second.uuid)

        # update_object: a comment and a changed value.
        got.comment = "updated by PyMISP"
        for a in got.attributes:
            if a.object_relation == "domain":
                a.value = "example.net"
        updated = assert_ok(admin.update_object(got, pythonify=True))
        assert updated.comment == "updated by PyMISP"
        assert {a.value for a in updated.attributes} == {"example.net", "198.51.100.2"}

        # Reference delete, soft then hard.
        deleted = assert_ok(admin.delete_object_reference(stored_ref2))
        assert deleted["message"] == "ObjectReference deleted"
        assert_ok(admin.delete_object_reference(stored_ref, hard=True))

        # Object delete: soft, then hard.
        soft = assert_ok(admin.delete_object(stored_first))
        assert soft["message"] == "Object deleted"
        fetched = assert_ok(admin.get_event(event, pythonify=True))
        # The event view leaves soft-deleted objects out, as MISP's does.
        assert [o.uuid for o in fetched.objects] == [second.uuid]
        assert int(fetched.attribute_count) == 3
        gone = assert_ok(admin.get_object(stored_first.id, pythonify=True))
        assert gone.deleted is True
        assert_ok(admin.delete_object(second, hard=True))
        assert not admin.object_exists(second.uuid)
        assert admin.object_exists(stored_first.uuid)
        fetched = assert_ok(admin.get_event(event, pythonify=True))
        assert fetched.objects == []
        assert int(fetched.attribute_count) == 1
    finally:
        admin.delete_event(event)


def test_objects_not_matching_their_template_are_refused(admin: PyMISP) -> None:
    event = new_event(admin)
    try:
        bad = MISPObject("domain-ip")
        bad.add_attribute("text", value="neither a domain nor an IP")
        body = assert_error(admin.add_object(event, bad), 403)
        assert "at least one of the following attributes" in body["errors"], body
        fetched = assert_ok(admin.get_event(event, pythonify=True))
        assert fetched.objects == []

        # The same object inside a whole event document refuses the event.
        doc = MISPEvent()
        doc.info = "refused with its object"
        doc.add_object(bad)
        body = assert_error(admin.add_event(doc), 403)
        assert "Object[0]" in body["errors"], body
        assert not admin.event_exists(doc.uuid)
    finally:
        admin.delete_event(event)
