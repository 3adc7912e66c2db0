"""Re-export only: committed migrations import the fields from this path (they are never edited)."""

from hubkit.encryption.fields import (
    EncryptedBinaryField,
    EncryptedField,
    EncryptedJSONField,
    EncryptedTextField,
)

__all__ = ["EncryptedBinaryField", "EncryptedField", "EncryptedJSONField", "EncryptedTextField"]
