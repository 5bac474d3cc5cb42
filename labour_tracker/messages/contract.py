"""The Kafka contract as data: each aggregate's topics and message types, and the AsyncAPI document built from them.

`python -m labour_tracker.messages.contract` rewrites docs/asyncapi.json, docs/schemas/*.json and the generated
part of docs/kafka-contract.md from the code; `--check` changes nothing and exits 1 naming what is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from labour_tracker.domain import labour, notification, subscriber
from labour_tracker.messages import birthing_person
from labour_tracker.messages import subscriber as subscriber_messages
from labour_tracker.messages.commands import CommandType
from labour_tracker.messages.envelopes import RECENT_COMMANDS, CommandEnvelope, DeadLetter, EventEnvelope, Outcome
from labour_tracker.messages.live import LiveMessage
from labour_tracker.messages.notifications import (
    NotificationDelivery,
    NotificationReport,
    NotificationRequest,
    NotificationResend,
)
from labour_tracker.messages.retention import KEEP_FOREVER, LIVE_WINDOW, WORK_IN_FLIGHT

ROLES = ("commands", "events", "outcomes")  # each aggregate's topics: `{prefix}.{aggregate}.{role}`
T = TypeVar("T")


@dataclass(frozen=True)
class AggregateChannels:
    """One aggregate on Kafka: commands in; events and outcomes out; every topic keyed by the aggregate id."""

    name: str
    summary: str
    commands: Mapping[str, CommandType[Any]]  # command type -> payload schema, as the agent accepts them
    events: Mapping[str, type[Any]]  # event type -> the domain's event dataclass, dumped as the event's `data`
    personal: frozenset[str] = frozenset()  # event types whose data is sealed under the aggregate's key

    @property
    def topics(self) -> dict[str, str]:
        """Role -> topic suffix; the topic is `{prefix}.{suffix}`."""
        return {role: f"{self.name}.{role}" for role in ROLES}


# One entry per aggregate; a new aggregate's topics, messages, schemas and docs all follow from its entry.
AGGREGATES: tuple[AggregateChannels, ...] = (
    AggregateChannels(
        name="birthing_person",
        summary="A birthing person: registration, labours and contractions, subscription token and subscribers.",
        commands=birthing_person.COMMANDS,
        events=labour.EVENT_TYPES,
        personal=labour.PERSONAL_EVENT_TYPES,
    ),
    AggregateChannels(
        name="subscriber",
        summary="A subscriber: someone kept informed, the ways they want to be told, and whom they follow.",
        commands=subscriber_messages.COMMANDS,
        events=subscriber.EVENT_TYPES,
        personal=subscriber.PERSONAL_EVENT_TYPES,
    ),
)

LIVE = "birthing_person.live"
NOTIFICATION_EVENTS = "notification.events"  # what became of each notification, keyed by notification id
NOTIFICATION_SUMMARY = (
    "A notification: one per (trigger event, subscriber, channel), sent at most once; its outcome, keyed by its id."
)
# The notifier's internal topics: documented so that nothing on the broker is a mystery; only the service writes.
INTERNAL_TOPICS: tuple[tuple[str, type[Any], str, str], ...] = (
    (
        "notifications.requests",
        NotificationRequest,
        "the subscriber id",
        "Internal: tell one subscriber about one labour event (the notifier's first step).",
    ),
    (
        "notifications.destinations",
        NotificationDelivery,
        "a keyed digest (HMAC-SHA256 with the service's secret) of the phone number or email address",
        "Internal: one notification to count against the cap on messages to its destination an hour, before it is "
        "sent; only Labour Tracker writes here.",
    ),
    (
        "notifications.deliveries",
        NotificationDelivery,
        "the notification id",
        "Internal: one notification to send (the notifier's last step), or `withheld` by a cap and recorded as "
        "failed; only Labour Tracker writes here.",
    ),
    (
        "notifications.reports",
        NotificationReport,
        "the notification id",
        "Internal: what Twilio's signed delivery status callback reported on a sent SMS, for the sender that owns the "
        "notification's record to apply (delivered or undelivered, forward only); only Labour Tracker writes here.",
    ),
    (
        "notifications.resends",
        NotificationResend,
        "the notification id",
        "Internal: the person a failed notification is about asks for it to be sent again, for the sender that owns "
        "its record to take (the next resend only, at most 3) and ask the fan-out again on that channel, under the "
        "resend's own id; only Labour Tracker writes here.",
    ),
    (
        LIVE,
        LiveMessage,
        "the birthing person id",
        "Internal: what one accepted command changed of a person's labour, as the live streams (server-sent events) "
        "show it; every worker reads it all, from its end. It holds health data in clear, so it is kept an hour at "
        "most; only Labour Tracker writes or reads here.",
    ),
)
DEAD_LETTERS = "dead_letters"
DEFAULT_PREFIX = "labour_tracker"
# Bump the major version for any change an integrating system must adapt to, the minor one for additions.
CONTRACT_VERSION = "2.3.0"
REPLY_TO, CORRELATION_ID = "Faust-Ag-ReplyTo", "Faust-Ag-CorrelationId"
REPLIES = "replies"
KAFKA_BINDING = "0.5.0"
SCHEMA_REF = "#/components/schemas/"
OPENS_TO = "x-opens-to"  # a sealed event's schema: the schema of its data once opened
DIALECT = "https://json-schema.org/draft/2020-12/schema"

ROOT = Path(__file__).resolve().parents[2]
DOCS = Path("docs")
ASYNCAPI_FILE = DOCS / "asyncapi.json"
SCHEMAS_DIR = DOCS / "schemas"
MARKDOWN_FILE = DOCS / "kafka-contract.md"
BEGIN_GENERATED = "<!-- BEGIN GENERATED by `python -m labour_tracker.messages.contract`: do not edit by hand -->"
END_GENERATED = "<!-- END GENERATED -->"
REGENERATE = ".venv/bin/python -m labour_tracker.messages.contract"

DESCRIPTION = f"""\
Labour Tracker's commands, events, outcomes and dead letters on Kafka, for systems that integrate at topic level.
The operations are written from such a client's side: it sends commands and receives events, outcomes and dead
letters.

