"""JSON answers rendered directly, for large documents already shaped as their declared schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from hubkit.ninja import JsonRenderer

_RENDERER = JsonRenderer()


def render_json(request: HttpRequest, document: Any) -> bytes:
    """`document` as the API renders a 200 answer's body, without Ninja's response validation.

    Validation walks every item twice (validate, then dump), which costs more than computing a
    long series from rollups. Use it only where a selector builds the document to the operation's
    declared response schema; that operation's tests validate its answers against the schema.
    """
    return _RENDERER.render(request, document, response_status=200)


def json_body(body: bytes) -> HttpResponse:
    """A 200 answer of an already rendered JSON body (`render_json`'s, possibly from a cache)."""
    return HttpResponse(body, content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}")
