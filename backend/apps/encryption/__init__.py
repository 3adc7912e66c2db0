"""The field encryption mechanism lives in `hubkit.encryption` (installed as the `encryption` app).

`fields`, `keys` and `migration_ops` here only re-export it: committed migrations import those
paths and are never edited.
"""
