"""The generated catalogue: committed files are fresh, and OpenAPI documents each type's envelope."""

from __future__ import annotations

import importlib
import json
import re
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from pydantic import ValidationError

import hubkit.event_types
from apps.events.catalogue import COMMAND, catalogue_files, catalogue_json, envelope_model
from apps.events.envelope import event_envelope
from apps.events.services import publish
from apps.events.tests.factories import booking_data, contact_data
from apps.events.types import REGISTRY, EventType, data_json_schema
from tests.factories import acme


def test_the_committed_catalogue_is_a_fresh_generation() -> None:
    for path, text in catalogue_files().items():
        committed = path.read_text(encoding="utf-8") if path.exists() else None
        assert committed == text, f"{path.name} is out of date: run `{COMMAND}` in backend/ and commit it"


def test_hubkit_ships_the_registrys_names_and_schemas() -> None:
    shipped = importlib.reload(hubkit.event_types)
    assert frozenset(REGISTRY) == shipped.EVENT_TYPES
    for name, spec in REGISTRY.items():
        assert shipped.data_schema(name) == data_json_schema(spec)
        assert shipped.description(name) == spec.description


def test_the_catalogue_names_each_types_publishing_service() -> None:
    shipped = json.loads(catalogue_json())
    for name, spec in REGISTRY.items():
        assert shipped["types"][name]["service"] == spec.service
        assert shipped["types"][name]["publisher"] == spec.publisher
    docs = catalogue_files()
    markdown = next(text for path, text in docs.items() if path.suffix == ".md")
    assert "| identity-service (invitations) |" in markdown
    assert "| backend (core) |" in markdown
    assert "Published by identity-service (authn)." in markdown


def test_published_schemas_stay_open_to_added_fields() -> None:
    text = json.dumps([data_json_schema(spec) for spec in REGISTRY.values()])
    assert '"additionalProperties": false' not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("type_", "subject_type", "data"),
    [
        (EventType.CONTACT_CREATED, "contact", contact_data()),
        (EventType.BOOKING_NO_SHOW, "booking", booking_data(status="no_show")),
    ],
)
def test_the_documented_envelope_is_what_receivers_get(
    type_: EventType, subject_type: str, data: dict[str, Any]
) -> None:
    with transaction.atomic():
        event = publish(
            organization=acme(),
            type=type_,
            subject_type=subject_type,
            subject_id=uuid.uuid4(),
            data=data,
            actor=None,
        )
    model = envelope_model(REGISTRY[type_])
    model.model_validate(event_envelope(event))
    other = next(spec for spec in REGISTRY.values() if spec.data is not REGISTRY[type_].data)
    with pytest.raises(ValidationError):  # another type's envelope does not fit
        envelope_model(other).model_validate(event_envelope(event))


def _resolve(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/"), ref
    resolved: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def test_openapi_has_one_webhook_per_event_type_with_its_data_schema() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"] == "3.1.0"
    assert set(schema["webhooks"]) == set(REGISTRY)
    for name, spec in REGISTRY.items():
        post = schema["webhooks"][name]["post"]
        headers = {p["name"] for p in post["parameters"] if p["in"] == "header" and p["required"]}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        envelope = _resolve(schema, post["requestBody"]["content"]["application/json"]["schema"]["$ref"])
        assert envelope["properties"]["type"]["const"] == name
        subject = _resolve(schema, envelope["properties"]["subject"]["$ref"])
        assert subject["properties"]["type"]["const"] == spec.subject_type
        data = _resolve(schema, envelope["properties"]["data"]["$ref"])
        own = data_json_schema(spec)
        own.pop("$defs", None)
        assert json.dumps(data, sort_keys=True) == json.dumps(own, sort_keys=True).replace(
            "#/$defs/", "#/components/schemas/"
        )
    assert "/api/v1/contacts" in schema["paths"]  # the served API is still there


def test_the_public_openapi_explains_itself_without_citing_internal_documents() -> None:
    text = Client().get("/api/v1/openapi.json").content.decode()
    # Whatever the spec says, it says itself: no pointer to a document a client does not have.
    assert re.findall(r"[\w./-]+\.md\b", text) == []
