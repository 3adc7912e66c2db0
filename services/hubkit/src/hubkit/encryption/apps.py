from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    """Installed for `manage.py rotate_encryption_keys`; it has no models of its own."""

    name = "hubkit.encryption"
    # The label the backend's app had before the mechanism moved here.
    label = "encryption"
