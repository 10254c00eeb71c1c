"""Start Relay in Daphne: ``python -m relay.serve [daphne options]``.

Every supported way of running Relay (``make run``, the Docker image, docker compose, the
tests) starts the server through this module, which adds two things to Daphne:

- **No access log, ever.** Daphne writes one line per request (client address, path and
  query string) to stdout unless told otherwise, Twisted another at ``-v 2``, and Daphne's
  debug lines name each client; participants' addresses must not be kept (DESIGN §9).
  Here all three are off, whatever options are passed.
- **Bodies over ``RELAY_MAX_BODY_BYTES`` are refused before they are read.** Twisted reads
  a whole request body before Daphne hands the request to the application, so the limit
  is applied where the body arrives: a too-large ``Content-Length`` gets 413 as soon as
  the headers end, and a chunked body as soon as it passes the limit; the connection is
  then closed. (``relay.limits.BodyLimit`` applies the same limit in the ASGI application,
  for any other server.)
- **A streamed response waits for the client.** Daphne writes each body block it is sent
  straight into Twisted's send buffer, which grows without limit when the application
  produces faster than the client reads: a 200 MB download to a slow client would end up
  in memory. Here each response registers with Twisted as a producer, and the application's
  ``send`` of a block that is not the last one returns only once the connection's send
  buffer has drained (``SendBuffer``), so a streamed download holds a few blocks at most.

The options are Daphne's own (``-b``, ``-p``, ``--proxy-headers``, …); the application
defaults to ``relay.asgi:application``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from daphne import server as daphne_server
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer

from relay.limits import too_large_response

APPLICATION = "relay.asgi:application"
ACCESS_LOG_OPTIONS = ("--access-log",)


def body_limit() -> int:
    from django.conf import settings

    return int(settings.RELAY_MAX_BODY_BYTES)


@implementer(IPushProducer)
class SendBuffer:
    """Told by Twisted when the connection's send buffer is full (``pauseProducing``) and
    when it has drained (``resumeProducing``); ``drained`` waits for the latter."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.ready.set()

    def pauseProducing(self) -> None:  # noqa: N802 (Twisted's name)
        self.ready.clear()

    def resumeProducing(self) -> None:  # noqa: N802 (Twisted's name)
        self.ready.set()

    def stopProducing(self) -> None:  # noqa: N802 (Twisted's name)
        # The connection is gone: nothing more will be sent, so nobody should wait.
        self.ready.set()

    async def drained(self) -> None:
        await self.ready.wait()


class LimitedRequest(WebRequest):  # type: ignore[misc]
    """Daphne's request, refusing a body over the limit while it is still arriving, and
    letting a streamed response wait for the client (``SendBuffer``)."""

    refused = False
    received = 0
    send_buffer: SendBuffer | None = None

    def handle_reply(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "http.response.start" and self.channel is not None and not self.finished:
            # Only one producer per connection: a response is never registered twice.
            if getattr(self.channel, "_requestProducer", None) is None:
                self.send_buffer = SendBuffer()
                self.registerProducer(self.send_buffer, True)
        elif (
            kind == "http.response.body"
            and not message.get("more_body", False)
            and self.send_buffer is not None
            and self.producer is self.send_buffer
        ):
            # The last block: Twisted wants the producer gone before the request finishes.
            self.unregisterProducer()
        super().handle_reply(message)

    def gotLength(self, length: int | None) -> None:  # noqa: N802 (Twisted's name)
        if length is not None and length > body_limit():
            self.refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 (Twisted's name)
        if self.refused:
            return
        self.received += len(data)
        if self.received > body_limit():
            self.refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
        if not self.refused:
            super().requestReceived(command, path, version)

    def refuse(self) -> None:
        self.refused = True
        self.channel.transport.write(too_large_response(body_limit()))
        self.channel.loseConnection()


class LimitedHTTPFactory(HTTPFactory):  # type: ignore[misc]
    def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 (Twisted's name)
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = LimitedRequest
        return protocol

    def log(self, request: Any) -> None:
        """Twisted's own access log line (address, path, query string): never written."""


# Daphne's debug lines name the client's address and port.
ADDRESS_LOGGERS = ("daphne.http_protocol", "daphne.ws_protocol")


class RelayServer(daphne_server.Server):  # type: ignore[misc]
    """Daphne's server without its access logger, and without debug lines naming clients;
    a streamed response's blocks wait for the client to read the ones before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["action_logger"] = None
        super().__init__(*args, **kwargs)
        # The application is imported (Django is set up): start the internal metrics
        # listener when RELAY_METRICS_PORT is set (docs/operations.md, "Metrics").
        from relay.monitoring.server import start_metrics_listener

        start_metrics_listener()
        for name in ADDRESS_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))

    async def handle_reply(self, protocol: Any, message: dict[str, Any]) -> None:
        await super().handle_reply(protocol, message)
        buffer = getattr(protocol, "send_buffer", None)
        if (
            isinstance(buffer, SendBuffer)
            and message.get("type") == "http.response.body"
            and message.get("more_body", False)
        ):
            await buffer.drained()


class RelayCommandLine(CommandLineInterface):  # type: ignore[misc]
    server_class = RelayServer


def daphne_arguments(argv: list[str]) -> list[str]:
    """Daphne's arguments: any access-log option dropped, the application added if absent."""
    args: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ACCESS_LOG_OPTIONS:
            skip = True
            continue
        if arg.startswith(tuple(f"{o}=" for o in ACCESS_LOG_OPTIONS)):
            continue
        args.append(arg)
    if not any(not a.startswith("-") and "." in a.partition(":")[0] and ":" in a for a in args):
        args.append(APPLICATION)
    return args


def main(argv: list[str] | None = None) -> None:
    # Daphne's Server builds its HTTP factory by this module-level name when it runs.
    daphne_server.HTTPFactory = LimitedHTTPFactory
    RelayCommandLine().run(daphne_arguments(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