- **Topics**: `{{prefix}}.{{aggregate}}.commands`, `.events` and `.outcomes` per aggregate, and
  `{{prefix}}.dead_letters`. The prefix is the worker's `LABOUR_TRACKER_TOPIC_PREFIX` (default `{DEFAULT_PREFIX}`,
  as in the addresses here).
- **Keys and values**: the key is the aggregate id as UTF-8 bytes; the value is UTF-8 JSON. A command's key must
  equal its `aggregate_id`. Produce with Kafka's default (murmur2) partitioner: each aggregate's state lives on
  the partition its key hashes to.
- **Ordering**: an aggregate's commands are applied one at a time in partition order, and its events are
  published in order to one partition. An event's `version` is the aggregate's version after it: 1, 2, 3, …
  without gaps, so a consumer can tell a repeat (not above the last it applied) from a gap (more than one above).
- **At-least-once delivery**: any message may arrive more than once. Drop events whose `id` you have seen.
- **Idempotency**: a command's `id` is chosen by the client and a retry reuses it. A command id among the
  aggregate's last {RECENT_COMMANDS} commands is not applied again: it is answered with the same outcome. Event ids
  derive from the command id, so a command delivered twice never makes two different events.
- **Outcomes**: every command gets an outcome on its aggregate's outcomes topic, keyed like the command:
  `accepted` with the aggregate's new `version` and the `event_ids` it caused, or `rejected` with an `error`.
  Correlate by `command_id`.
- **Limits**: a command past one of a person's limits (contractions per labour, note size, notes per labour,
  updates per labour, subscribers, subscriptions) is rejected with a code naming it; one whose record or events
  would not fit in a Kafka message is rejected with `record_too_large` and parked on the dead-letter topic.
