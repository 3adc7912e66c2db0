"""A model with one encrypted field of each kind, for hubkit.encryption's tests."""

from __future__ import annotations

from django.db import models

from hubkit.encryption.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField


class Sealed(models.Model):
    text = EncryptedTextField(blank=True, default="")
    document = EncryptedJSONField(null=True)
    blob = EncryptedBinaryField(default=b"")
    label = models.CharField(max_length=20, blank=True, default="")

    def __str__(self) -> str:
        return self.label
