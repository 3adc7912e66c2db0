"""The pending second step of a login with MFA, and the security notices kept for each user."""

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


class SecurityNotice(models.Model):
    """A security-relevant change to an account, kept so the user can be told (and support can look)."""

    class Kind(models.TextChoices):
        MFA_SETUP_STARTED = "mfa_setup_started"
        MFA_ENABLED = "mfa_enabled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_notices")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    session_id = models.UUIDField(null=True, blank=True)
    # Not set: the mail is the outbox event `security.notice_requested` (subject: the user), whose
    # row says whether and when it was delivered.
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="authn_notice_user_created")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
