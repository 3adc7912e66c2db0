"""The ceiling: what Ninja on the same Granian command line serves with no database, auth or middleware.

`/hello` is a hello-world; `/rows` is a page of fifty ten-field rows held in memory, rendered
through a response schema the way a real list endpoint renders its page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI, Schema

api = NinjaAPI(urls_namespace="ceiling", docs_url=None, openapi_url=None)


class RowOut(Schema):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    notes: str
    tags: list[str]
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RowPage(Schema):
    items: list[RowOut]
    next_cursor: str | None


_START = datetime(2026, 1, 1, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {
        "id": uuid.UUID(int=i + 1),
        "first_name": f"First{i}",
        "last_name": f"Last{i}",
        "email": f"first{i}.last{i}@example.com",
        "phone": f"+4915100000{i:03d}",
        "notes": "",
        "tags": ["vip", "new"] if i % 3 == 0 else [],
        "archived_at": None,
        "created_at": _START + timedelta(minutes=i),
        "updated_at": _START + timedelta(minutes=i),
    }
    for i in range(50)
]


@api.get("/hello")
def hello(request: HttpRequest) -> dict[str, str]:
    return {"message": "hello"}


@api.get("/rows", response=RowPage)
def rows(request: HttpRequest) -> dict[str, Any]:
    return {"items": ROWS, "next_cursor": "MjAyNi0wMS0wMVQwMDo0OTowMCswMDowMA"}


urlpatterns = [path("", api.urls)]
