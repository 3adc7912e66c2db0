import json
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest
from django.urls import path
from ninja import Schema

from hubkit.openapi import HubNinjaAPI
from hubkit.openapi_snapshot import REGENERATE, render, snapshot_drift, write_snapshot

API = "tests.test_openapi_snapshot.api"


class ThingOut(Schema):
    """A thing."""

    name: str


api = HubNinjaAPI(urls_namespace="hubkit-snapshot-tests", index_path=None)


@api.get("/things", response={200: ThingOut}, operation_id="list_things")
def list_things(request: HttpRequest) -> dict[str, Any]:
    return {"name": "x"}


urlpatterns = [path("api/", api.urls)]


def test_render_is_stable_sorted_and_pretty() -> None:
    schema: dict[str, Any] = {"b": {404: "x", 200: "y"}, "a": [2, 1]}
    text = render(schema)
    assert text == render(json.loads(text))
    assert text.endswith("}\n")
    assert text.index('"a"') < text.index('"b"')
    assert text.index('"200"') < text.index('"404"')  # int keys become sorted strings
    assert '\n  "a": [\n    2,\n    1\n  ]' in text  # lists keep their order


@pytest.mark.urls(__name__)
def test_a_fresh_snapshot_matches_and_any_drift_names_the_command(tmp_path: Path) -> None:
    assert "missing" in str(snapshot_drift(tmp_path, API))
    path = write_snapshot(tmp_path, API)
    assert path == tmp_path / "openapi.json"
    assert json.loads(path.read_text())["paths"]["/api/things"]["get"]["operationId"] == "list_things"
    assert snapshot_drift(tmp_path, API) is None

    path.write_text(path.read_text().replace("list_things", "list_stuff"))
    drift = snapshot_drift(tmp_path, API)
    assert drift is not None
    assert REGENERATE in drift
    assert '-        "operationId": "list_stuff",' in drift
    assert '+        "operationId": "list_things",' in drift
