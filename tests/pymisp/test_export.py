"""Export scenarios with the real PyMISP client: ``search`` with
``return_format`` ``csv``, ``text`` and ``suricata`` on attributes and events.
The CSV is read with Python's csv module (and PyMISP's own reader), the
Suricata rules with ``suricataparser``; every answer is checked against what
was loaded. The server is shared with other test files, so every search is
narrowed to this module's event."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from suricataparser import parse_rules

from pymisp import MISPEvent, PyMISP

HEADER = ["uuid", "event_id", "category", "type", "value", "comment", "to_ids", "date",
          "object_relation", "attribute_tag", "object_uuid", "object_name", "object_meta_category"]


def assert_ok(response: Any) -> Any:
    assert not (isinstance(response, dict) and "errors" in response), response
    return response


@dataclass
class Seed:
    marker: str
    event: MISPEvent
    nids_sid: int
    #: value -> (id, uuid, timestamp, to_ids), in id order
    attributes: dict[str, tuple[int, str, int, bool]]

    def domain(self, name: str) -> str:
        return f"{name}.{self.marker}.example"

    @property
    def amber(self) -> str:
        return f"{self.marker}:amber"

    @property
    def c2(self) -> str:
        return f"{self.marker}:c2"


@pytest.fixture(scope="module")
def seed(admin: PyMISP) -> Iterator[Seed]:
    marker = f"x{uuid.uuid4().hex[:10]}"
    e = MISPEvent()
    e.info = f"Export {marker}"
    e.distribution = 1
    e.threat_level_id = 2
    e.published = True
    e.set_date("2024-01-10")
    e.add_tag(f"{marker}:amber")
    e.add_attribute("ip-dst", "198.51.100.23", to_ids=True, comment='said "hi", twice')
    d = e.add_attribute("domain", f"evil.{marker}.example", to_ids=True)
    d.add_tag(f"{marker}:c2")
    e.add_attribute("url", f"http://evil.{marker}.example/path", to_ids=True)
    e.add_attribute("hostname", f"www.{marker}.example", to_ids=True)
    e.add_attribute("md5", uuid.uuid4().hex, to_ids=True)
    e.add_attribute("domain", f"benign.{marker}.example", to_ids=False)
    event = assert_ok(admin.add_event(e, pythonify=True))
    me = assert_ok(admin.get_user(pythonify=True))
    found = assert_ok(admin.search(controller="attributes", eventid=event.id, pythonify=True))
    attributes = {
        a.value: (int(a.id), a.uuid, int(a.timestamp.timestamp()), bool(a.to_ids))
        for a in sorted(found, key=lambda a: int(a.id))
    }
    assert len(attributes) == 6
    yield Seed(marker, event, int(me.nids_sid), attributes)
    admin.delete_event(event)


def test_csv(admin: PyMISP, seed: Seed) -> None:
    text = assert_ok(admin.search(controller="attributes", return_format="csv", eventid=seed.event.id))
    assert isinstance(text, str)
    # MISP's CSV ends with an empty line.
    assert text.endswith("\n\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    assert rows[-1] == []
    body = rows[1:-1]
    # Every attribute (CSV is not a detection format: to_ids or not), by id.
    assert [r[4] for r in body] == list(seed.attributes)
    ip_id, ip_uuid, ip_ts, _ = seed.attributes["198.51.100.23"]
    assert body[0] == [ip_uuid, str(seed.event.id), "Network activity", "ip-dst", "198.51.100.23",
                       'said "hi", twice', "1", str(ip_ts), "", "", "", "", ""]
    tagged = body[1]
    assert (tagged[3], tagged[9]) == ("domain", seed.c2)
    assert body[-1][6] == "0"
    # PyMISP's own reader of the CSV.
    as_dicts = assert_ok(admin.search(controller="attributes", return_format="csv", eventid=seed.event.id,
                                      pythonify=True))
    assert [d["value"] for d in as_dicts] == list(seed.attributes)
    assert as_dicts[0]["comment"] == 'said "hi", twice'
    # Chosen columns, with the event's context.
    text = assert_ok(admin.search(controller="attributes", return_format="csv", eventid=seed.event.id,
                                  type_attribute="md5", requested_attributes=["value", "type"],
                                  include_context=True))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["value", "type", "event_info", "event_member_org", "event_source_org",
                       "event_distribution", "event_threat_level_id", "event_analysis", "event_date",
                       "event_tag", "event_timestamp"]
    md5 = [v for v in seed.attributes if len(v) == 32][0]
    assert rows[1][:5] == [md5, "md5", seed.event.info, "ORGNAME", "ORGNAME"]
    assert rows[1][5:10] == ["1", "Medium", "0", "2024-01-10", seed.amber]
    # Nothing found: the header alone.
    text = assert_ok(admin.search(controller="attributes", return_format="csv",
                                  value=seed.domain("nothing")))
    assert text == ",".join(HEADER) + "\n\n"


def test_text(admin: PyMISP, seed: Seed) -> None:
    text = assert_ok(admin.search(controller="attributes", return_format="text", eventid=seed.event.id))
    # The to_ids values of the published event, one a line.
    expected = [v for v, (_, _, _, to_ids) in seed.attributes.items() if to_ids]
    assert text == "\n".join(expected) + "\n"
    # Events: the same values, for the matching events.
    text = assert_ok(admin.search(controller="events", return_format="text", value=seed.domain("evil")))
    assert text.splitlines() == expected
    text = assert_ok(admin.search(controller="attributes", return_format="text", eventid=seed.event.id,
                                  to_ids=0))
    assert text == seed.domain("benign") + "\n"


def sids(seed: Seed, value: str, count: int) -> list[int]:
    first = seed.nids_sid + seed.attributes[value][0] * 10 + 1
    return list(range(first, first + count))


def test_suricata(admin: PyMISP, seed: Seed) -> None:
    text = assert_ok(admin.search(controller="attributes", return_format="suricata", eventid=seed.event.id))
    assert text.startswith("# MISP export of IDS rules - optimized for suricata\n")
    rules = parse_rules(text)
    assert all(r.enabled and r.action == "alert" for r in rules)
    assert all(r.classtype == "trojan-activity" and r.rev == 1 for r in rules)
    eid = seed.event.id
    ip = "198.51.100.23"
    evil = seed.domain("evil")
    url = f"http://{evil}/path"
    host = seed.domain("www")
    by_sid = {r.sid: r for r in rules}
    assert len(by_sid) == len(rules) == 6
    expected = {
        sids(seed, ip, 1)[0]: ("ip $HOME_NET any -> 198.51.100.23 any", f"MISP e{eid} [] Outgoing To IP: {ip}"),
        sids(seed, evil, 2)[0]: ("dns any any -> any any", f"MISP e{eid} [{seed.c2}] Domain {evil}"),
        sids(seed, evil, 2)[1]: ("http $HOME_NET any -> $EXTERNAL_NET any",
                                 f"MISP e{eid} [{seed.c2}] Outgoing HTTP Domain {evil}"),
        sids(seed, url, 1)[0]: ("http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS",
                                f"MISP e{eid} [] Outgoing URL http|3a|//{evil}/path"),
        sids(seed, host, 2)[0]: ("dns any any -> any any", f"MISP e{eid} [] Hostname {host}"),
        sids(seed, host, 2)[1]: ("http $HOME_NET any -> $EXTERNAL_NET any",
                                 f"MISP e{eid} [] Outgoing HTTP Hostname {host}"),
    }
    assert {sid: (r.header, r.msg) for sid, r in by_sid.items()} == expected
    # The URL rule matches the host and the path.
    url_rule = by_sid[sids(seed, url, 1)[0]]
    contents = [o.value for o in url_rule.options if o.name == "content"]
    assert contents == [f'"{evil}"', '"/path"']
    # From the event: the event's tags follow the attribute's in messages.
    text = assert_ok(admin.search(controller="events", return_format="suricata", eventid=seed.event.id))
    rules = parse_rules(text)
    assert sorted(r.sid for r in rules) == sorted(by_sid)
    msgs = {r.sid: r.msg for r in rules}
    assert msgs[sids(seed, evil, 2)[0]] == f"MISP e{eid} [{seed.c2},{seed.amber}] Domain {evil}"
    assert msgs[sids(seed, ip, 1)[0]] == f"MISP e{eid} [{seed.amber}] Outgoing To IP: {ip}"
    # Nothing found: the comment block, no rule.
    text = assert_ok(admin.search(controller="attributes", return_format="suricata",
                                  value=seed.domain("nothing")))
    assert text.startswith("# MISP export of IDS rules")
    assert parse_rules(text) == []
