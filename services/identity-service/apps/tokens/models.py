"""Sessions (refresh-token families), their refresh tokens, and revoked access tokens."""

import uuid

from django.db import models
from django.utils import timezone

from apps.accounts.models import Organization, User


class Session(models.Model):
    """One login: every refresh token rotated from it, and every access token carrying its `sid`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )
    client_id = models.CharField(max_length=100)
    amr = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # When the user last proved who they are (password, and code with MFA): the `auth_time` claim.
    # An organization switch carries it over; a refresh never moves it.
    authenticated_at = models.DateTimeField(default=timezone.now)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "organization"], name="tokens_session_user_org")]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class RefreshToken(models.Model):
    """Stored as a SHA-256 digest only: the token is 256 random bits, so a fast hash is enough."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Set when exchanged for a new pair; presenting it again means it leaked.
    rotated_at = models.DateTimeField(null=True, blank=True)
    # The token it was exchanged for, and that token Fernet-encrypted: presented again within
    # REFRESH_REUSE_GRACE_SECONDS (a concurrent refresh) it answers the same successor. The copy
    # is wiped as soon as the successor is rotated itself.
    successor = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="predecessor"
    )
    successor_token_encrypted = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"refresh token of {self.session_id}"


class RevokedAccessToken(models.Model):
    """A revoked access token, remembered by `jti` until it would have expired anyway."""

    jti = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.jti
