"""The Kafka contract in docs/ is what the code generates, names every type, and fits what the agents really send.

The messages checked come from the production command handlers, driven through a story with in-memory topics
and table: every command type, every event type, each kind of rejection, dead letters and Faust replies.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faust.agents.models import ReqRepResponse
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from labour_tracker.domain import labour, subscriber
from labour_tracker.engine.decider import Decider
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.messages import contract
from labour_tracker.messages.envelopes import CommandEnvelope, DeadLetter, EventEnvelope, Outcome
from labour_tracker.settings import Settings
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, handled_through, message
from tests.fakes.worker import built_worker, person_decider, subscriber_decider

ROOT = contract.ROOT
DOCUMENT: dict[str, Any] = json.loads((ROOT / contract.ASYNCAPI_FILE).read_text(encoding="utf-8"))
T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ALICE, BOB = "alice", "bob"

BIRTHING_PERSON = person_decider()
SUBSCRIBER = subscriber_decider()


def schema_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / contract.SCHEMAS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def errors(schema_name: str, message: Any) -> list[str]:
    """Why `message` does not fit the committed schema file `schema_name`; empty when it fits."""
    validator = Draft202012Validator(schema_file(schema_name), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(message)]


# The committed AsyncAPI document as one resource, so that its messages' payload $refs resolve inside it.
REGISTRY: Registry[Any] = Registry().with_resource("urn:asyncapi", Resource(DOCUMENT, DRAFT202012))


def channel_matches(channel: str, message: Any) -> list[str]:
    """The ids of the channel's messages whose payload schema `message` fits: AsyncAPI requires exactly one."""
    found = []
    for each in DOCUMENT["channels"][channel]["messages"]:
        payload = DOCUMENT["components"]["messages"][each]["payload"]["$ref"]
        if Draft202012Validator({"$ref": f"urn:asyncapi{payload}"}, registry=REGISTRY).is_valid(message):
            found.append(each)
    return found


# ---- A story told through the real handlers, with in-memory topics and table ------------------------------------


@dataclass
class Wire:
    """Everything one aggregate's handler was given and sent."""

    aggregate: Decider[Any, Any, Any]
    now: datetime = T0
    commands: list[tuple[str | None, bytes]] = field(default_factory=list)
    replies: list[bytes] = field(default_factory=list)
    events: MemoryTopic = field(default_factory=MemoryTopic)
    outcomes: MemoryTopic = field(default_factory=MemoryTopic)
    dead_letters: MemoryTopic = field(default_factory=MemoryTopic)
    table: MemoryTable = field(default_factory=MemoryTable)

    def handler(self, aggregate: Decider[Any, Any, Any] | None = None) -> CommandHandler[Any, Any, Any]:
        fakes: Any = (self.table, self.events, self.outcomes, self.dead_letters)
        return CommandHandler(aggregate or self.aggregate, *fakes, clock=lambda: self.now)

    async def raw(self, key: str | None, value: bytes, *, aggregate: Decider[Any, Any, Any] | None = None) -> None:
        """Hand one message to the handler as the agent does, and keep the reply Faust would send for it."""
        consumed = message(
            topic=f"x.{self.aggregate.name}.commands", offset=len(self.commands), timestamp=self.now.timestamp()
        )  # sent just now
        self.commands.append((key, value))
        reply = await handled_through(self.handler(aggregate), key, value, consumed)
        # What Agent._reply sends to the Faust-Ag-ReplyTo topic: a ReqRepResponse of the agent's answer.
        self.replies.append(ReqRepResponse(key=key, value=reply, correlation_id=f"r-{consumed.offset}").dumps())

    async def command(
        self,
        aggregate_id: str,
        type_name: str,
        data: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
        actor: str | None = None,
    ) -> None:
        self.now = at or self.now
        envelope: dict[str, Any] = {"id": f"c-{len(self.commands)}", "type": type_name, "aggregate_id": aggregate_id}
        if data is not None:
            envelope["data"] = data
        if actor is not None:
            envelope["actor"] = actor
        await self.raw(aggregate_id, json.dumps(envelope).encode())

    def good_commands(self) -> list[tuple[str | None, Any]]:
        return [(key, json.loads(value)) for key, value in self.commands if (key, value) not in BAD_COMMANDS.values()]


