"""What the backend knows of identity-service principals: thin mirrors keyed by token claims."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models


class Organization(models.Model):
    """Mirror of an identity-service organization, keyed by the token's `org_id`."""

    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name or str(self.id)


class User(models.Model):
    """The backend's AUTH_USER_MODEL: a principal seen in a token. Holds no password.

    Human users are keyed by the token `sub`; service clients get a stable id derived from
    their `client_id` so audit entries can name them too.
    """

    class Kind(models.TextChoices):
        USER = "user"
        SERVICE = "service"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.USER)
    subject = models.CharField(max_length=255, unique=True)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "subject"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    is_anonymous = False
    is_authenticated = True

    def __str__(self) -> str:
        return self.email or self.subject

    def get_username(self) -> str:
        return self.subject
