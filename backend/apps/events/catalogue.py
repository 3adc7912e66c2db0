"""The event catalogue, generated from the registry: receivers' JSON, `docs/events.md`, OpenAPI webhooks.

`manage.py events_catalogue` writes the first two into the repository; a test fails when the
committed files differ from a fresh generation. The OpenAPI `webhooks` are added to the
backend's schema when it is rendered (`apps.events.openapi`).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model

from apps.events.subscriptions import event_subscriptions
from apps.events.types import BACKEND, REGISTRY, EventType, EventTypeSpec, data_json_schema, published_schema

COMMAND = "manage.py events_catalogue"
OPENAPI_REF = "#/components/schemas/{model}"


def hubkit_json_path() -> Path:
    return Path(settings.REPO_ROOT) / "services" / "hubkit" / "src" / "hubkit" / "event_types.json"


def docs_path() -> Path:
    return Path(settings.REPO_ROOT) / "docs" / "events.md"


class EventActor(BaseModel):
    """Who caused the event: a user, or a service (`hub-backend` itself when no principal acted)."""

    type: Literal["user", "service"]
    id: str


class EventEnvelope(BaseModel):
    """What every delivery's body holds; `type` and `subject.type` are fixed per event type."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="The event's id; also the `webhook-id` header: deduplicate by it")
    version: Literal[1]
    occurred_at: AwareDatetime = Field(description="UTC, ISO 8601")
    organization_id: uuid.UUID = Field(description="The tenant the event belongs to")
    actor: EventActor
    correlation_id: str | None = Field(
        description="The request id of the change (also sent as `X-Request-ID`); null when none"
    )


def _model_name(spec: EventTypeSpec) -> str:
    """contact.created -> ContactCreatedEvent"""
    return "".join(part.capitalize() for part in spec.name.value.replace(".", "_").split("_")) + "Event"


def envelope_model(spec: EventTypeSpec) -> type[BaseModel]:
    """The envelope of one event type, with its `type`, `subject.type` and `data` model."""
    # Literal of a value known at run time: built through Any, as type checkers allow only literals.
    literal: Any = Literal
    subject: type[BaseModel] = create_model(
        _model_name(spec).removesuffix("Event") + "Subject",
        type=(literal[spec.subject_type], ...),
        id=(str, ...),
    )
    model: type[BaseModel] = create_model(
        _model_name(spec),
        __base__=EventEnvelope,
        __doc__=spec.description,
        type=(literal[spec.name.value], ...),
        subject=(subject, ...),
        data=(spec.data, ...),
    )
    return model


# Receivers ----------------------------------------------------------------------------------


def catalogue_json() -> str:
    """The hubkit data file: names, descriptions and each type's `data` schema."""
    types = {
        name: {
            "description": spec.description,
            "subject_type": spec.subject_type,
            "publisher": spec.publisher,
            "published": spec.published,
            "service": spec.service,
            "data_schema": data_json_schema(spec),
        }
        for name, spec in sorted(REGISTRY.items())
    }
    document = {"generated_by": f"backend: {COMMAND} (from apps/events/types.py)", "types": types}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# OpenAPI webhooks ---------------------------------------------------------------------------

_SIGNATURE_HEADERS = (
    ("webhook-id", "The event id (the same on every attempt): deduplicate by it."),
    ("webhook-timestamp", "Unix seconds when this attempt was signed; refuse one too far from now."),
    (
        "webhook-signature",
        (
            "Space-separated `v1,<base64 HMAC-SHA256>` signatures of"
            " `{webhook-id}.{webhook-timestamp}.{body}`, one per current secret (several during a"
            " rotation); accept if any matches one of yours."
        ),
    ),
)


def publisher_text(spec: EventTypeSpec) -> str:
    """Who sends a type: `backend (core)`, `identity-service (invitations)`."""
    return f"{spec.service} ({spec.publisher})"


