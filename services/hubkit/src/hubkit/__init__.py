"""Cross-cutting mechanisms shared by the hub's Python services (no domain code)."""
