"""Baseline: a bare ``websockets`` push server, the least a push relay can cost.

    python -m bench.pushserver --port 9001

A client connects to ``/ws/<name>/`` and is registered under that name. A text frame
``{"to": name, ...}`` is pushed unchanged to every socket registered under ``name``. Nothing
is stored, authenticated or checked: it measures the socket and framing cost alone. It
listens on 127.0.0.1 only and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve

SOCKETS: dict[str, set[ServerConnection]] = defaultdict(set)


async def handler(conn: ServerConnection) -> None:
    path = conn.request.path if conn.request is not None else "/"
    name = path.strip("/").split("/")[-1]
    SOCKETS[name].add(conn)
    try:
        async for text in conn:
            try:
                to = json.loads(text)["to"]
            except (ValueError, KeyError, TypeError):
                continue
            broadcast(SOCKETS.get(to, ()), text)
    finally:
        SOCKETS[name].discard(conn)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=2**21,
                     ping_interval=20, backlog=4096):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.pushserver")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