BEGIN = b'{"id": "c-begin", "type": "labour.begin", "aggregate_id": "alice", "data": {"first_labour": true}}'

# Messages the schemas must refuse, as the handler does (it answers each as malformed and parks it): key, value.
BAD_COMMANDS: dict[str, tuple[str | None, bytes]] = {
    "not JSON": (ALICE, b"not json"),
    "not an object": (ALICE, b"[]"),
    "no key and an empty object": (None, b"{}"),
    "no aggregate_id": (ALICE, b'{"id": "c-a", "type": "labour.begin", "data": {"first_labour": true}}'),
    "bad command id": (ALICE, b'{"id": "a b", "type": "labour.begin", "aggregate_id": "alice", "data": {}}'),
    "unknown type": (ALICE, b'{"id": "c-b", "type": "labour.begun", "aggregate_id": "alice", "data": {}}'),
    "key not the aggregate id": (BOB, BEGIN),
    "data without a required field": (
        ALICE,
        b'{"id": "c-c", "type": "contraction.end", "aggregate_id": "alice", "data": {}}',
    ),
    "no data where some is required": (ALICE, b'{"id": "c-d", "type": "labour.plan", "aggregate_id": "alice"}'),
    "unknown data field": (
        ALICE,
        b'{"id": "c-e", "type": "labour.complete", "aggregate_id": "alice", "data": {"x": 1}}',
    ),
    "unknown envelope field": (ALICE, b'{"id": "c-f", "type": "labour.complete", "aggregate_id": "alice", "x": 1}'),
    "data of the wrong type": (
        ALICE,
        b'{"id": "c-g", "type": "labour.begin", "aggregate_id": "alice", "data": {"first_labour": "perhaps"}}',
    ),
}


def buggy(*_: Any) -> Any:
    raise RuntimeError("a bug")


