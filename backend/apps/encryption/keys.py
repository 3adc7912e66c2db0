"""Re-export only: a committed migration (core 0005) imports `blind_index` from this path (never edited)."""

from hubkit.encryption.keys import blind_index

__all__ = ["blind_index"]
