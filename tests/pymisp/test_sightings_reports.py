"""Sighting and event-report scenarios with the real PyMISP client:
add_sighting by id and by value, sightings(), search_sightings(),
delete_sighting; add, get, update, list and delete event reports."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from pymisp import MISPAttribute, MISPEvent, MISPEventReport, MISPSighting, PyMISP


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


@pytest.fixture
def event(admin: PyMISP) -> Iterator[MISPEvent]:
    e = MISPEvent()
    e.info = f"PyMISP sightings {uuid.uuid4().hex[:8]}"
    e.distribution = 1
    value = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    e.add_attribute("ip-dst", value)
    e.add_attribute("domain", f"{uuid.uuid4().hex[:10]}.example")
    created = assert_ok(admin.add_event(e, pythonify=True))
    assert admin.publish(created)
    yield created
    admin.delete_event(created)


def test_sightings(admin: PyMISP, event: MISPEvent) -> None:
    ip, domain = event.attributes[0], event.attributes[1]
    before = assert_ok(admin.get_event(event, pythonify=True))

    # By attribute id.
    s = MISPSighting()
    s.from_dict(source="sensor-1", type="0")
    added = assert_ok(admin.add_sighting(s, ip, pythonify=True))
    assert isinstance(added, MISPSighting)
    assert int(added.attribute_id) == int(ip.id)
    assert added.source == "sensor-1"

    # By value, as a false positive.
    added = assert_ok(admin.add_sighting({"value": domain.value, "type": "1"}, pythonify=True))
    assert int(added.attribute_id) == int(domain.id)
    assert str(added.type) == "1"

    # Listing per attribute and per event.
    on_ip = assert_ok(admin.sightings(ip, pythonify=True))
    assert [x.source for x in on_ip] == ["sensor-1"]
    on_event = assert_ok(admin.sightings(event))
    assert len(on_event) == 2

    # Search.
    found = assert_ok(admin.search_sightings(context="attribute", context_id=ip.id))
    assert len(found) == 1 and found[0]["Sighting"]["value"] == ip.value
    found = assert_ok(admin.search_sightings(context="event", context_id=event.id, type_sighting="1"))
    assert len(found) == 1 and int(found[0]["Sighting"]["attribute_id"]) == int(domain.id)
    found = assert_ok(
        admin.search_sightings(context="event", context_id=event.id, include_attribute=True, pythonify=True)
    )
    assert len(found) == 2
    assert {str(x["attribute"].value) for x in found} == {ip.value, domain.value}

    # Sightings leave the event published and its timestamp alone.
    after = assert_ok(admin.get_event(event, pythonify=True))
    assert after.published is True
    assert after.timestamp == before.timestamp

    # Delete.
    sighting_id = on_ip[0].id
    deleted = assert_ok(admin.delete_sighting(sighting_id))
    assert deleted["message"] == "Sighting successfully deleted."
    assert assert_ok(admin.sightings(ip)) == []
    again = admin.delete_sighting(sighting_id)
    assert again["errors"][0] == 404


def test_event_reports(admin: PyMISP, event: MISPEvent) -> None:
    report = MISPEventReport()
    report.name = "Initial analysis"
    report.content = "# Findings\nThe C2 is at @[attribute](" + event.attributes[0].uuid + ")"
    report.distribution = 5
    created = assert_ok(admin.add_event_report(event, report, pythonify=True))
    assert isinstance(created, MISPEventReport)
    assert created.name == "Initial analysis"
    assert int(created.event_id) == int(event.id)
    assert created.uuid

    got = assert_ok(admin.get_event_report(created, pythonify=True))
    assert got.content == report.content

    # Adding a report unpublished the event.
    assert assert_ok(admin.get_event(event, pythonify=True)).published is False

    got.content = "updated"
    updated = assert_ok(admin.update_event_report(got, pythonify=True))
    assert updated.content == "updated" and updated.name == "Initial analysis"

    listed = assert_ok(admin.get_event_reports(event.id, pythonify=True))
    assert [r.uuid for r in listed] == [created.uuid]

    view = assert_ok(admin.get_event(event, pythonify=True))
    assert [r.name for r in view.event_reports] == ["Initial analysis"]

    soft = assert_ok(admin.delete_event_report(created))
    assert soft["message"] == f"Event Report {created.uuid} soft deleted"
    assert assert_ok(admin.get_event_reports(event.id)) == []
    hard = assert_ok(admin.delete_event_report(created, hard=True))
    assert hard["message"] == f"Event Report {created.uuid} hard deleted"
    missing = admin.get_event_report(created)
    assert missing["errors"][0] == 404