async def birthing_person_story() -> Wire:
    wire = Wire(BIRTHING_PERSON)
    await wire.command(ALICE, "birthing_person.register", {"first_name": "Alice", "last_name": "Moyo"})
    due = (T0 + 30 * 24 * 60 * MINUTE).date().isoformat()
    await wire.command(ALICE, "labour.plan", {"due_date": due, "first_labour": False, "name": "Little one"})
    await wire.command(ALICE, "labour.cancel_plan")
    await wire.command(ALICE, "labour.plan", {"due_date": due, "first_labour": True})
    await wire.command(ALICE, "labour.begin", {})  # the planned labour, a first one
    await wire.raw(*wire.commands[-1])  # redelivered: answered again, not applied again
    # An hour of 3-1-1 at intensity 7: the phase turns active after five, hospital is advised at the end.
    for number in range(21):
        start = T0 + number * 3 * MINUTE
        await wire.command(ALICE, "contraction.start", {"notes": "breathe"} if number == 0 else {}, at=start)
        await wire.command(ALICE, "contraction.end", {"intensity": 7}, at=start + MINUTE)
    start = T0 + 64 * MINUTE
    await wire.command(ALICE, "contraction.start", {"intensity": 8, "start_time": start.isoformat()}, at=start)
    await wire.command(ALICE, "contraction.end", {"intensity": 9}, at=start + 2.5 * MINUTE)  # over 2 min: urgent
    first = wire.table[ALICE].state.latest_labour.contractions[0].id
    fixed = start + 10 * MINUTE
    await wire.command(ALICE, "contraction.edit", {"contraction_id": first, "intensity": 6, "notes": ""}, at=fixed)
    await wire.command(ALICE, "contraction.delete", {"contraction_id": first}, at=fixed)
    await wire.command(ALICE, "contraction.undo", at=fixed)
    gap = T0 + 1.5 * MINUTE  # between the first two
    missed = {"start_time": gap.isoformat(), "end_time": (gap + MINUTE).isoformat(), "intensity": 4}
    await wire.command(ALICE, "contraction.add", missed, at=fixed)
    news = {"kind": "announcement", "message": "Off to the hospital"}
    await wire.command(ALICE, "labour.post_update", news, at=fixed)
    await wire.command(ALICE, "labour.post_update", {"moment": "arrived_at_hospital"}, at=fixed)  # too soon
    await wire.command(ALICE, "labour.post_update", {"kind": "private_note", "message": "scared"}, at=fixed)
    note = wire.table[ALICE].state.latest_labour.updates[-1].id
    await wire.command(ALICE, "labour.edit_update", {"update_id": note, "message": "calmer now"}, at=fixed)
    await wire.command(ALICE, "labour.delete_update", {"update_id": note}, at=fixed)
    await wire.command(ALICE, "labour.complete", {"notes": "Welcome, baby"}, at=start + 30 * MINUTE)
    await wire.command(ALICE, "birthing_person.rotate_subscription_token")  # no `data`: none of it is required
    wrong_token = {"subscriber_id": BOB, "token": "x" * 22}
    await wire.command(ALICE, "birthing_person.authorise_subscriber", wrong_token)  # refused: forbidden
    await wire.command(ALICE, "birthing_person.add_subscriber", {"subscriber_id": BOB})
    await wire.command(ALICE, "birthing_person.add_subscriber", {"subscriber_id": "eve", "token_version": 0})  # rotated
    await wire.command(ALICE, "birthing_person.remove_subscriber", {"subscriber_id": BOB})
    await wire.command(ALICE, "birthing_person.add_subscriber", {"subscriber_id": BOB})
    await wire.command(ALICE, "birthing_person.remove_follower", {"subscriber_id": BOB, "block": True})
    await wire.command(ALICE, "birthing_person.unblock_subscriber", {"subscriber_id": BOB})
    await wire.command(ALICE, "birthing_person.add_subscriber", {"subscriber_id": BOB})  # a follow request
    partner = {"subscriber_id": BOB, "role": "birth_partner"}
    await wire.command(ALICE, "birthing_person.approve_follow_request", partner)
    await wire.command(ALICE, "contraction.edit", {"contraction_id": first, "intensity": 5}, actor=BOB)  # for her
    friend = {"subscriber_id": BOB, "role": "friends_and_family"}
    await wire.command(ALICE, "birthing_person.change_follower_role", friend)
    await wire.command(ALICE, "contraction.undo", actor=BOB)  # refused: not a birth partner now
    await wire.command(ALICE, "birthing_person.add_subscriber", {"subscriber_id": "dan"})
    await wire.command(ALICE, "birthing_person.reject_follow_request", {"subscriber_id": "dan"})
    await wire.command(ALICE, "birthing_person.change_follower_settings", {"approve_followers_at_once": True})
    await wire.command(ALICE, "birthing_person.add_subscriber", {"subscriber_id": "dan"})  # a friend at once
    await wire.command("nobody", "labour.begin", {"first_labour": False})  # refused: nobody registered
    await wire.command("carol", "birthing_person.register", {"first_name": "Carol", "last_name": "Ade"})
    await wire.command("carol", "birthing_person.erase")
    await wire.command(ALICE, "labour.delete", {"labour_id": "an-old-labour"})
    for key, value in BAD_COMMANDS.values():
        await wire.raw(key, value)
    broken: Decider[Any, Any, Any] = Decider("birthing_person", BIRTHING_PERSON.commands, buggy, labour.evolve)
    await wire.raw(ALICE, BEGIN.replace(b"c-begin", b"c-bug"), aggregate=broken)  # a bug, not the command's fault
    return wire


