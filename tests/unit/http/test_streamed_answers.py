"""A streamed answer that fails part-way reaches the client as broken off, never as a shorter body that looks whole."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from labour_tracker.http.errors import ResponseBrokenOff, error_responses
from labour_tracker.http.metrics import timed_requests


async def breaks_off(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_type = "text/csv"
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(b"labour_id,contraction_id\r\n")
    await response.write(b"l1,c1\r\n")
    raise ResponseBrokenOff


async def test_a_stream_broken_off_after_it_began_is_a_broken_download_for_the_client() -> None:
    app = web.Application(middlewares=[timed_requests, error_responses])
    app.router.add_get("/export", breaks_off)
    async with TestClient(TestServer(app)) as client, client.get("/export") as answer:
        assert answer.status == 200  # the status had gone out with the first rows
        with pytest.raises(aiohttp.ClientPayloadError):
            await answer.read()
