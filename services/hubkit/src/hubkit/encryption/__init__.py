"""Personal data at rest: encrypted model fields, their keys, key rotation and migration steps.

- `keys`: `FIELD_ENCRYPTION_KEYS` (`kid:base64key,...`; the first encrypts, every listed one
  decrypts), the `v1:<kid>:<b64>` envelope, `blind_index` (`BLIND_INDEX_KEY`) for exact lookups.
- `fields`: `EncryptedTextField`, `EncryptedJSONField`, `EncryptedBinaryField`.
- `rotation` and `manage.py rotate_encryption_keys` (install `"hubkit.encryption"` in
  `INSTALLED_APPS`): re-seal every stored value with the current key while the service runs.
- `migration_ops.encrypt_existing`: the data migration step after a column became encrypted.
"""