async def subscriber_story() -> Wire:
    wire = Wire(SUBSCRIBER)
    bob = {"first_name": "Bob", "last_name": "Moyo", "phone_number": "+447700900123", "contact_methods": ["sms"]}
    await wire.command(BOB, "subscriber.register", bob | {"email": "bob@example.com"})
    await wire.command(BOB, "subscriber.update_contact_methods", {"contact_methods": ["sms"]})  # unchanged: no event
    await wire.command(BOB, "subscriber.update_contact_methods", {"contact_methods": ["sms", "email"]})
    asked = f"c-{len(wire.commands)}"  # the id the next command gets: its code is made from it
    await wire.command(BOB, "subscriber.request_confirmation_code", {"channel": "sms"})
    code = subscriber.confirmation_code(Settings().subscription_token_secret.encode(), BOB, asked)
    await wire.command(BOB, "subscriber.confirm_contact", {"channel": "sms", "code": code})
    await wire.command(BOB, "subscriber.subscribe_to", {"birthing_person_id": ALICE})
    by_email = {"birthing_person_id": ALICE, "contact_methods": ["email"]}
    await wire.command(BOB, "subscriber.set_subscription_contact_methods", by_email)
    await wire.command(BOB, "subscriber.unsubscribe_from", {"birthing_person_id": ALICE})
    await wire.command(BOB, "subscriber.subscribe_to", {"birthing_person_id": "carol", "contact_methods": ["sms"]})
    await wire.command(BOB, "subscriber.forget_birthing_person", {"birthing_person_id": "carol"})  # carol erased
    await wire.command(BOB, "subscriber.update_contact_methods", {"contact_methods": []})  # refused: none
    await wire.command(BOB, "subscriber.erase")
    return wire


@pytest.fixture(scope="module")
async def wires() -> dict[str, Wire]:
    # On the suite's loop: asyncio.run would close its own and leave later async tests with none.
    return {"birthing_person": await birthing_person_story(), "subscriber": await subscriber_story()}


# ---- (a) The committed docs are what the code generates ---------------------------------------------------------


def test_the_committed_contract_is_what_the_code_generates() -> None:
    stale = contract.out_of_date()
    assert stale == [], f"docs/ is out of date with the code ({', '.join(stale)}): run `{contract.REGENERATE}`"


def test_the_check_names_what_differs_and_regenerating_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / contract.DOCS, tmp_path / contract.DOCS)
    edited = tmp_path / contract.SCHEMAS_DIR / "Outcome.json"
    edited.write_text("{}\n", encoding="utf-8")
    (tmp_path / contract.SCHEMAS_DIR / "Gone.json").write_text("{}\n", encoding="utf-8")

    assert contract.main(["--check", "--root", str(tmp_path)]) == 1
    report = capsys.readouterr().err
    assert "docs/schemas/Outcome.json" in report
    assert "docs/schemas/Gone.json (no longer generated)" in report
    assert contract.REGENERATE in report

    assert contract.main(["--root", str(tmp_path)]) == 0
    assert contract.main(["--check", "--root", str(tmp_path)]) == 0
    assert not (tmp_path / contract.SCHEMAS_DIR / "Gone.json").exists()
    assert edited.read_text(encoding="utf-8") == (ROOT / contract.SCHEMAS_DIR / "Outcome.json").read_text("utf-8")


def test_the_topic_addresses_follow_the_prefix() -> None:
    def addresses(document: dict[str, Any]) -> list[str | None]:
        return [each["address"] for each in document["channels"].values()]

    expected = sorted(each and each.replace("labour_tracker.", "acme.", 1) for each in addresses(DOCUMENT) if each)
    assert sorted(each for each in addresses(contract.asyncapi_document("acme")) if each) == expected


# ---- (b) Every aggregate, type and topic is documented ----------------------------------------------------------


@pytest.mark.parametrize("aggregate", contract.AGGREGATES, ids=lambda each: each.name)
def test_every_command_and_event_type_is_in_the_document_and_on_the_page(
    aggregate: contract.AggregateChannels,
) -> None:
    page = (ROOT / contract.MARKDOWN_FILE).read_text(encoding="utf-8")
    assert f"`{aggregate.name}`" in page
    for role, types in (("command", aggregate.commands), ("event", aggregate.events)):
        channel = DOCUMENT["channels"][f"{aggregate.name}_{role}s"]["messages"]
        assert {DOCUMENT["components"]["messages"][each]["name"] for each in channel} == set(types)
        for name in types:
            assert f"`{name}`" in page, f"{name} is not on {contract.MARKDOWN_FILE}"
            assert (ROOT / contract.SCHEMAS_DIR / f"{role}.{name}.json").is_file()


def test_the_registry_holds_the_domain_events_and_the_agents_catalogues() -> None:
    registry = {each.name: each for each in contract.AGGREGATES}
    assert registry["birthing_person"].events is labour.EVENT_TYPES
    assert registry["subscriber"].events is subscriber.EVENT_TYPES
    for agent_aggregate in (BIRTHING_PERSON, SUBSCRIBER):
        assert registry[agent_aggregate.name].commands is agent_aggregate.commands, agent_aggregate.name