def _webhook_operation(spec: EventTypeSpec, ref: str) -> dict[str, Any]:
    status = "" if spec.published else f" Not published yet: the {spec.publisher} app will publish it."
    if spec.service != BACKEND:
        status += f" Sent by {spec.service} (its {spec.publisher} app), not by the backend."
    parameters = [
        {"name": name, "in": "header", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in _SIGNATURE_HEADERS
    ]
    parameters.append(
        {
            "name": "X-Request-ID",
            "in": "header",
            "required": False,
            "description": "The correlation id of the change, when it has one.",
            "schema": {"type": "string"},
        }
    )
    return {
        "post": {
            "operationId": f"event_{spec.name.value.replace('.', '_')}",
            "tags": ["events"],
            "summary": spec.description,
            "description": (
                f"Sent to each subscriber whose patterns match `{spec.name.value}`, signed per Standard"
                " Webhooks (see the headers). Subject type: `" + spec.subject_type + "`." + status
            ),
            "parameters": parameters,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": ref}}},
            },
            "responses": {
                "2XX": {"description": "Delivered. Answer a repeated `webhook-id` with 2xx too."},
                "4XX": {"description": "Refused for good (failed, not retried), except 408, 409 and 429."},
                "429": {"description": "Retried with backoff, not before `Retry-After` (seconds or a date)."},
                "5XX": {"description": "Retried with backoff (503 honours `Retry-After` too)."},
            },
            "security": [],
        }
    }