- **Dead letters**: a message that is not a usable command (not a JSON envelope, key missing or not its
  `aggregate_id`, unknown type, invalid `data`), or that failed with an internal error, is rejected on the
  outcomes topic (error kind `malformed` or `internal`) and parked on `{{prefix}}.{DEAD_LETTERS}` with the reason;
  the agent goes on. A dead letter names the message's place, size and SHA-256, and keeps at most the first 1,024
  characters of its key, never its value.
- **Sealed events**: the `data` of an event that says who someone is or how their labour goes (marked *sealed*
  below) is encrypted under a key of its aggregate's own, which only Labour Tracker holds: such an event carries
  it in `sealed` and has an empty `data`. Ids, types, versions and times stay in clear.
- **Erasure**: `birthing_person.erase` and `subscriber.erase` delete an aggregate: its last events are
  `birthing_person.erased` / `subscriber.erased`, and its key is deleted, so its sealed events can no longer be
  opened by anyone. A registration after it starts again at version 1. Commands, outcomes and the notifier's
  topics are kept a day; live messages (in clear) an hour at most; events and dead letters forever.
- **Synchronous reply**: a command with headers `{REPLY_TO}` (a topic the client consumes) and `{CORRELATION_ID}`
  is also answered on that topic, as Faust's request/reply does (`agent.ask`), if that topic exists and is not one
  of Labour Tracker's own; otherwise the command is parked with the reason `reply not sent: …`. Where Kafka has
  ACLs, the workers write only under the prefix: the reply topic must be one there.

The JSON Schemas (draft 2020-12) are generated from the service's pydantic models and domain event classes."""


def topic(prefix: str, suffix: str) -> str:
    return f"{prefix}.{suffix}"


