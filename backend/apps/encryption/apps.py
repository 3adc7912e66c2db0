from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    name = "apps.encryption"
    label = "encryption"
