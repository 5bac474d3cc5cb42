"""Typed keys of what the HTTP layer shares between views."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from labour_tracker.http.attempts import FailedAttempts
from labour_tracker.live.parts import Live
from labour_tracker.mirror.database import Database
from labour_tracker.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
HTTP_CLIENT = web.AppKey("http_client", aiohttp.ClientSession)  # forwards reads to the worker owning the key
SUBSCRIBE_FAILURES = web.AppKey("subscribe_failures", FailedAttempts)  # wrong subscription tokens, this worker's
LIVE = web.AppKey("live", Live)  # the streams open on this worker, and their tickets