def test_every_topic_the_worker_declares_has_a_channel_and_every_channel_a_topic() -> None:
    app = built_worker().app
    declared = {each.get_topic_name(): each for each in app.declared_topics}
    channels = contract.asyncapi_document(app.settings.topic_prefix)["channels"].values()
    documented = {each["address"]: each for each in channels if each["address"] is not None}
    assert set(declared) == set(documented), f"give each aggregate an entry in {contract.__name__}.AGGREGATES"
    for name, declared_topic in declared.items():
        kept = documented[name].get("bindings", {}).get("kafka", {}).get("topicConfiguration", {})
        assert {key: int(value) for key, value in (declared_topic.config or {}).items()} == kept, name


def test_the_operations_are_a_clients_and_the_server_is_the_local_broker() -> None:
    operations = DOCUMENT["operations"]
    for aggregate in contract.AGGREGATES:
        send = operations[f"send_{aggregate.name}_commands"]
        assert send["action"] == "send"
        assert send["reply"]["address"]["location"] == "$message.header#/Faust-Ag-ReplyTo"
        for role in ("events", "outcomes"):
            assert operations[f"receive_{aggregate.name}_{role}"]["action"] == "receive"
    assert operations["receive_dead_letters"]["action"] == "receive"
    assert DOCUMENT["asyncapi"] == "3.0.0"
    assert (DOCUMENT["servers"]["local"]["host"], DOCUMENT["servers"]["local"]["protocol"]) == (
        "127.0.0.1:9092",
        "kafka",
    )


