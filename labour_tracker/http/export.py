"""A labour downloaded as CSV or JSON, streamed from the PostgreSQL mirror.

The labour and its contractions are read in one read-only snapshot, the contractions a batch at a time from a
server-side cursor, and each batch is written to the client as it comes: however long the labour, the worker holds
one batch of it. Like the other reads from the mirror, it trails the tables by moments.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from labour_tracker.domain.labour import Role, updates_for_followers
from labour_tracker.domain.labour.decide import NOT_BIRTH_PARTNER
from labour_tracker.domain.user import User
from labour_tracker.http.authentication import current_user
from labour_tracker.http.errors import ResponseBrokenOff
from labour_tracker.http.export_formats import FORMATS, ExportFormat
from labour_tracker.http.history import LABOUR_NOT_FOUND, invalid_query, labour_id_in_path, mirror
from labour_tracker.mirror.reads import LabourHeading

log = logging.getLogger(__name__)

BATCH = 100  # contractions read from the cursor, and written to the client, at a time


def may_export(reader: User, labour: LabourHeading, reader_role: str | None) -> bool:
    """Whether `reader` may download `labour`: the one place that decides it. The birthing person whose labour it is,
    and their birth partners (`reader_role`: the role the person gave the reader, as the mirror holds it)."""
    return reader.id == labour.birthing_person_id or reader_role == Role.BIRTH_PARTNER


def export_format(request: web.Request) -> ExportFormat:
    found = FORMATS.get(request.query.get("format", ""))
    if found is None:
        raise invalid_query(f"format must be one of: {', '.join(FORMATS)}.")
    return found


def filename(labour: LabourHeading, chosen: ExportFormat) -> str:
    """The file's name: the labour's id only (no names), in characters every file system and header takes."""
    return f"labour-{re.sub(r'[^A-Za-z0-9_-]', '_', labour.id)[:100]}.{chosen.name}"


async def export_labour(request: web.Request) -> web.StreamResponse:
    chosen = export_format(request)
    labour_id = labour_id_in_path(request)
    reader = current_user(request)
    response = web.StreamResponse(
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}  # health data: kept by no cache
    )
    try:
        async with (
            mirror(request) as (reads, connection),
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            labour = await reads.labour(connection, labour_id)
            if labour is None or labour.birthing_person_id != request.match_info.get("birthing_person_id", reader.id):
                raise LABOUR_NOT_FOUND  # another person's labour answers as one that does not exist
            role = None
            if reader.id != labour.birthing_person_id:
                role = await reads.follower_role(connection, labour.birthing_person_id, reader.id)
            if not may_export(reader, labour, role):
                raise LABOUR_NOT_FOUND if role is None else NOT_BIRTH_PARTNER  # a friend learns only what they may
            response.content_type, response.charset = chosen.media_type, chosen.charset
            response.headers["Content-Disposition"] = f'attachment; filename="{filename(labour, chosen)}"'
            response.enable_chunked_encoding()
            await response.prepare(request)
            if request.method != "HEAD":
                await response.write(chosen.heading(labour))
                first = True
                async for batch in reads.contractions(connection, labour.id, BATCH):
                    await response.write(chosen.contractions(labour, batch, first=first))
                    first = False
                updates = tuple(await reads.updates(connection, labour.id))
                if reader.id != labour.birthing_person_id:  # a birth partner: the person's private notes stay theirs
                    updates = updates_for_followers(updates)
                await response.write(chosen.end(list(updates)))
        await response.write_eof()
    except Exception as error:
        if not response.prepared:
            raise  # nothing has gone out: answered as any error is
        log.warning("labour export broke off: labour %s, %s", labour_id, type(error).__name__)
        raise ResponseBrokenOff from None
    return response
