"""Who may act: users, organizations and the one role each user holds in an organization."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now


class Role(models.TextChoices):
    """A membership's one role; owners and admins manage members, only owners grant `owner`."""

    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    STAFF = "staff", "Staff"
    VIEWER = "viewer", "Viewer"


MANAGING_ROLES = frozenset({Role.OWNER, Role.ADMIN})

# A phone number in E.164: "+", a country code and at most 15 digits in all.
E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=(username or "").strip().lower())

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        """Only for Django's own tooling; the domain creates users through services.user_create."""
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lowercased; the functional constraint guards against anything that bypasses that.
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=200)
    # E.164 ("+4930123456") where the user wants text messages; "" when they gave none.
    phone = models.CharField(max_length=16, blank=True, default="")
    is_active = models.BooleanField(default=True)
    # When the user proved they read mail at `email` (accepting an invitation mailed there).
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # TOTP: the secret is Fernet-encrypted; the last accepted time step blocks replay.
    mfa_secret_encrypted = models.TextField(blank=True, default="")
    mfa_enabled = models.BooleanField(default=False)
    mfa_last_counter = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=E164_PATTERN),
                name="accounts_user_phone_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="accounts_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_membership_role_valid"
            ),
        ]
        ordering = ["created_at", "organization_id"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id}:{self.role}"
