"""Baseline: a Channels consumer that only does ``group_send``, served by Daphne.

    python -m daphne -b 127.0.0.1 -p 9002 bench.groupsend:application

The same push path as Relay's without anything Relay adds (sessions, the database, event
streams, envelopes): a client connects to ``/ws/<name>/`` and joins the group ``name``; a
text frame ``{"to": name, ...}`` is sent with ``group_send`` to that group, and each member
pushes it unchanged. The channel layer is Relay's: Redis when ``REDIS_URL`` is set, with the
same capacity and expiry, else the in-memory layer. On Redis the connection has no socket
timeout: redis-py 8 reads with a 5-second timeout by default, shorter than the channel
layer's 5-second blocking receive, so an idle consumer's receive fails and Daphne closes its
socket with 1011 (django/channels_redis#422); the baseline is a Channels consumer that works.
"""

from __future__ import annotations

import json
import os
from typing import Any

import django
from django.conf import settings

if not settings.configured:
    redis_url = os.environ.get("REDIS_URL", "")
    layer: dict[str, Any] = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    if redis_url:
        layer = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": None}],
                       "prefix": "bench", "capacity": 1000, "expiry": 30},
        }
    settings.configure(
        INSTALLED_APPS=["channels"], CHANNEL_LAYERS={"default": layer}, ALLOWED_HOSTS=["*"],
    )
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class PushConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = str(self.scope["url_route"]["kwargs"]["name"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            to = json.loads(text_data or "")["to"]
        except (ValueError, KeyError, TypeError):
            return
        await self.channel_layer.group_send(str(to), {"type": "push", "text": text_data})

    async def push(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/<str:name>/", PushConsumer.as_asgi())])}
)
