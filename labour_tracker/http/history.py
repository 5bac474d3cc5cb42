"""Views served from the PostgreSQL mirror: a person's past labours (and deleting one of them), what was sent, and
both sides' subscription lists, paged.

The mirror trails the tables by moments: a change just made may take that long to appear here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web

from labour_tracker.domain import labour
from labour_tracker.domain import notification as n
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.domain.notification.masking import NOTHING_SHOWN
from labour_tracker.domain.user import User
from labour_tracker.http.authentication import current_user
from labour_tracker.http.birthing_person import BIRTHING_PERSON, read_person, respond, without_body
from labour_tracker.http.commands import command_id, send_command
from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import DATABASE, SETTINGS
from labour_tracker.http.schemas import (
    BirthingPersonResponse,
    BirthingPersonView,
    ContractionView,
    FollowedPersonView,
    FollowRequestsResponse,
    FollowRequestView,
    LabourRecordView,
    LaboursResponse,
    NotificationsResponse,
    NotificationView,
    SubscribersResponse,
    SubscriberSummaryView,
    SubscriptionsResponse,
)
from labour_tracker.http.subscriber import read_subscriber
from labour_tracker.messages import birthing_person as commands
from labour_tracker.mirror.database import UNAVAILABLE
from labour_tracker.mirror.reads import LabourRow, MirrorReads, NotificationRow

DEFAULT_PAGE, LARGEST_PAGE = 20, 100
LABOUR_NOT_FOUND = DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "You have no labour with this id.")


def invalid_query(description: str) -> ApiError:
    return ApiError(400, "invalid_query", description)


def page_size(request: web.Request) -> int:
    given = request.query.get("limit", str(DEFAULT_PAGE))
    if not given.isdigit() or not 1 <= int(given) <= LARGEST_PAGE:
        raise invalid_query(f"limit must be a whole number from 1 to {LARGEST_PAGE}.")
    return int(given)


def cursor(position: list[Any]) -> str:
    """An opaque `after` value: the sort key of a page's last row."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def position_after(request: web.Request, length: int) -> list[str] | None:
    """The sort key a page starts after, from its `after` cursor; None for the first page."""
    given = request.query.get("after")
    if given is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(given + "=" * (-len(given) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_query("after must be the `next` value of a previous page.") from None
    if not isinstance(position, list) or len(position) != length or not all(isinstance(e, str) for e in position):
        raise invalid_query("after must be the `next` value of a previous page.")
    return position


def next_page(rows: list[Any], limit: int, position: list[Any]) -> str | None:
    return cursor(position) if len(rows) == limit else None


@contextlib.asynccontextmanager
async def mirror(request: web.Request) -> AsyncIterator[tuple[MirrorReads, asyncpg.Connection]]:
    """A connection to the mirror, or 503 while PostgreSQL is away."""
    try:
        pool = await request.app[DATABASE].pool()
        async with pool.acquire() as connection:
            yield MirrorReads(request.app[SETTINGS].mirror_schema), connection
    except UNAVAILABLE:
        raise ApiError(
            503, "database_unavailable", "History is unavailable for a moment; try again shortly.",
            headers={"Retry-After": "5"},
        ) from None  # fmt: skip


def labour_view(row: LabourRow) -> LabourRecordView:
    return LabourRecordView(
        id=row.id,
        first_labour=row.first_labour,
        name=row.name,
        start_time=row.start_time,
        end_time=row.end_time,
        phase=labour.Phase(row.phase),
        notes=row.notes,
        alerts=sorted(labour.Alert(each) for each in row.alerts),
        contractions=[ContractionView.of(each) for each in row.contractions],
    )


def time_and_id_after(request: web.Request) -> tuple[datetime, str] | None:
    """The (time, id) a page sorted by time and id starts after."""
    after = position_after(request, 2)
    try:
        return (datetime.fromisoformat(after[0]), after[1]) if after else None
    except ValueError:
        raise invalid_query("after must be the `next` value of a previous page.") from None


def _name(first: str | None, last: str | None) -> str | None:
    return f"{first or ''} {last or ''}".strip() or None


def notification_view(row: NotificationRow) -> NotificationView:
    status = n.NotificationStatus(row.status)
    return NotificationView(
        id=row.id,
        event_type=row.event_type,
        birthing_person_id=row.birthing_person_id or None,
        birthing_person_name=_name(row.birthing_person_first_name, row.birthing_person_last_name),
        subscriber_id=row.subscriber_id,
        subscriber_name=_name(row.subscriber_first_name, row.subscriber_last_name),
        channel=row.channel,
        status=status,
        failure=n.failure_code(status, row.reason),
        destination=row.masked_destination or NOTHING_SHOWN,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def notifications_page(rows: list[NotificationRow], limit: int) -> web.Response:
    last = [rows[-1].created_at.isoformat(), rows[-1].id] if rows else []
    views = [notification_view(row) for row in rows]
    return respond(NotificationsResponse(notifications=views, next=next_page(rows, limit, last)))


async def get_person_notifications(request: web.Request) -> web.Response:
    limit, start = page_size(request), time_and_id_after(request)
    person = await read_person(request, current_user(request).id)
    async with mirror(request) as (reads, connection):
        rows = await reads.notifications_about(connection, person.id, limit, start)
    return notifications_page(rows, limit)


async def get_subscriber_notifications(request: web.Request) -> web.Response:
    limit, start = page_size(request), time_and_id_after(request)
    found = await read_subscriber(request)
    async with mirror(request) as (reads, connection):
        rows = await reads.notifications_to(connection, found.id, limit, start)
    return notifications_page(rows, limit)


async def get_labours(request: web.Request) -> web.Response:
    limit, start = page_size(request), time_and_id_after(request)
    person = await read_person(request, current_user(request).id)
    async with mirror(request) as (reads, connection):
        rows = await reads.labours(connection, person.id, limit, start)
    last = [rows[-1].start_time.isoformat(), rows[-1].id] if rows else []
    return respond(LaboursResponse(labours=[labour_view(row) for row in rows], next=next_page(rows, limit, last)))


async def get_subscribers(request: web.Request) -> web.Response:
    limit, after = page_size(request), position_after(request, 1)
    person = await read_person(request, current_user(request).id)
    async with mirror(request) as (reads, connection):
        rows = await reads.subscribers_of(connection, person.id, limit, after[0] if after else None)
    views = [SubscriberSummaryView.model_validate(row, from_attributes=True) for row in rows]
    last = [rows[-1].id] if rows else []
    return respond(SubscribersResponse(subscribers=views, next=next_page(rows, limit, last)))


async def get_follow_requests(request: web.Request) -> web.Response:
    """Who asks to follow the caller, in the order they asked (from their record), with names from the mirror."""
    person = await read_person(request, current_user(request).id)
    async with mirror(request) as (reads, connection):
        names = await reads.subscriber_names(connection, list(person.follow_requests))
    views = [
        FollowRequestView(
            id=each, first_name=found.first_name if found else None, last_name=found.last_name if found else None
        )
        for each in person.follow_requests
        for found in [names.get(each)]
    ]
    return respond(FollowRequestsResponse(follow_requests=views))


async def get_subscriptions(request: web.Request) -> web.Response:
    limit, after = page_size(request), position_after(request, 1)
    found = await read_subscriber(request)
    async with mirror(request) as (reads, connection):
        rows = await reads.followed_by(connection, found.id, limit, after[0] if after else None)
    views = [FollowedPersonView.model_validate(row, from_attributes=True) for row in rows]
    last = [rows[-1].id] if rows else []
    return respond(SubscriptionsResponse(subscriptions=views, next=next_page(rows, limit, last)))


def labour_id_in_path(request: web.Request) -> str:
    """The `{labour_id}` of the path; one that cannot be any labour's (too long, or with control characters or lone
    surrogates, which PostgreSQL would refuse) is not found."""
    labour_id = request.match_info["labour_id"]
    if len(labour_id) > MAX_AGGREGATE_ID_LENGTH or not labour_id.isprintable():
        raise LABOUR_NOT_FOUND
    return labour_id


async def held(request: web.Request, reader: User, labour_id: str) -> bool:
    """Whether the mirror holds `labour_id` as one of `reader`'s labours."""
    async with mirror(request) as (reads, connection):
        found = await reads.labour(connection, labour_id)
    return found is not None and found.birthing_person_id == reader.id


async def delete_labour(request: web.Request) -> web.Response:
    """A completed labour deleted from the caller's history: one their record or the mirror knows as theirs."""
    await without_body(request)
    labour_id = labour_id_in_path(request)
    reader = current_user(request)
    person = await read_person(request, reader.id)
    recent = {each.id for each in person.past_labours} | ({person.latest_labour.id} if person.latest_labour else set())
    if labour_id not in recent and not await held(request, reader, labour_id):
        raise LABOUR_NOT_FOUND
    data = commands.DeleteLabourData(labour_id=labour_id)
    after = await send_command(
        request, BIRTHING_PERSON, reader.id, commands.DELETE_LABOUR, data, chosen_id=command_id(request, None)
    )
    return respond(BirthingPersonResponse(birthing_person=BirthingPersonView.of(after)))
