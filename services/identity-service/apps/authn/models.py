"""The pending second step of a login with MFA."""

import uuid

from django.db import models
from django.utils import timezone

from apps.accounts.models import User


class MfaChallenge(models.Model):
    """Handed out after a correct password; single use, short-lived, a few code attempts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mfa_challenges")
    organization_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mfa challenge of {self.user_id}"
