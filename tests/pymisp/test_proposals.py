"""Proposals (shadow attributes) with the real PyMISP client: propose a new
attribute, a change and a deletion; get and list them; accept and discard;
and PyMISP's fallback to a proposal when a user of another organisation adds,
updates or deletes an attribute of an event it does not own."""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from pymisp import MISPAttribute, MISPEvent, MISPOrganisation, MISPShadowAttribute, MISPUser, PyMISP


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


class Parties:
    """The organisation owning an event (one plain user) and another one
    whose plain user proposes; both users have MISP's default User role."""

    def __init__(self, admin: PyMISP, base_url: str) -> None:
        self.admin = admin
        self.orgs: list[MISPOrganisation] = []
        self.users: list[MISPUser] = []
        self.owner = connect(base_url, self._user(self._org("Owner")).authkey)
        self.proposer = connect(base_url, self._user(self._org("Proposer")).authkey)

    def _org(self, name: str) -> MISPOrganisation:
        o = MISPOrganisation()
        o.name = unique(name)
        created = assert_ok(self.admin.add_organisation(o, pythonify=True))
        self.orgs.append(created)
        return created

    def _user(self, org: MISPOrganisation) -> MISPUser:
        u = MISPUser()
        u.email = f"{unique('proposals')}@example.test"
        u.org_id = org.id
        u.role_id = 3
        created = assert_ok(self.admin.add_user(u, pythonify=True))
        self.users.append(created)
        return created

    def event(self) -> MISPEvent:
        """An event of the owner's, shared with the community, published."""
        e = MISPEvent()
        e.info = unique("PyMISP proposals")
        e.distribution = 1
        e.add_attribute("ip-dst", f"198.51.100.{uuid.uuid4().int % 250 + 1}", to_ids=True)
        e.add_attribute("domain", f"{uuid.uuid4().hex[:10]}.example")
        created = assert_ok(self.owner.add_event(e, pythonify=True))
        assert_ok(self.admin.publish(created))
        return created

    def cleanup(self, events: list[MISPEvent]) -> None:
        for e in events:
            self.admin.delete_event(e)
        for u in self.users:
            self.admin.delete_user(u)
        for o in self.orgs:
            self.admin.delete_organisation(o)


@pytest.fixture
def parties(admin: PyMISP, base_url: str) -> Iterator[tuple[Parties, MISPEvent]]:
    p = Parties(admin, base_url)
    event = p.event()
    yield p, event
    p.cleanup([event])


def test_propose_accept_and_discard(parties: tuple[Parties, MISPEvent]) -> None:
    p, event = parties
    ip, domain = event.attributes[0], event.attributes[1]

    # A new attribute.
    new = MISPAttribute()
    new.from_dict(type="ip-dst", value="5.2.3.4", category="Network activity")
    new_proposal = assert_ok(p.proposer.add_attribute_proposal(event.id, new, pythonify=True))
    assert isinstance(new_proposal, MISPShadowAttribute)
    assert new_proposal.value == "5.2.3.4"
    assert str(new_proposal.old_id) == "0"

    # A change: the proposal carries the attribute's UUID.
    change = assert_ok(p.proposer.update_attribute_proposal(ip.id, {"to_ids": False}, pythonify=True))
    assert change.to_ids is False
    assert change.uuid == ip.uuid
    assert change.value == ip.value

    # A deletion.
    deletion = assert_ok(p.proposer.delete_attribute_proposal(domain))
    assert deletion["saved"] is True
    assert deletion["success"] == "The proposal to delete the attribute has been saved"

    # Get and list.
    got = assert_ok(p.proposer.get_attribute_proposal(new_proposal, pythonify=True))
    assert got.uuid == new_proposal.uuid
    listed = assert_ok(p.owner.attribute_proposals(event, pythonify=True))
    assert len(listed) == 3
    assert {x.value for x in listed} == {"5.2.3.4", ip.value, domain.value}
    assert [x for x in listed if x.proposal_to_delete][0].uuid == domain.uuid
    everything = assert_ok(p.admin.attribute_proposals(pythonify=True))
    assert {x.id for x in listed} <= {x.id for x in everything}

    # The proposer may not accept on the owner's event.
    assert_error(p.proposer.accept_attribute_proposal(new_proposal), 403)

    # Accepting a new attribute adds it; the event is unpublished.
    accepted = assert_ok(p.owner.accept_attribute_proposal(new_proposal))
    assert accepted["message"] == "Proposal accepted."
    after = assert_ok(p.owner.get_event(event, pythonify=True))
    assert after.attributes[-1].value == "5.2.3.4"
    assert after.attributes[-1].uuid == new_proposal.uuid
    assert after.published is False
    assert int(after.timestamp.timestamp()) >= int(event.timestamp.timestamp())

    # Accepting a change applies it.
    accepted = assert_ok(p.owner.accept_attribute_proposal(change))
    assert accepted["message"] == "Proposed change accepted."
    assert assert_ok(p.owner.get_attribute(ip, pythonify=True)).to_ids is False

    # A discarded change changes nothing.
    again = assert_ok(p.proposer.update_attribute_proposal(ip.id, {"to_ids": True}, pythonify=True))
    discarded = assert_ok(p.proposer.discard_attribute_proposal(again))
    assert discarded["message"] == "Proposal discarded."
    assert assert_ok(p.owner.get_attribute(ip, pythonify=True)).to_ids is False

    # Accepting the deletion deletes the attribute.
    delete_proposal = [x for x in assert_ok(p.owner.attribute_proposals(event, pythonify=True)) if x.proposal_to_delete][0]
    accepted = assert_ok(p.owner.accept_attribute_proposal(delete_proposal))
    assert accepted["message"] == "Proposed change accepted."
    assert_error(p.owner.get_attribute(domain), 404)
    assert assert_ok(p.owner.attribute_proposals(event)) == []


def test_other_organisations_fall_back_to_proposals(parties: tuple[Parties, MISPEvent]) -> None:
    p, event = parties
    ip = event.attributes[0]

    # add_attribute on someone else's event lands as a proposal.
    extra = MISPAttribute()
    extra.from_dict(type="ip-dst", value="123.43.32.21")
    proposed = p.proposer.add_attribute(event.id, extra, pythonify=True)
    assert isinstance(proposed, MISPShadowAttribute), proposed
    proposed = p.proposer.add_attribute(event.id, {"type": "ip-dst", "value": "123.43.32.22"}, pythonify=True)
    assert isinstance(proposed, MISPShadowAttribute), proposed
    assert proposed.category == "Network activity"

    # update_attribute: with the fields to change, and with a whole attribute.
    proposed = p.proposer.update_attribute({"comment": "blah"}, ip.id, pythonify=True)
    assert isinstance(proposed, MISPShadowAttribute), proposed
    assert proposed.value == ip.value
    assert proposed.comment == "blah"
    assert proposed.uuid == ip.uuid
    whole = assert_ok(p.proposer.get_attribute(ip, pythonify=True))
    whole.comment = "from the whole attribute"
    proposed = p.proposer.update_attribute(whole, pythonify=True)
    assert isinstance(proposed, MISPShadowAttribute), proposed
    assert proposed.comment == "from the whole attribute"

    # delete_attribute.
    response = p.proposer.delete_attribute(event.attributes[1])
    assert response["success"], response

    # Nothing changed; everything waits for the owner.
    current = assert_ok(p.owner.get_event(event, pythonify=True))
    assert [a.value for a in current.attributes] == [a.value for a in event.attributes]
    assert current.attributes[0].comment == ip.comment
    assert len(assert_ok(p.owner.attribute_proposals(event))) == 5