def asyncapi_document(prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every topic under `prefix`; dump it with sorted keys to compare or commit."""
    schemas = _schemas(AGGREGATES)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {
        "outcome": _message(
            "Outcome",
            "What became of a command: accepted with the events it caused, or rejected with the error.",
            key=_key("The command's aggregate id; null if its message had no key and no usable envelope.", True),
            correlation=("$message.payload#/command_id", "The id of the command it answers."),
        ),
        "dead_letter": _message(
            "DeadLetter",
            "A message the agent could not take, parked with the reason.",
            key=_key("The key of the parked message; null if it had none.", True),
        ),
        "reply": _message(
            "Reply",
            f"Faust's ReqRepResponse: the answer to a command that named this topic in its `{REPLY_TO}` header.",
            key={"type": "null", "description": "Faust sends replies without a key."},
            correlation=("$message.payload#/correlation_id", f"The command's `{CORRELATION_ID}` header."),
        ),
    }
    for aggregate in AGGREGATES:
        command_ids, event_ids = [], []
        for name in sorted(aggregate.commands):
            command_ids.append(message_id("command", name))
            messages[command_ids[-1]] = _message(
                f"command.{name}",
                aggregate.commands[name].summary,
                name=name,
                key=_key("The aggregate id; must equal the payload's `aggregate_id`."),
                correlation=("$message.payload#/id", "The command id: its outcome carries it as `command_id`."),
                headers=True,
            )
        for name in sorted(aggregate.events):
            event_ids.append(message_id("event", name))
            messages[event_ids[-1]] = _message(
                f"event.{name}",
                _summary(aggregate.events[name]) or f"`{name}` happened to a {aggregate.name}.",
                name=name,
                key=_key("The aggregate id, equal to the payload's `aggregate_id`."),
                correlation=("$message.payload#/causation_id", "The id of the command that caused it."),
            )
        roles = {
            "commands": ("send", command_ids, f"Commands to a {aggregate.name}, applied in order per key."),
            "events": ("receive", event_ids, f"Everything that happened to each {aggregate.name}, in order per key."),
            "outcomes": ("receive", ["outcome"], f"The outcome of every command sent to a {aggregate.name}."),
        }
        for role, (action, ids, summary) in roles.items():
            channel_id = f"{aggregate.name}_{role}"
            channels[channel_id] = _channel(
                topic(prefix, aggregate.topics[role]),
                summary,
                ids,
                kept=KEEP_FOREVER if role == "events" else WORK_IN_FLIGHT,
            )
            operations[f"{action}_{channel_id}"] = _operation(action, channel_id, ids, summary)
            if role == "commands":
                operations[f"{action}_{channel_id}"]["reply"] = {
                    "address": {
                        "location": f"$message.header#/{REPLY_TO}",
                        "description": "Only when the command carries the header; the outcome is published anyway.",
                    },
                    "channel": {"$ref": f"#/channels/{REPLIES}"},
                    "messages": [{"$ref": f"#/channels/{REPLIES}/messages/reply"}],
                }
    event_ids = []
    for name in sorted(notification.EVENT_TYPES):
        event_ids.append(message_id("event", name))
        messages[event_ids[-1]] = _message(
            f"event.{name}",
            _summary(notification.EVENT_TYPES[name]),
            name=name,
            key=_key("The notification id, equal to the payload's `aggregate_id`."),
            correlation=("$message.payload#/causation_id", "The id of the labour event it tells about."),
        )
    channel_id = NOTIFICATION_EVENTS.replace(".", "_")
    channels[channel_id] = _channel(
        topic(prefix, NOTIFICATION_EVENTS), NOTIFICATION_SUMMARY, event_ids, kept=KEEP_FOREVER
    )
    operations[f"receive_{channel_id}"] = _operation("receive", channel_id, event_ids, NOTIFICATION_SUMMARY)
    for suffix, model, key, summary in INTERNAL_TOPICS:
        channel_id = suffix.replace(".", "_")
        shared = sum(each is model for _, each, _, _ in INTERNAL_TOPICS) > 1  # keyed otherwise on each topic
        internal_id = f"{model.__name__}.{channel_id}" if shared else model.__name__
        messages[internal_id] = _message(model.__name__, summary, key=_key(f"Keyed by {key}."))
        kept = LIVE_WINDOW if suffix == LIVE else WORK_IN_FLIGHT
        channels[channel_id] = _channel(topic(prefix, suffix), summary, [internal_id], kept=kept)
    summary = "Messages any agent could not take, with the reason; the agent goes on."
    channels[DEAD_LETTERS] = _channel(topic(prefix, DEAD_LETTERS), summary, ["dead_letter"], kept=KEEP_FOREVER)
    operations[f"receive_{DEAD_LETTERS}"] = _operation("receive", DEAD_LETTERS, ["dead_letter"], summary)
    channels[REPLIES] = _channel(None, f"The client's own reply topic, named in the `{REPLY_TO}` header.", ["reply"])
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Labour Tracker on Kafka", "version": CONTRACT_VERSION, "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The broker of `make run`; a deployment's is its LABOUR_TRACKER_KAFKA_BOOTSTRAP.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def message_id(role: str, type_name: str) -> str:
    """The AsyncAPI id of a command or event type's message: `labour.begin` -> `command_labour_begin`."""
    # Channel, operation and message ids are safest as [A-Za-z0-9_-]: AsyncAPI tools use them as identifiers.
    return f"{role}_{type_name.replace('.', '_')}"


def _key(description: str, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "description": description}


def _summary(cls: type[Any]) -> str:
    """The first line of a class's own docstring; dataclasses without one get a generated signature instead."""
    doc = (cls.__doc__ or "").strip()
    return "" if doc.startswith(f"{cls.__name__}(") else doc.splitlines()[0] if doc else ""


def _message(
    schema: str,
    summary: str,
    *,
    key: dict[str, Any],
    name: str | None = None,
    correlation: tuple[str, str] | None = None,
    headers: bool = False,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name or schema,
        "title": schema,
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": SCHEMA_REF + schema},
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
    }
    if correlation:
        message["correlationId"] = {"location": correlation[0], "description": correlation[1]}
    if headers:
        message["headers"] = {"$ref": SCHEMA_REF + "ReplyHeaders"}
    return message


def _channel(
    address: str | None, summary: str, message_ids: Sequence[str], *, kept: Mapping[str, str] | None = None
) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": address,
        "summary": summary,
        "messages": {each: {"$ref": f"#/components/messages/{each}"} for each in message_ids},
    }
    if kept:
        configuration = {name: int(value) for name, value in kept.items()}
        channel["bindings"] = {"kafka": {"topicConfiguration": configuration, "bindingVersion": KAFKA_BINDING}}
    return channel