def test_every_schema_is_valid_json_schema_2020_12_and_has_its_file() -> None:
    for name, schema in DOCUMENT["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        Draft202012Validator.check_schema(schema_file(name))
    files = {path.stem for path in (ROOT / contract.SCHEMAS_DIR).glob("*.json")}
    assert files == set(DOCUMENT["components"]["schemas"])


# ---- (c) The committed schemas fit the messages really sent, and refuse bad ones --------------------------------


def test_the_story_sends_every_command_type_and_produces_every_event_type(wires: dict[str, Wire]) -> None:
    for aggregate in contract.AGGREGATES:
        wire = wires[aggregate.name]
        assert {each["type"] for _, each in wire.good_commands()} == set(aggregate.commands), "extend the story"
        assert {each["type"] for _, each in wire.events.json()} == set(aggregate.events), "extend the story"


def test_every_command_sent_fits_its_schema_and_no_other(wires: dict[str, Wire]) -> None:
    for name, wire in wires.items():
        for key, command in wire.good_commands():
            assert key == command["aggregate_id"]
            assert errors(f"command.{command['type']}", command) == []
            assert channel_matches(f"{name}_commands", command) == [contract.message_id("command", command["type"])]


def test_every_event_fits_its_schema_and_no_other_and_is_keyed_by_its_aggregate(wires: dict[str, Wire]) -> None:
    for name, wire in wires.items():
        for key, event in wire.events.json():
            assert key == event["aggregate_id"]
            assert errors(f"event.{event['type']}", event) == []
            assert channel_matches(f"{name}_events", event) == [contract.message_id("event", event["type"])]


def test_every_outcome_dead_letter_and_reply_fits_its_schema(wires: dict[str, Wire]) -> None:
    for name, wire in wires.items():
        assert len(wire.outcomes.sent) == len(wire.commands) == len(wire.replies)  # one answer per command
        for key, outcome in wire.outcomes.json():
            assert key == outcome["aggregate_id"]
            assert errors("Outcome", outcome) == []
            assert channel_matches(f"{name}_outcomes", outcome) == ["outcome"]
        for _, letter in wire.dead_letters.json():
            assert errors("DeadLetter", letter) == []
            assert channel_matches("dead_letters", letter) == ["dead_letter"]
        for reply in wire.replies:
            assert errors("Reply", json.loads(reply)) == []


def test_the_story_meets_each_kind_of_outcome(wires: dict[str, Wire]) -> None:
    outcomes = [each for wire in wires.values() for _, each in wire.outcomes.json()]
    kinds = {each["error"]["kind"] if each["error"] else each["status"] for each in outcomes}
    assert kinds >= {"accepted", "invalid", "forbidden", "not_found", "malformed", "internal"}
    letters = [each for wire in wires.values() for _, each in wire.dead_letters.json()]
    assert len(letters) == len(BAD_COMMANDS) + 1  # every bad command, and the bug
    assert any(each["key"] is None for each in letters)


def test_versions_rise_by_one_and_a_redelivered_command_is_answered_the_same_and_makes_no_new_event(
    wires: dict[str, Wire],
) -> None:
    wire = wires["birthing_person"]
    events = [each for key, each in wire.events.json() if key == ALICE]
    distinct = list({each["id"]: each for each in events}.values())
    assert [each["version"] for each in distinct] == list(range(1, len(distinct) + 1))
    begin = next(value for _, value in wire.commands if json.loads(value).get("type") == "labour.begin")
    redelivered = json.loads(begin)["id"]  # the first begin, sent twice
    answers = [each for _, each in wire.outcomes.json() if each["command_id"] == redelivered]
    assert len(answers) == 2 and answers[0] == answers[1]
    assert {each["id"] for each in events if each["causation_id"] == redelivered} == set(answers[0]["event_ids"])


@pytest.mark.parametrize("case", BAD_COMMANDS)
def test_a_command_the_handler_refuses_as_malformed_fits_no_command_schema(case: str, wires: dict[str, Wire]) -> None:
    wire = wires["birthing_person"]
    outcome = wire.outcomes.json()[wire.commands.index(BAD_COMMANDS[case])][1]  # one outcome per command, in order
    assert outcome["error"]["kind"] == "malformed"
    try:
        command = json.loads(BAD_COMMANDS[case][1])
    except json.JSONDecodeError:
        return  # not JSON: nothing for a schema to judge
    if case == "key not the aggregate id":  # the value is a good command; the page says the key must match
        assert channel_matches("birthing_person_commands", command) == ["command_labour_begin"]
    else:
        assert channel_matches("birthing_person_commands", command) == []


# schema, how to spoil a real message of it, and the service's model that must refuse it too (if any)
MUTATIONS: dict[str, tuple[str, Callable[[dict[str, Any]], object], type[Any] | None]] = {
    "event of another type": ("event.labour.begun", lambda m: m.update(type="labour.completed"), None),
    "event without version": ("event.labour.begun", lambda m: m.pop("version"), EventEnvelope),
    "event version 0": ("event.labour.begun", lambda m: m.update(version=0), EventEnvelope),
    "event data without a field": (
        "event.birthing_person.subscriber_added",
        lambda m: m["data"].pop("subscriber_id"),
        None,
    ),
    "personal data in clear": ("event.labour.phase_changed", lambda m: m["data"].update(to_phase="active"), None),
    "personal event unsealed": ("event.contraction.started", lambda m: m.update(sealed=None), None),
    "outcome of no status": ("Outcome", lambda m: m.update(status="maybe"), Outcome),
    "outcome without command_id": ("Outcome", lambda m: m.pop("command_id"), Outcome),
    "dead letter without reason": ("DeadLetter", lambda m: m.pop("reason"), DeadLetter),
    "command of another type": ("command.labour.begin", lambda m: m.update(type="labour.complete"), None),
    "command without id": ("command.labour.begin", lambda m: m.pop("id"), CommandEnvelope),
}


@pytest.mark.parametrize("case", MUTATIONS)
def test_a_real_message_spoilt_fits_no_longer(case: str, wires: dict[str, Wire]) -> None:
    schema, spoil, model = MUTATIONS[case]
    wire = wires["birthing_person"]
    sent = wire.good_commands() + wire.events.json() + wire.outcomes.json() + wire.dead_letters.json()
    spoilt = copy.deepcopy(next(each for _, each in sent if errors(schema, each) == []))
    spoil(spoilt)
    assert errors(schema, spoilt) != []
    if model is not None:
        with pytest.raises(ValueError):
            model.model_validate(spoilt)
