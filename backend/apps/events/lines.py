"""Delivery lines: the events of one subject, delivered to a subscriber one at a time, in order.

Lines are spread over a fixed number of shards. One drainer at a time works a (destination,
shard), so order per line holds across workers, while several workers, or several slots of
one worker, drain different shards of a destination side by side.
"""

from __future__ import annotations

import zlib

# Changing this moves lines between shards: only do it with no pending delivery in the outbox.
SHARDS = 4


def subject_line(subject_type: str, subject_id: str) -> str:
    return f"{subject_type}:{subject_id}"


def line_shard(line: str) -> int:
    return zlib.crc32(line.encode()) % SHARDS
