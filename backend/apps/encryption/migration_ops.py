"""Re-export only: committed migrations import their data step from this path (never edited)."""

from hubkit.encryption.migration_ops import BATCH, encrypt_existing

__all__ = ["BATCH", "encrypt_existing"]
