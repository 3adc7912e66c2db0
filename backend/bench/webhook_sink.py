"""A receiver that only verifies: measures the worker's own capacity, not a receiving service's.

HTTP/1.1 with keep-alive on asyncio; every POST is checked with hubkit's Standard Webhooks
verification and deduplicated by `webhook-id`, then answered 204 (401 if the signature is bad).
On SIGTERM it prints one JSON line: received, unique, duplicates, rejected, and the time each
event was first received.

    python -m bench.webhook_sink --port 9100 --secret dev-insecure-...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from collections import Counter

from hubkit.webhooks import InvalidWebhook, verify_webhook

counts: Counter[str] = Counter()
seen: dict[str, float] = {}  # webhook-id → first receipt (epoch seconds)


def _handle(head: bytes, body: bytes, secrets: list[str]) -> bytes:
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    counts["received"] += 1
    try:
        event_id = verify_webhook(body=body, headers=headers, secrets=secrets)
    except InvalidWebhook:
        counts["rejected"] += 1
        return b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
    if event_id in seen:
        counts["duplicates"] += 1
    else:
        seen[event_id] = time.time()
    return b"HTTP/1.1 204 No Content\r\n\r\n"


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, secrets: list[str]) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            writer.write(_handle(head[:-4], body, secrets))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int, secrets: list[str]) -> None:
    server = await asyncio.start_server(lambda r, w: _serve(r, w, secrets), "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()
    print(json.dumps({**counts, "unique": len(seen), "first_receipts": seen}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", action="append", required=True)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.port, arguments.secret))
