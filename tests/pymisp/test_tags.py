"""Tag scenarios with the real PyMISP client: tagging an event and an
attribute (global and local, with a relationship type), untagging, listing,
and managing tags (add, update, search, delete)."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from pymisp import MISPAttribute, MISPEvent, MISPTag, PyMISP


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


def tag_names(entity: Any) -> list[str]:
    return [t.name for t in entity.tags]


@pytest.fixture
def event(admin: PyMISP) -> Iterator[MISPEvent]:
    e = MISPEvent()
    e.info = unique("PyMISP tagging")
    e.distribution = 1
    e.add_attribute("ip-dst", "203.0.113.17", comment="tag me")
    created = assert_ok(admin.add_event(e, pythonify=True))
    assert isinstance(created, MISPEvent)
    yield created
    admin.delete_event(created)


def test_tag_and_untag_event_and_attribute(admin: PyMISP, event: MISPEvent) -> None:
    attribute = event.attributes[0]
    assert isinstance(attribute, MISPAttribute)
    local_name = unique("foo")

    r = assert_ok(admin.tag(event, "tlp:amber"))
    assert r["saved"] is True and r["success"] is True, r
    assert "successfully attached to Event" in r["message"] or "already has" in r["message"], r
    r = assert_ok(admin.tag(attribute, local_name, local=True, relationship_type="mentions"))
    assert r["message"].startswith(f"Local tag {local_name}("), r
    # Tagging again changes nothing and is not an error.
    r = assert_ok(admin.tag(event, "tlp:amber"))
    assert "already has the requested tag attached" in r["message"], r

    fetched = admin.get_event(event, pythonify=True)
    assert isinstance(fetched, MISPEvent)
    assert tag_names(fetched) == ["tlp:amber"]
    assert fetched.tags[0].local is False
    assert fetched.published is False
    attr = fetched.attributes[0]
    assert tag_names(attr) == [local_name]
    assert attr.tags[0].local is True
    assert attr.tags[0].relationship_type == "mentions"

    r = assert_ok(admin.untag(event, "tlp:amber"))
    assert r["message"].startswith("Global tag tlp:amber ("), r
    r = assert_ok(admin.untag(attribute, local_name))
    assert r["message"].startswith(f"Local tag {local_name} ("), r
    fetched = admin.get_event(event, pythonify=True)
    assert tag_names(fetched) == []
    assert tag_names(fetched.attributes[0]) == []

    # Untagging what is not there: MISP's 404.
    r = admin.untag(event, "tlp:amber")
    assert isinstance(r, dict) and r["errors"][0] == 404, r


def test_tags_list_add_update_search_delete(admin: PyMISP, event: MISPEvent) -> None:
    name = unique("cydef:test")
    tag = MISPTag()
    tag.name = name
    tag.colour = "#ff0000"
    created = assert_ok(admin.add_tag(tag, pythonify=True))
    assert isinstance(created, MISPTag)
    assert created.name == name and created.colour == "#ff0000"
    assert int(created.id) > 0

    listed = assert_ok(admin.tags(pythonify=True))
    mine = [t for t in listed if t.name == name]
    assert len(mine) == 1 and mine[0].id == created.id
    raw = [t for t in assert_ok(admin.tags()) if t["name"] == name][0]
    assert raw["count"] == 0 and raw["attribute_count"] == 0 and raw["favourite"] is False

    assert_ok(admin.tag(event, name))
    raw = [t for t in assert_ok(admin.tags()) if t["name"] == name][0]
    assert raw["count"] == 1, raw
    viewed = assert_ok(admin.get_tag(created, pythonify=True))
    assert viewed.name == name

    created.colour = "#00ff00"
    created.hide_tag = True
    updated = assert_ok(admin.update_tag(created, pythonify=True))
    assert updated.colour == "#00ff00" and updated.hide_tag is True and updated.name == name

    found = assert_ok(admin.search_tags(name[:12] + "%", pythonify=True))
    assert name in [t.name for t in found]
    strict = assert_ok(admin.search_tags(name, strict_tagname=True, pythonify=True))
    assert [t.name for t in strict] == [name]

    deleted = assert_ok(admin.delete_tag(created))
    assert deleted["message"] == "Tag deleted.", deleted
    assert name not in [t["name"] for t in assert_ok(admin.tags())]
    fetched = admin.get_event(event, pythonify=True)
    assert name not in tag_names(fetched)
    r = admin.get_tag(created)
    assert isinstance(r, dict) and r["errors"][0] == 404, r
