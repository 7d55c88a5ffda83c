"""Search scenarios with the real PyMISP client: ``search`` on attributes and
events (values, tags with AND/NOT, to_ids, published, timestamps, last,
limit/page) and ``search_index``; every answer is checked against what was
loaded. The server is shared with other test files, so every search is
narrowed to this module's own data (a unique marker in values, tags and
event infos)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from pymisp import MISPAttribute, MISPEvent, MISPObject, PyMISP

DAY = 86_400


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


@dataclass
class Seed:
    marker: str
    amber: str
    red: str
    c2: str
    alpha: MISPEvent
    beta: MISPEvent
    now: int

    def domain(self, name: str) -> str:
        return f"{name}.{self.marker}.example"


def _event(info: str, tags: list[str], published: bool, date: str, timestamp: int | None = None) -> MISPEvent:
    e = MISPEvent()
    e.info = info
    e.distribution = 1
    e.set_date(date)
    e.published = published
    for t in tags:
        e.add_tag(t)
    if timestamp is not None:
        e.timestamp = timestamp
    return e


@pytest.fixture(scope="module")
def seed(admin: PyMISP) -> Iterator[Seed]:
    marker = f"s{uuid.uuid4().hex[:10]}"
    now = int(time.time())
    amber, red, c2 = f"{marker}:amber", f"{marker}:red", f"{marker}:c2"
    s = Seed(marker, amber, red, c2, MISPEvent(), MISPEvent(), now)

    alpha = _event(f"Alpha {marker}", [amber], True, "2024-01-10")
    a = alpha.add_attribute("domain", s.domain("evil"), to_ids=True)
    a.add_tag(c2)
    alpha.add_attribute("domain", s.domain("benign"), to_ids=False)
    alpha.add_attribute("ip-dst|port", "203.0.113.9|443", to_ids=True)
    for i in range(4):
        alpha.add_attribute("domain", s.domain(f"bulk{i}"), to_ids=True)
    # PyMISP does not send the timestamps of new attributes: set one in the
    # document to have an attribute three days old.
    doc = json.loads(alpha.to_json())
    doc = doc.get("Event", doc)
    for attr in doc["Attribute"]:
        if attr["value"] == s.domain("evil"):
            attr["timestamp"] = str(now - 3 * DAY)
    s.alpha = assert_ok(admin.add_event({"Event": doc}, pythonify=True))

    beta = _event(f"Beta {marker}", [amber, red], False, "2024-02-10")
    beta.add_attribute("domain", s.domain("evil"), to_ids=True)
    beta.add_attribute("url", f"https://{s.domain('evil')}/x", to_ids=False)
    s.beta = assert_ok(admin.add_event(beta, pythonify=True))
    yield s
    admin.delete_event(s.alpha)
    admin.delete_event(s.beta)


def values(found: list[MISPAttribute]) -> list[str]:
    return sorted(a.value for a in found)


def test_attributes_by_value(admin: PyMISP, seed: Seed) -> None:
    found = assert_ok(admin.search(controller="attributes", value=seed.domain("evil"), pythonify=True))
    assert len(found) == 2
    assert all(isinstance(a, MISPAttribute) and a.value == seed.domain("evil") for a in found)
    # Each attribute carries its event, as MISP sends it.
    events = sorted(a.Event.info for a in found)
    assert events == [seed.alpha.info, seed.beta.info]
    assert {a.Event.uuid for a in found} == {seed.alpha.uuid, seed.beta.uuid}
    tagged = [a for a in found if int(a.event_id) == int(seed.alpha.id)][0]
    assert [t.name for t in tagged.tags] == [seed.c2]

    found = assert_ok(admin.search(controller="attributes", value=f"%.{seed.marker}.example", type_attribute="domain",
                                   pythonify=True))
    assert len(found) == 7
    # Composite values match either half.
    found = assert_ok(admin.search(controller="attributes", value="203.0.113.9", eventinfo=seed.marker, pythonify=True))
    assert values(found) == ["203.0.113.9|443"]
    # Raw JSON keeps MISP's envelope (PyMISP unwraps "response").
    raw = assert_ok(admin.search(controller="attributes", value=f"nothing.{seed.marker}.example"))
    assert raw == {"Attribute": []}


def test_to_ids_false_filters(admin: PyMISP, seed: Seed) -> None:
    off = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker, to_ids=0, pythonify=True))
    assert values(off) == [seed.domain("benign"), f"https://{seed.domain('evil')}/x"]
    on = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker, to_ids=1, pythonify=True))
    # Alpha's attributes but the benign domain, and beta's domain.
    assert len(on) == 7
    assert all(a.to_ids for a in on)


def test_events_by_tags_with_and_not(admin: PyMISP, seed: Seed) -> None:
    both = assert_ok(admin.search(tags=admin.build_complex_query(and_parameters=[seed.amber, seed.red]),
                                  pythonify=True))
    assert [e.uuid for e in both] == [seed.beta.uuid]
    only_amber = assert_ok(admin.search(tags=admin.build_complex_query(or_parameters=[seed.amber],
                                                                       not_parameters=[seed.red]),
                                        pythonify=True))
    assert [e.uuid for e in only_amber] == [seed.alpha.uuid]
    # An attribute's tag selects its event; the event comes with its attributes.
    by_attribute_tag = assert_ok(admin.search(tags=[seed.c2], pythonify=True))
    assert [e.uuid for e in by_attribute_tag] == [seed.alpha.uuid]
    assert len(by_attribute_tag[0].attributes) == 7
    # Negated list items.
    found = assert_ok(admin.search(tags=[seed.amber, f"!{seed.red}"], pythonify=True))
    assert [e.uuid for e in found] == [seed.alpha.uuid]
    # Attribute searches count event tags.
    attrs = assert_ok(admin.search(controller="attributes", tags=[seed.red], pythonify=True))
    assert values(attrs) == [seed.domain("evil"), f"https://{seed.domain('evil')}/x"]


def test_published_timestamps_and_last(admin: PyMISP, seed: Seed) -> None:
    published = assert_ok(admin.search(eventinfo=seed.marker, published=True, pythonify=True))
    assert [e.uuid for e in published] == [seed.alpha.uuid]
    unpublished = assert_ok(admin.search(eventinfo=seed.marker, published=False, pythonify=True))
    assert [e.uuid for e in unpublished] == [seed.beta.uuid]
    # The alpha event was published just now.
    recent = assert_ok(admin.search(eventinfo=seed.marker, last="1h", pythonify=True))
    assert [e.uuid for e in recent] == [seed.alpha.uuid]
    # Attribute timestamps: one was set three days back.
    window = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker, timestamp=("5d", "1d"),
                                    pythonify=True))
    assert values(window) == [seed.domain("evil")]
    epoch = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker,
                                   timestamp=(seed.now - 5 * DAY, seed.now - DAY), pythonify=True))
    assert values(epoch) == values(window)
    dates = assert_ok(admin.search(eventinfo=seed.marker, date_from="2024-02-01", date_to="2024-02-28",
                                   pythonify=True))
    assert [e.uuid for e in dates] == [seed.beta.uuid]


def test_limit_and_page(admin: PyMISP, seed: Seed) -> None:
    everything = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker, pythonify=True))
    assert len(everything) == 9
    paged: list[str] = []
    page = 1
    # Page until a short page, as most clients do.
    while True:
        chunk = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker, limit=4, page=page,
                                       pythonify=True))
        paged.extend(a.uuid for a in chunk)
        if len(chunk) < 4:
            break
        page += 1
    assert page == 3
    assert paged == [a.uuid for a in everything]
    past = assert_ok(admin.search(controller="attributes", eventinfo=seed.marker, limit=4, page=9,
                                  pythonify=True))
    assert past == []
    events_page = assert_ok(admin.search(eventinfo=seed.marker, limit=1, page=2, pythonify=True))
    assert [e.uuid for e in events_page] == [seed.beta.uuid]


def test_search_index(admin: PyMISP, seed: Seed) -> None:
    index = assert_ok(admin.search_index(eventinfo=seed.marker, pythonify=True))
    assert [e.uuid for e in index] == [seed.beta.uuid, seed.alpha.uuid]
    assert index[0].Orgc.name == index[0].Org.name
    # PyMISP keeps the index's EventTag list as it comes.
    assert sorted(t["Tag"]["name"] for t in index[0].EventTag) == sorted([seed.amber, seed.red])
    assert not index[0].attributes
    tagged = assert_ok(admin.search_index(tags=[seed.red], pythonify=True))
    assert [e.uuid for e in tagged] == [seed.beta.uuid]
    published = assert_ok(admin.search_index(eventinfo=seed.marker, published=True, pythonify=True))
    assert [e.uuid for e in published] == [seed.alpha.uuid]
    page2 = assert_ok(admin.search_index(eventinfo=seed.marker, limit=1, page=2, pythonify=True))
    assert [e.uuid for e in page2] == [seed.alpha.uuid]
    oldest_first = assert_ok(admin.search_index(eventinfo=seed.marker, sort="date", desc=False, pythonify=True))
    assert [e.uuid for e in oldest_first] == [seed.alpha.uuid, seed.beta.uuid]
    recent = assert_ok(admin.search_index(eventinfo=seed.marker, timestamp="1h", pythonify=True))
    assert len(recent) == 2
    assert len(assert_ok(admin.search_index(eventinfo=seed.marker, timestamp="2020-01-01", pythonify=True))) == 2
    none = assert_ok(admin.search_index(eventinfo=f"{seed.marker}-none", pythonify=True))
    assert none == []


def test_unsupported_format_is_a_clear_error(admin: PyMISP, seed: Seed) -> None:
    # The text exports are in test_export.py; STIX is not produced yet.
    r = admin.search(controller="attributes", value=seed.domain("evil"), return_format="stix2")
    assert isinstance(r, dict) and r["errors"][0] == 400
    assert "stix2" in r["errors"][1]["message"]


def test_objects_search(admin: PyMISP, seed: Seed) -> None:
    obj = MISPObject("domain-ip")
    obj.add_attribute("domain", value=seed.domain("object"))
    obj.add_attribute("ip", value="192.0.2.99")
    created = assert_ok(admin.add_object(seed.beta, obj, pythonify=True))
    try:
        found = assert_ok(admin.search(controller="objects", object_name="domain-ip", eventinfo=seed.marker,
                                       pythonify=True))
        assert [o.uuid for o in found] == [created.uuid]
        assert sorted(a.value for a in found[0].attributes) == ["192.0.2.99", seed.domain("object")]
        by_value = assert_ok(admin.search(controller="objects", value=seed.domain("object"), pythonify=True))
        assert [o.uuid for o in by_value] == [created.uuid]
        assert assert_ok(admin.search(controller="objects", value=f"none.{seed.marker}.example")) == []
    finally:
        admin.delete_object(created, hard=True)
