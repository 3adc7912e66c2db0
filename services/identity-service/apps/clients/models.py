"""Service clients: other hub services that authenticate with a client id and secret."""

import uuid

from django.db import models
from django.utils import timezone

from apps.accounts.models import Organization


class ServiceClient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    # SHA-256 of a long random secret; see services.client_secret_hash for why not argon2.
    secret_hash = models.CharField(max_length=80)
    scopes = models.JSONField(default=list)
    # Bound to one organization (its tokens always carry it), or allowed to ask for any, or neither.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="service_clients"
    )
    all_organizations = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(all_organizations=True, organization__isnull=False),
                name="clients_bound_or_all_not_both",
            )
        ]

    def __str__(self) -> str:
        return self.client_id
