"""The keys that sign access tokens, and where each one is in its life."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class KeyState(models.TextChoices):
    NEXT = "next", "Next (published, not yet signing)"
    ACTIVE = "active", "Active (signing)"
    RETIRING = "retiring", "Retiring (published until its tokens have expired)"
    RETIRED = "retired", "Retired (unpublished)"


PUBLISHED_STATES = (KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRING)


class SigningKey(models.Model):
    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=16, default="EdDSA")
    # Ed25519: raw 32-byte public key, base64url without padding (the JWK `x`).
    public_key = models.CharField(max_length=64)
    private_key_encrypted = models.TextField()
    state = models.CharField(max_length=16, choices=KeyState.choices)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    retiring_at = models.DateTimeField(null=True, blank=True)
    # A retiring key stays published until then: the last token it signed has expired by this time.
    retire_after = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="active"), name="signing_one_active_key"
            ),
            models.UniqueConstraint(fields=["state"], condition=Q(state="next"), name="signing_one_next_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"