def _operation(action: str, channel_id: str, message_ids: Sequence[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{each}"} for each in message_ids],
    }


def _schemas(aggregates: Sequence[AggregateChannels]) -> dict[str, Any]:
    """Every schema of the document, generated together so that shared ones (enums, ErrorBody) appear once."""
    # Commands are what a client writes (validation mode); the rest is what the service writes (serialization).
    models: list[tuple[str, JsonSchemaMode, type[Any]]] = [
        ("CommandEnvelope", "validation", CommandEnvelope),
        ("EventEnvelope", "serialization", EventEnvelope),
        ("Outcome", "serialization", Outcome),
        ("DeadLetter", "serialization", DeadLetter),
    ]
    commands = _merged("command", [each.commands for each in aggregates])
    events = _merged("event", [*(each.events for each in aggregates), notification.EVENT_TYPES])
    models += [(model.__name__, "serialization", model) for _, model, _, _ in INTERNAL_TOPICS]
    models += [(f"command.{name}", "validation", kind.payload) for name, kind in commands.items()]
    models += [(f"event.{name}", "serialization", cls) for name, cls in events.items()]
    refs, definitions = TypeAdapter.json_schemas(
        [(key, mode, TypeAdapter(cls)) for key, mode, cls in models], ref_template=SCHEMA_REF + "{model}"
    )
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    data = {key: refs[(key, mode)] for key, mode, _ in models}  # each a {"$ref": ...} to its model's schema
    for name, kind in commands.items():
        payload_required = bool(_resolve(schemas, data[f"command.{name}"]).get("required"))
        schemas[f"command.{name}"] = _typed(
            "CommandEnvelope", name, kind.summary, data[f"command.{name}"], data_required=payload_required
        )
    personal = frozenset().union(*(each.personal for each in aggregates))
    for name, cls in events.items():
        schemas[f"event.{name}"] = _typed("EventEnvelope", name, _summary(cls), data[f"event.{name}"])
        if name in personal:
            schemas[f"event.{name}"] = _sealed(schemas[f"event.{name}"], data[f"event.{name}"])
    schemas["ReplyHeaders"] = {
        "title": "ReplyHeaders",
        "description": "Optional Kafka headers asking for a synchronous reply, as Faust's request/reply sets them.",
        "type": "object",
        "properties": {
            REPLY_TO: {"type": "string", "description": "The topic to send the reply to."},
            CORRELATION_ID: {"type": "string", "description": "Copied into the reply's `correlation_id`."},
        },
    }
    schemas["Reply"] = {
        "title": "Reply",
        "description": "Faust's ReqRepResponse record, sent to the topic in the command's reply header.",
        "type": "object",
        "required": ["key", "value", "correlation_id"],
        "properties": {
            "key": {"type": ["string", "null"], "description": "The command message's key."},
            "value": {
                "type": "object",
                "required": ["outcome", "state"],
                "additionalProperties": False,
                "properties": {
                    "outcome": {"$ref": SCHEMA_REF + "Outcome"},
                    "state": {
                        "type": ["object", "null"],
                        "description": "The aggregate's state after an accepted command, else null; its shape is "
                        "the service's own and may change.",
                    },
                },
            },
            "correlation_id": {"type": ["string", "null"], "description": f"The command's `{CORRELATION_ID}`."},
            "__faust": {"type": "object", "description": 'Faust\'s record metadata: `{"ns": "@ReqRepResponse"}`.'},
        },
    }
    return schemas


def _merged(role: str, catalogues: Sequence[Mapping[str, T]]) -> dict[str, T]:
    """One catalogue of all aggregates' types; a type name means one thing across the whole contract."""
    merged: dict[str, T] = {}
    for catalogue in catalogues:
        if clash := sorted(set(catalogue) & set(merged)):
            raise ValueError(f"{role} types must be unique across aggregates: {clash}")
        merged.update(catalogue)
    return merged


def _resolve(schemas: Mapping[str, Any], ref: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = schemas[ref["$ref"].removeprefix(SCHEMA_REF)]
    return found


def _typed(
    envelope: str, type_name: str, summary: str, data: dict[str, Any], *, data_required: bool = True
) -> dict[str, Any]:
    """The envelope with `type` fixed and `data` given its own schema: one message type."""
    schema: dict[str, Any] = {
        "title": type_name,
        "allOf": [{"$ref": SCHEMA_REF + envelope}],
        "properties": {"type": {"const": type_name}, "data": data},
    }
    if summary:
        schema["description"] = summary
    if data_required:  # a command may leave `data` out only when no field of it is required
        schema["required"] = ["data"]
    return schema


def _sealed(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """A personal event's schema: its data sealed, `data` itself empty; what `sealed` opens to stays described."""
    sealed = {"type": "string", "description": "The data, sealed under the aggregate's key; `x-opens-to` once opened."}
    return schema | {
        "properties": {**schema["properties"], "data": {"type": "object", "maxProperties": 0}, "sealed": sealed},
        "required": ["data", "sealed"],
        OPENS_TO: data,
    }


def standalone_schemas(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each component schema as a self-contained JSON Schema 2020-12 document: what it refers to is in its `$defs`."""
    components: Mapping[str, Any] = document["components"]["schemas"]
    result: dict[str, dict[str, Any]] = {}
    for name, schema in components.items():
        needed: set[str] = set()
        pending = _refs(schema)
        while pending:
            each = pending.pop()
            if each not in needed:
                needed.add(each)
                pending |= _refs(components[each])
        standalone = {"$schema": DIALECT, **_local_refs(schema)}
        if needed:
            standalone["$defs"] = {each: _local_refs(components[each]) for each in sorted(needed)}
        result[name] = standalone
    return result


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].removeprefix(SCHEMA_REF)} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(_refs(each) for each in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(each) for each in value))
    return set()


def _local_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: each.replace(SCHEMA_REF, "#/$defs/", 1) if key == "$ref" else _local_refs(each)
            for key, each in value.items()
        }
    if isinstance(value, list):
        return [_local_refs(each) for each in value]
    return value


def markdown_tables(document: Mapping[str, Any]) -> str:
    """The generated part of docs/kafka-contract.md: each aggregate's topics, command types and event types."""
    schemas = document["components"]["schemas"]
    lines = [
        f"A retry is recognised by its command id among each aggregate's last {RECENT_COMMANDS} commands; a message"
        " delivered again (after a worker died or a partition moved) is recognised by its offset, however old.",
        "",
    ]
    for aggregate in AGGREGATES:
        lines += [f"### `{aggregate.name}`", "", aggregate.summary, "", "| topic | key | value |", "|---|---|---|"]
        values = {"commands": "a command (types below)", "events": "an event (types below)", "outcomes": "an outcome"}
        for role, suffix in aggregate.topics.items():
            lines.append(f"| `{topic(DEFAULT_PREFIX, suffix)}` | the {aggregate.name} id | {values[role]} |")
        lines += ["", "| command type | meaning | `data` fields |", "|---|---|---|"]
        for name in sorted(aggregate.commands):
            fields = _fields(_resolve(schemas, schemas[f"command.{name}"]["properties"]["data"]))
            lines.append(f"| `{name}` | {aggregate.commands[name].summary} | {fields} |")
        lines += ["", "| event type | `data` fields | note |", "|---|---|---|"]
        for name in sorted(aggregate.events):
            event = schemas[f"event.{name}"]
            fields = _fields(_resolve(schemas, event.get(OPENS_TO) or event["properties"]["data"]))
            sealed = (
                "*sealed*" + (": " if _summary(aggregate.events[name]) else "") if name in aggregate.personal else ""
            )
            lines.append(f"| `{name}` | {fields} | {sealed}{_summary(aggregate.events[name])} |")
        lines.append("")
    lines += ["### `notification`", "", NOTIFICATION_SUMMARY, "", "| topic | key | value |", "|---|---|---|"]
    lines.append(f"| `{topic(DEFAULT_PREFIX, NOTIFICATION_EVENTS)}` | the notification id | an event (types below) |")
    for suffix, model, key, summary in INTERNAL_TOPICS:
        lines.append(f"| `{topic(DEFAULT_PREFIX, suffix)}` | {key} | `{model.__name__}`: {summary} |")
    lines += ["", "| event type | `data` fields | note |", "|---|---|---|"]
    for name in sorted(notification.EVENT_TYPES):
        fields = _fields(_resolve(schemas, schemas[f"event.{name}"]["properties"]["data"]))
        lines.append(f"| `{name}` | {fields} | {_summary(notification.EVENT_TYPES[name])} |")
    lines.append("")
    return "\n".join(lines)


def _fields(schema: Mapping[str, Any]) -> str:
    required = set(schema.get("required", ()))
    names = list(schema.get("properties", {}))
    text = ", ".join(f"`{each}`" for each in names if each in required)
    optional = ", ".join(f"`{each}`" for each in names if each not in required)
    return "; ".join(part for part in (text, optional and f"optional: {optional}") if part) or "none"


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_files(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file (path relative to `root`) with the text it must have."""
    document = asyncapi_document()
    files = {ASYNCAPI_FILE: _dump(document)}
    files |= {SCHEMAS_DIR / f"{name}.json": _dump(schema) for name, schema in standalone_schemas(document).items()}
    page = (root / MARKDOWN_FILE).read_text(encoding="utf-8")
    head, begin, rest = page.partition(BEGIN_GENERATED)
    _, end, tail = rest.partition(END_GENERATED)
    if not (begin and end):
        raise ValueError(f"{MARKDOWN_FILE} must keep the lines {BEGIN_GENERATED!r} and {END_GENERATED!r}")
    files[MARKDOWN_FILE] = f"{head}{BEGIN_GENERATED}\n\n{markdown_tables(document)}\n{END_GENERATED}{tail}"
    return files


def out_of_date(root: Path = ROOT) -> list[str]:
    """The generated files that differ from what the code generates or are missing, and stale schema files."""
    expected = generated_files(root)
    return [str(path) for path in _differing(root, expected)] + [
        f"{path} (no longer generated)" for path in _stale(root, expected)
    ]


def write(root: Path = ROOT) -> list[str]:
    """Bring every generated file up to date; returns what it changed."""
    expected = generated_files(root)
    differing, stale = _differing(root, expected), _stale(root, expected)
    for path in differing:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(expected[path], encoding="utf-8")
    for path in stale:
        (root / path).unlink()  # a schema no longer generated must not linger as if it were still the contract
    return [f"wrote {path}" for path in differing] + [f"removed {path}" for path in stale]


def _differing(root: Path, expected: Mapping[Path, str]) -> list[Path]:
    return sorted(
        path
        for path, text in expected.items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    )


def _stale(root: Path, expected: Mapping[Path, str]) -> list[Path]:
    return sorted({path.relative_to(root) for path in (root / SCHEMAS_DIR).glob("*.json")} - set(expected))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m labour_tracker.messages.contract", description="Regenerate the Kafka contract under docs/."
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this checkout)")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_date(args.root)
        for each in stale:
            print(f"out of date: {each}", file=sys.stderr)
        if stale:
            print(f"regenerate with: {REGENERATE}", file=sys.stderr)
        return 1 if stale else 0
    print("\n".join(write(args.root)) or "the contract under docs/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