def add_event_webhooks(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds one OpenAPI 3.1 webhook per event type, its body the envelope with that type's `data`."""
    components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
    webhooks: dict[str, Any] = {}
    for name, spec in sorted(REGISTRY.items()):
        model = envelope_model(spec)
        body = model.model_json_schema(ref_template=OPENAPI_REF)
        for def_name, generated in {**body.pop("$defs", {}), model.__name__: body}.items():
            definition = published_schema(generated)
            if components.setdefault(def_name, definition) != definition:
                raise ValueError(f"OpenAPI component {def_name!r} of event {name} clashes with another")
        webhooks[name] = _webhook_operation(spec, OPENAPI_REF.format(model=model.__name__))
    schema["webhooks"] = webhooks
    return schema


# docs/events.md -----------------------------------------------------------------------------

_INTRO = """\
# Events

<!-- Generated by the backend's `{command}` from `backend/apps/events/types.py`: do not edit. -->

The backend writes every event to its outbox in the same database transaction as the change it
reports, then delivers it **at least once** to each subscriber whose patterns match its type, as
an HTTP `POST` of a JSON envelope to the subscriber's `/api/v1/events`:

{subscriptions}

Personal data: each type below says what it carries of it. Receivers need it (to address the
contact or member), so it travels in the signed envelope; the backend's outbox keeps each event's
`data` encrypted at rest, and so do the receivers with what they keep of it (the
communication-service its messages' recipients, subjects and bodies, the
workflow-intelligence-service the envelopes it received and its runs' details). Erasing a contact
redacts the `data` of its earlier events in the backend.

Types whose publisher is another service (`identity-service`: invitations, security notices)
are never sent by the backend: that service writes them to its own outbox in the transaction of
the change and delivers them the same way (signed with its own secret, in order, retried with
backoff, dead after a number of attempts) to the communication-service, the only receiver that
acts on them.

The same catalogue is in the backend's OpenAPI document (`GET /api/v1/openapi.json`, section
`webhooks`) and, for receivers, in `hubkit.event_types` (`EVENT_TYPES`, `data_schema(type)`).

## Envelope

| field | |
|---|---|
| `id` | UUID of the event; also the `webhook-id` header |
| `type` | one of the types below |
| `version` | `1` |
| `occurred_at` | when the change committed, ISO 8601 in UTC (`...Z`) |
| `organization_id` | UUID of the tenant |
| `actor` | `{{"type": "user" \\| "service", "id"}}`: who made the change (`hub-backend` when no one did) |
| `subject` | `{{"type", "id"}}`: what the event is about (the subject type is fixed per event type) |
| `data` | per type, below |
| `correlation_id` | the request id of the change (also sent as `X-Request-ID`), or `null` |

## Signatures (Standard Webhooks)

Each delivery carries three headers:

- `webhook-id`: the event id, the same on every attempt. **Deduplicate by it**: a delivery may
  arrive more than once (a retry after a lost answer, a worker killed before it recorded a batch).
- `webhook-timestamp`: Unix seconds when the attempt was signed.
- `webhook-signature`: space-separated `v1,<signature>` values, one per current secret of the
  subscription. During a rotation **every listed secret signs**, so a receiver that knows only
  the old or only the new secret still verifies.

To verify: take the raw body bytes exactly as received; compute base64(HMAC-SHA256(secret,
`{{webhook-id}}.{{webhook-timestamp}}.{{body}}`)) (a `whsec_` secret is base64-decoded first;
a plain development secret is used as its bytes); accept when it equals any `v1,` signature
(constant-time comparison) for any of your secrets, and the timestamp is within 5 minutes of
now. `hubkit.webhooks.verify_webhook` does exactly this. Refuse with 401 otherwise.

## Order

Events of one subject (`subject.type` + `subject.id`) reach each subscriber one at a time, in
the order they were published: the next is sent only after the previous one was answered. While
one waits for a retry, only that subject's later events wait with it; other subjects go on, in
parallel.

## Answers, retries and dead letters

- `2xx`: delivered.
- `3xx`: `failed`, not followed and not retried (a subscription's URL must answer itself).
- Network errors, timeouts, `5xx`, `408`, `409`, `429`: retried with exponential backoff and
  equal jitter (from `EVENT_DELIVERY_BACKOFF_BASE_SECONDS`, doubling, capped at
  `EVENT_DELIVERY_BACKOFF_MAX_SECONDS`; each wait at least half its step), never sooner than a
  `Retry-After` on `429`/`503` (seconds or an HTTP date; a past or unreadable one is ignored).
  With the defaults (2 s, 600 s, 10 attempts) a receiver that stays down is tried for 8.5 to
  17 minutes (nine waits of at most 2, 4, ... 512 s) before its delivery is `dead`.
- `413`: `refused_too_large`, not retried (the same bytes never fit). The hub never publishes an
  envelope larger than `hubkit.events.MAX_EVENT_BYTES`, the limit `receive_event` enforces.
- Any other `4xx`: `failed`, not retried.
- After `EVENT_DELIVERY_MAX_ATTEMPTS` attempts: `dead`.

Admins see each delivery (`GET /api/v1/events/{{id}}`, `GET /api/v1/events?status=dead`) and can
send an event again (`POST /api/v1/events/{{id}}/redeliver`).

## Compatibility

Event types are permanent. A type's `data` may gain fields, never lose, rename or retype one:
receivers ignore fields they do not know (the schemas below leave `additionalProperties` open).
Types marked *not yet published* are part of the interface already: their publishing app is a
later issue, and their schema is what it is to send.

## Types

| type | subject | published by | description |
|---|---|---|---|
"""


def _subscriptions_text() -> str:
    lines = []
    for subscription in _documented_subscriptions():
        patterns = ", ".join(f"`{p}`" for p in subscription["types"])
        lines.append(f"- {subscription['name']}: {patterns}")
    return "\n".join(lines)


def _documented_subscriptions() -> list[dict[str, Any]]:
    """The subscriptions every environment has; the text names no URL or secret."""
    return event_subscriptions(
        communication_url="", communication_secrets=(), workflow_url="", workflow_secrets=()
    )


# What each type carries of personal data. Receivers need it to do their job (addressing the contact
# or member, rendering a message), so it stays in the events; at rest the outbox holds every
# event's `data` encrypted (hubkit.encryption), as the receivers hold what they keep of it, and an
# erasure redacts the contact's earlier events.
_CONTACT = "the contact's first and last name, email and phone, and tags"
PERSONAL_DATA: dict[EventType, str] = {
    EventType.CONTACT_CREATED: _CONTACT + " (never the notes)",
    EventType.CONTACT_UPDATED: _CONTACT + " (never the notes); `changed` names fields, no values",
    EventType.CONTACT_ERASED: "none (ids and a time only)",
    **dict.fromkeys(
        (
            EventType.BOOKING_CREATED,
            EventType.BOOKING_CONFIRMED,
            EventType.BOOKING_RESCHEDULED,
            EventType.BOOKING_COMPLETED,
            EventType.BOOKING_NO_SHOW,
            EventType.BOOKING_REMINDER_DUE,
        ),
        "the contact's name, email and phone (to address them); never the booking's notes",
    ),
    EventType.BOOKING_CANCELLED: (
        "the contact's name, email and phone, and the free-text `cancel_reason`; never the notes"
    ),
    EventType.INVOICE_ISSUED: "none (the contact by id only; amounts, number and dates)",
    EventType.INVOICE_VOIDED: "none (the contact by id only; amounts, number and dates)",
    EventType.INVOICE_OVERDUE: "none (the contact by id only; amounts, number and dates)",
    EventType.PAYMENT_SUCCEEDED: "none (the contact by id only; never the payment reference)",
    EventType.REFUND_CREATED: "the free-text `reason`; the contact by id only",
    EventType.NOTIFICATION_REQUESTED: (
        "the member's name, email and phone (the recipient), and the title, body and data written for them"
    ),
    EventType.INVITATION_MAIL_REQUESTED: "the invited email and the inviter's name and email",
    EventType.SECURITY_NOTICE_REQUESTED: "the member's name and email",
}


def catalogue_markdown() -> str:
    """docs/events.md: the envelope, signatures, order, retries, and every type with its `data` fields."""
    parts = [_INTRO.format(command=COMMAND, subscriptions=_subscriptions_text())]
    shared: dict[str, dict[str, Any]] = {}
    for name, spec in sorted(REGISTRY.items()):
        publisher = publisher_text(spec) if spec.published else f"{publisher_text(spec)} (not yet published)"
        anchor = name.replace(".", "")
        parts.append(f"| [`{name}`](#{anchor}) | {spec.subject_type} | {publisher} | {spec.description} |\n")
    for name, spec in sorted(REGISTRY.items()):
        schema = data_json_schema(spec)
        shared |= schema.get("$defs", {})
        status = "" if spec.published else f" *Not yet published: the {spec.publisher} app will publish it.*"
        status += f" Published by {publisher_text(spec)}."
        parts.append(
            f"\n### {name}\n\n{spec.description} Subject type: `{spec.subject_type}`.{status}\n\n"
            f"Personal data: {PERSONAL_DATA[spec.name]}.\n\n"
            f"`data` ({spec.data.__name__}):\n\n{_fields_table(schema)}"
        )
    parts.append(
        "\n## Parts of `data`\n\nObjects several types share. The full JSON schemas are in"
        " `services/hubkit/src/hubkit/event_types.json` and the OpenAPI `webhooks`.\n"
    )
    for def_name, definition in sorted(shared.items()):
        description = f"{definition['description']}\n\n" if "description" in definition else ""
        parts.append(f"\n### {def_name}\n\n{description}{_fields_table(definition)}")
    return "".join(parts)


def _fields_table(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = ["| field | type | |\n|---|---|---|\n"]
    for field_name, prop in schema.get("properties", {}).items():
        note = prop.get("description", "")
        if field_name not in required:
            note = f"optional; {note}" if note else "optional"
        rows.append(f"| `{field_name}` | {_type_text(prop)} | {note} |\n")
    return "".join(rows)


def _type_text(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        target = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{target}](#{target.lower()})"
    if "anyOf" in prop:
        return " or ".join(_type_text(option) for option in prop["anyOf"])
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    kind = str(prop.get("type", "any"))
    if kind == "array":
        return f"list of {_type_text(prop.get('items', {}))}"
    details = [prop[key] for key in ("format", "pattern") if key in prop]
    return f"{kind} ({', '.join(f'`{d}`' for d in details)})" if details else kind


def catalogue_files() -> dict[Path, str]:
    """Every generated file and its content, as the repository must hold them."""
    return {hubkit_json_path(): catalogue_json(), docs_path(): catalogue_markdown()}
