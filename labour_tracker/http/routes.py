"""Every endpoint of /api/v1 in one table: the router, authentication and the OpenAPI document all read it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from labour_tracker import probes
from labour_tracker.domain import limits
from labour_tracker.domain.limits import Limit
from labour_tracker.http import (
    birthing_person,
    export,
    health,
    history,
    labour,
    live,
    provider_reports,
    resends,
    subscriber,
)
from labour_tracker.http.errors import STATUS
from labour_tracker.http.schemas import (
    BirthingPersonResponse,
    FollowRequestsResponse,
    HealthResponse,
    LabourExportResponse,
    LabourPlanResponse,
    LabourResponse,
    LaboursResponse,
    LabourSummaryResponse,
    NotificationsResponse,
    ReadinessResponse,
    ResendResponse,
    SubscriberResponse,
    SubscribersResponse,
    SubscriptionsResponse,
    SubscriptionTokenResponse,
    TwilioStatusForm,
)
from labour_tracker.messages import birthing_person as person_commands
from labour_tracker.messages import subscriber as subscriber_commands
from labour_tracker.messages.commands import CommandType
from labour_tracker.messages.envelopes import RECORD_TOO_LARGE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False
    sends: CommandType[Any] | None = None  # the command it sends: it takes Idempotency-Key, may answer 504
    paged: bool = False  # a list from the mirror: takes `limit` and `after`
    limits: tuple[Limit, ...] = ()  # the limits the request may meet, each refused with its own code
    download: bool = False  # a file in the format `?format=` names (`response` is its JSON form), not a JSON answer
    form: type[BaseModel] | None = None  # a form-encoded body (a provider's callback), documented but not parsed here
    parameters: tuple[dict[str, Any], ...] = ()  # more parameters (query, header) for the OpenAPI document
    request: type[BaseModel] | None = None  # its body, where it is not the body of the command it sends
    operation_id: str | None = None  # the OpenAPI operation's id when its view serves another route too
    stream: str | None = None  # a stream of server-sent events (`text/event-stream`), described so
    body_optional: bool = False  # its body may be left out
    not_ready: type[BaseModel] | None = None  # its 503 answer while the worker is not ready, where that is no error

    @property
    def operation(self) -> str:
        return self.operation_id or self.handler.__name__

    @property
    def command(self) -> bool:
        return self.sends is not None

    @property
    def body(self) -> type[BaseModel] | None:
        if self.request is not None:
            return self.request
        return self.sends.request if self.sends else None

    @property
    def codes(self) -> dict[int, list[tuple[str, str]]]:
        """The stable error codes of its refusals for reaching a limit, with what each means, by status."""
        codes: dict[int, list[tuple[str, str]]] = {}
        for limit in self.limits:
            codes.setdefault(STATUS[limit.kind.value], []).append(
                (limit.code, f"at most {limit.maximum:,} {limit.counts}")
            )
        if self.command:
            codes.setdefault(422, []).append((RECORD_TOO_LARGE, "what it would write does not fit in a Kafka message"))
        return codes

    @property
    def statuses(self) -> tuple[int, ...]:
        implied: tuple[int, ...] = () if self.public else (401,)
        # 400: a body that is not JSON, a bad page cursor, or a command's Idempotency-Key that is no command id.
        implied += (400, 413, 422) if self.body else (400,) if self.paged or self.command or self.download else ()
        # 409: a command whose Idempotency-Key was already used for a command of another type; 422: one used for
        # another body, or one whose record would not fit in a Kafka message; 429: past the cap on commands a minute.
        implied += (409, 422, 429, 503, 504) if self.command else (503,) if not self.public else ()
        return tuple(sorted({*self.errors, *implied}))


NOTE_LIMITS = (limits.NOTE_BYTES, limits.NOTES_BYTES_PER_LABOUR)
UPDATE_LIMITS = (limits.UPDATE_MESSAGE_LENGTH, *NOTE_LIMITS)
COOLDOWN = f"{limits.ANNOUNCEMENT_COOLDOWN.seconds // 60} minutes"

ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", probes.health, "Liveness: the worker answers.", "operations",
          response=HealthResponse, public=True),
    Route("GET", "/ready", health.ready, "Readiness: Kafka and PostgreSQL answer, the worker serves and its live feed "
          "follows (503 otherwise).", "operations",
          response=ReadinessResponse, public=True, not_ready=ReadinessResponse),
    Route("GET", "/metrics", probes.metrics, "Prometheus metrics of this worker (text format).", "operations",
          public=True),
    Route("POST", "/twilio/status", provider_reports.twilio_status,
          "Twilio's delivery status callback (form fields `MessageSid`, `MessageStatus`; the notification's id in the "
          "query): authenticated by `X-Twilio-Signature`, not a bearer token (403 without a valid one). A sent SMS "
          "moves on to delivered or undelivered, forward only; 204 once taken, known notification or not.",
          "notifications", status=204, errors=(400, 403, 415, 503), public=True, form=TwilioStatusForm,
          parameters=(
              {"name": "notification", "in": "query", "required": True, "schema": {"type": "string"},
               "description": "The notification's id, as the service put it in the callback URL."},
              {"name": "X-Twilio-Signature", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "Twilio's signature of the public URL and the form; without a valid one, 403."},
          )),
    Route("POST", "/birthing-person/register", birthing_person.register,
          "Register yourself as a birthing person (names from your token).", "birthing person",
          response=BirthingPersonResponse, status=201, errors=(409, 422), sends=person_commands.REGISTER),
    Route("GET", "/birthing-person/", birthing_person.get_birthing_person, "Your birthing-person record.",
          "birthing person", response=BirthingPersonResponse, errors=(404,)),
    Route("DELETE", "/birthing-person/", birthing_person.erase_birthing_person,
          "Delete your account: your record, labours and subscribers go at once; what Kafka keeps of you can no "
          "longer be read (see the README's *Erasure*). Again, or unregistered: 204 all the same.",
          "birthing person", status=204, errors=(400,), sends=person_commands.ERASE),
    Route("GET", "/birthing-person/subscription-token", birthing_person.get_subscription_token,
          "The token subscribers need to follow you.", "birthing person",
          response=SubscriptionTokenResponse, errors=(404,)),
    Route("POST", "/birthing-person/subscription-token/rotate", birthing_person.rotate_subscription_token,
          "Rotate your subscription token: every earlier token stops working; with `{\"remove_followers\": true}` "
          "everyone who follows you now stops too.", "birthing person",
          response=SubscriptionTokenResponse, errors=(404,),
          sends=person_commands.ROTATE_SUBSCRIPTION_TOKEN),
    Route("DELETE", "/birthing-person/subscribers/{subscriber_id}", birthing_person.remove_follower,
          "Stop a subscriber following you (they can follow again with a current link; 404 if they do not follow "
          "you).", "birthing person", response=BirthingPersonResponse, errors=(400, 404),
          sends=person_commands.REMOVE_FOLLOWER),
    Route("PUT", "/birthing-person/blocked/{subscriber_id}", birthing_person.block_subscriber,
          "Block a subscriber: they stop following you, and cannot follow again with any link until unblocked.",
          "birthing person", response=BirthingPersonResponse, errors=(400, 404),
          sends=person_commands.REMOVE_FOLLOWER, limits=(limits.BLOCKED_PER_PERSON,)),
    Route("DELETE", "/birthing-person/blocked/{subscriber_id}", birthing_person.unblock_subscriber,
          "Unblock a subscriber: they may follow again with a current link.", "birthing person",
          response=BirthingPersonResponse, errors=(400, 404), sends=person_commands.UNBLOCK_SUBSCRIBER),
    Route("POST", "/labour/plan", labour.plan,
          "Plan the labour to come, or replace its plan (it keeps its id): due date, first labour or not, a name. "
          "400 `labour_already_active` while one is under way.", "labour",
          response=LabourPlanResponse, errors=(404,), sends=person_commands.PLAN_LABOUR),
    Route("DELETE", "/labour/plan", labour.cancel_plan, "Drop the plan of the labour to come (404 without one).",
          "labour", status=204, errors=(404,), sends=person_commands.CANCEL_PLAN),
    Route("GET", "/labour/planned", labour.planned, "The labour to come, as planned (404 `labour_not_found` "
          "without a plan).", "labour", response=LabourPlanResponse, errors=(404,)),
    Route("POST", "/labour/begin", labour.begin,
          "Begin labour: the planned one, if any, with its id and name, and its `first_labour` unless given "
          "(required without a plan: 422 `first_labour_required`). Back-dating allowed; 429 past the labours a day.",
          "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.BEGIN_LABOUR),
    Route("POST", "/labour/contraction/start", labour.start_contraction, "Start a contraction.", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.START_CONTRACTION,
          limits=(limits.CONTRACTIONS_PER_LABOUR, *NOTE_LIMITS)),
    Route("PUT", "/labour/contraction/end", labour.end_contraction, "End the active contraction.", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.END_CONTRACTION, limits=NOTE_LIMITS),
    Route("PUT", "/labour/complete", labour.complete, "Complete the active labour.", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.COMPLETE_LABOUR, limits=NOTE_LIMITS),
    Route("POST", "/labour/contractions", labour.add_contraction,
          "Add a missed contraction between the others (ended; no overlap, nothing in the future, within the labour).",
          "labour", response=LabourResponse, errors=(404,), sends=person_commands.ADD_CONTRACTION,
          limits=(limits.CONTRACTIONS_PER_LABOUR, *NOTE_LIMITS)),
    Route("POST", "/labour/contractions/undo", labour.undo_contraction_change,
          "Undo the latest edit, addition or deletion of a contraction (within 10 minutes; 400 `nothing_to_undo`).",
          "labour", response=LabourResponse, errors=(400, 404), sends=person_commands.UNDO_CONTRACTION_CHANGE),
    Route("PUT", "/labour/contractions/{contraction_id}", labour.edit_contraction,
          "Correct a contraction of your latest labour: each field given replaces it (notes \"\" removes them). "
          "Phase and alerts are judged again; none is raised twice, and the phase never moves back.", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.EDIT_CONTRACTION, limits=NOTE_LIMITS),
    Route("DELETE", "/labour/contractions/{contraction_id}", labour.delete_contraction,
          "Delete a contraction of your latest labour, timed by mistake.", "labour",
          response=LabourResponse, errors=(400, 404), sends=person_commands.DELETE_CONTRACTION),
    Route("GET", "/labour/active", labour.active,
          "The active labour, its contractions, pattern and updates (yours all, private notes too).", "labour",
          response=LabourResponse, errors=(404,)),
    Route("GET", "/labour/active/summary", labour.active_summary, "Phase, pattern and alerts of the active labour.",
          "labour", response=LabourSummaryResponse, errors=(404,)),
    Route("POST", "/labour/updates", labour.post_update,
          "Post an update of the labour under way: an `announcement` (sent to your subscribers by SMS and email; "
          f"one every {COOLDOWN} at most: 429 `announcement_too_soon` with Retry-After), a `status_update` (shown to "
          "them when they read your labour, never sent) or a `private_note` (yours alone).", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.POST_UPDATE,
          limits=(limits.UPDATES_PER_LABOUR, *UPDATE_LIMITS)),
    Route("POST", "/labour/updates/quick", labour.post_quick_update,
          "Announce a common moment with one tap, in the service's words (an announcement: the same "
          f"{COOLDOWN} apart, 429 `announcement_too_soon`).", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.POST_UPDATE,
          limits=(limits.UPDATES_PER_LABOUR,), request=person_commands.QuickUpdateRequest),
    Route("PUT", "/labour/updates/{update_id}", labour.edit_update,
          "Replace the message of an update of your latest labour, under way or completed (an announcement is not "
          "sent again; 404 `labour_update_not_found`).", "labour",
          response=LabourResponse, errors=(404,), sends=person_commands.EDIT_UPDATE, limits=UPDATE_LIMITS),
    Route("DELETE", "/labour/updates/{update_id}", labour.delete_update,
          "Delete an update of your latest labour, under way or completed (404 `labour_update_not_found`).",
          "labour", response=LabourResponse, errors=(404,), sends=person_commands.DELETE_UPDATE),
    # Subscriptions: a subscriber follows birthing persons who shared their token; the persons see who follows them.
    Route("POST", "/subscriber/register", subscriber.register_subscriber,
          "Register yourself as a subscriber with the ways to tell you (names, phone, email from your token).",
          "subscriber", response=SubscriberResponse, status=201, errors=(409,),
          sends=subscriber_commands.REGISTER),
    Route("GET", "/subscriber/", subscriber.get_subscriber, "Your subscriber record.", "subscriber",
          response=SubscriberResponse, errors=(404,)),
    Route("DELETE", "/subscriber/", subscriber.erase_subscriber,
          "Delete your subscriber account: your record and subscriptions go at once, and no news is sent to you "
          "after it; what Kafka keeps of you can no longer be read (see the README's *Erasure*). Again, or "
          "unregistered: 204 all the same.", "subscriber", status=204, errors=(400,), sends=subscriber_commands.ERASE),
    Route("PUT", "/subscriber/contact-methods", subscriber.update_contact_methods,
          "Change the ways to tell you: sms, email or both.", "subscriber",
          response=SubscriberResponse, errors=(404,), sends=subscriber_commands.UPDATE_CONTACT_METHODS),
    Route("POST", "/subscriber/confirmation-code", subscriber.send_confirmation_code,
          "Send a one-time code to your phone (`sms`) or email address, to confirm it: notifications go only to "
          "confirmed destinations (those your identity provider verified are confirmed at once). 429 past 3 codes "
          "an hour.", "subscriber", response=SubscriberResponse, errors=(404,),
          sends=subscriber_commands.REQUEST_CONFIRMATION_CODE),
    Route("POST", "/subscriber/confirm", subscriber.confirm_contact,
          "Confirm your phone or email address with the code sent there (valid 10 minutes; 400 "
          "`invalid_confirmation_code`).", "subscriber", response=SubscriberResponse, errors=(404,),
          sends=subscriber_commands.CONFIRM_CONTACT),
    Route("POST", "/subscriber/subscribe_to/{birthing_person_id}", subscriber.subscribe_to,
          "Follow a birthing person with the token they shared: 404 unknown person, 403 wrong or rotated token, "
          "400 already subscribed or yourself, 429 too many wrong tokens from you or your address lately.",
          "subscriber", response=SubscriberResponse, errors=(403, 404, 429), sends=subscriber_commands.SUBSCRIBE_TO,
          limits=(limits.SUBSCRIBERS_PER_PERSON, limits.SUBSCRIPTIONS_PER_SUBSCRIBER)),
    Route("PUT", "/subscriber/subscriptions/{birthing_person_id}/contact-methods",
          subscriber.set_subscription_contact_methods,
          "Choose the ways to tell you about one person you follow (sms, email or both), whatever your account's "
          "(400 `not_subscribed` unless you follow them).", "subscriber",
          response=SubscriberResponse, errors=(404,), sends=subscriber_commands.SET_SUBSCRIPTION_CONTACT_METHODS),
    Route("POST", "/subscriber/unsubscribe_from", subscriber.unsubscribe_from,
          "Stop following a birthing person (400 when not subscribed).", "subscriber",
          response=SubscriberResponse, errors=(404,), sends=subscriber_commands.UNSUBSCRIBE_FROM),
    Route("GET", "/subscriber/subscriptions", history.get_subscriptions,
          "The birthing persons you follow, with their names and the channels you are told by, by id (from the "
          "mirror).", "subscriber",
          response=SubscriptionsResponse, errors=(404,), paged=True),
    Route("GET", "/birthing-person/subscribers", history.get_subscribers,
          "Your subscribers with their names and the channels each chose for you, by id (from the mirror).",
          "birthing person",
          response=SubscribersResponse, errors=(404,), paged=True),
    Route("GET", "/birthing-person/labours", history.get_labours,
          "Your labours, latest first, each with its contractions (from the mirror).", "birthing person",
          response=LaboursResponse, errors=(404,), paged=True),
    Route("GET", "/birthing-person/labours/{labour_id}/export", export.export_labour,
          "Download one of your labours with all its contractions, as CSV (one row per contraction) or JSON "
          "(from the mirror, streamed). Another person's labour is not found (404 `labour_not_found`).",
          "birthing person", response=LabourExportResponse, errors=(404,), download=True),
    Route("DELETE", "/birthing-person/labours/{labour_id}", history.delete_labour,
          "Delete one of your completed labours from your history, with its contractions and the notifications "
          "about it (400 `labour_in_progress` for the one under way).", "birthing person",
          response=BirthingPersonResponse, errors=(400, 404), sends=person_commands.DELETE_LABOUR),
    Route("GET", "/birthing-person/notifications", history.get_person_notifications,
          "What was sent about your labours: to whom, by which channel, when, its status and where it went (masked), "
          "newest first (from the mirror).", "birthing person", response=NotificationsResponse, errors=(404,),
          paged=True),
    Route("POST", "/birthing-person/notifications/{notification_id}/resend", resends.resend_notification,
          "Send a failed notification about you again, on the same channel, to the same subscriber if they still "
          "follow you and the channel is confirmed, with the words its news carries now: an announcement's message "
          "as it reads now, a quick update's moment, your completion notes (at most 3 times; 409 `not_failed`, "
          "`destination_cap`, `already_resent` while the latest resend has not failed, `resend_limit_reached`, "
          "`is_a_resend`, `news_withdrawn` once the update or labour it told of was deleted). 202 with the resend's "
          "id; its status shows in the list a moment later. Another person's, or unknown: 404.", "birthing person",
          response=ResendResponse, status=202, errors=(404, 409, 503)),
    Route("GET", "/subscriber/notifications", history.get_subscriber_notifications,
          "What you were sent: about whom, by which channel, when, its status and where it went (masked), newest "
          "first (from the mirror).", "subscriber", response=NotificationsResponse, errors=(404,), paged=True),
    Route("GET", "/birthing-person/{birthing_person_id}/labour/active", labour.followed_active,
          "The active labour of a birthing person you follow, with their announcements and status updates (never "
          "their private notes; 403 unless you are subscribed).", "subscriber",
          response=LabourResponse, errors=(403, 404)),
    Route("GET", "/birthing-person/{birthing_person_id}/labour/active/summary", labour.followed_active_summary,
          "Phase, pattern and alerts of the active labour of a birthing person you follow (403 unless subscribed).",
          "subscriber", response=LabourSummaryResponse, errors=(403, 404)),
    # Follow requests and roles: the person approves or rejects who asks to follow, and gives each follower a role.
    Route("GET", "/birthing-person/follow-requests", history.get_follow_requests,
          "Who asks to follow you, in the order they asked, with their names (from the mirror; null until there).",
          "birthing person", response=FollowRequestsResponse, errors=(404,)),
    Route("POST", "/birthing-person/follow-requests/{subscriber_id}/approve", birthing_person.approve_follow_request,
          "Let a subscriber who asked follow you, as `birth_partner` (records contractions for you, exports the "
          "labour, hears every alert) or `friends_and_family` (reads the labour; hears that it began, announcements "
          "and that it is complete). 404 `follow_request_not_found`.", "birthing person",
          response=BirthingPersonResponse, errors=(404,), sends=person_commands.APPROVE_FOLLOW_REQUEST),
    Route("POST", "/birthing-person/follow-requests/{subscriber_id}/reject", birthing_person.reject_follow_request,
          "Turn a follow request down: the subscriber stops asking (they may ask again with a current link); with "
          "`{\"block\": true}` no link lets them ask again until unblocked. 404 `follow_request_not_found`.",
          "birthing person", response=BirthingPersonResponse, errors=(404,),
          sends=person_commands.REJECT_FOLLOW_REQUEST, limits=(limits.BLOCKED_PER_PERSON,)),
    Route("PUT", "/birthing-person/subscribers/{subscriber_id}/role", birthing_person.change_follower_role,
          "Change a follower's role (404 `subscriber_not_found` unless they follow you).", "birthing person",
          response=BirthingPersonResponse, errors=(404,), sends=person_commands.CHANGE_FOLLOWER_ROLE),
    Route("PUT", "/birthing-person/settings", birthing_person.change_follower_settings,
          "Your settings: `approve_followers_at_once` makes a subscribe with your token a follower at once, as "
          "friends and family, instead of a follow request.", "birthing person",
          response=BirthingPersonResponse, errors=(404,), sends=person_commands.CHANGE_FOLLOWER_SETTINGS),
    # A birth partner records and corrects contractions for the person they follow (403 `not_birth_partner`).
    Route("POST", "/birthing-person/{birthing_person_id}/labour/contraction/start", labour.start_contraction,
          "Start a contraction for a birthing person whose birth partner you are.", "birth partner",
          response=LabourResponse, errors=(403, 404), sends=person_commands.START_CONTRACTION,
          limits=(limits.CONTRACTIONS_PER_LABOUR, *NOTE_LIMITS),
          operation_id="start_contraction_for_person"),
    Route("PUT", "/birthing-person/{birthing_person_id}/labour/contraction/end", labour.end_contraction,
          "End the active contraction of a birthing person whose birth partner you are.", "birth partner",
          response=LabourResponse, errors=(403, 404), sends=person_commands.END_CONTRACTION, limits=NOTE_LIMITS,
          operation_id="end_contraction_for_person"),
    Route("POST", "/birthing-person/{birthing_person_id}/labour/contractions", labour.add_contraction,
          "Add a missed contraction for a birthing person whose birth partner you are.", "birth partner",
          response=LabourResponse, errors=(403, 404), sends=person_commands.ADD_CONTRACTION,
          limits=(limits.CONTRACTIONS_PER_LABOUR, *NOTE_LIMITS),
          operation_id="add_contraction_for_person"),
    Route("POST", "/birthing-person/{birthing_person_id}/labour/contractions/undo", labour.undo_contraction_change,
          "Undo the latest correction of a contraction, for a birthing person whose birth partner you are.",
          "birth partner", response=LabourResponse, errors=(400, 403, 404),
          sends=person_commands.UNDO_CONTRACTION_CHANGE,
          operation_id="undo_contraction_change_for_person"),
    Route("PUT", "/birthing-person/{birthing_person_id}/labour/contractions/{contraction_id}",
          labour.edit_contraction,
          "Correct a contraction of the latest labour of a birthing person whose birth partner you are.",
          "birth partner", response=LabourResponse, errors=(403, 404), sends=person_commands.EDIT_CONTRACTION,
          limits=NOTE_LIMITS,
          operation_id="edit_contraction_for_person"),
    Route("DELETE", "/birthing-person/{birthing_person_id}/labour/contractions/{contraction_id}",
          labour.delete_contraction,
          "Delete a contraction of the latest labour of a birthing person whose birth partner you are.",
          "birth partner", response=LabourResponse, errors=(400, 403, 404),
          sends=person_commands.DELETE_CONTRACTION,
          operation_id="delete_contraction_for_person"),
    Route("POST", "/birthing-person/{birthing_person_id}/labour/updates", labour.post_update,
          "Post a status update of the labour under way for a birthing person whose birth partner you are (shown to "
          "their followers, never sent; 403 `not_allowed_for_birth_partner` for an announcement or a private note).",
          "birth partner", response=LabourResponse, errors=(403, 404), sends=person_commands.POST_UPDATE,
          limits=(limits.UPDATES_PER_LABOUR, *UPDATE_LIMITS), operation_id="post_update_for_person"),
    Route("PUT", "/birthing-person/{birthing_person_id}/labour/updates/{update_id}", labour.edit_update,
          "Replace the message of a status update you posted for a birthing person whose birth partner you are (403 "
          "`not_allowed_for_birth_partner` for anyone else's).", "birth partner",
          response=LabourResponse, errors=(403, 404), sends=person_commands.EDIT_UPDATE, limits=UPDATE_LIMITS,
          operation_id="edit_update_for_person"),
    Route("DELETE", "/birthing-person/{birthing_person_id}/labour/updates/{update_id}", labour.delete_update,
          "Delete a status update you posted for a birthing person whose birth partner you are.", "birth partner",
          response=LabourResponse, errors=(403, 404), sends=person_commands.DELETE_UPDATE,
          operation_id="delete_update_for_person"),
    Route("GET", "/birthing-person/{birthing_person_id}/labours/{labour_id}/export", export.export_labour,
          "Download a labour of a birthing person whose birth partner you are, as CSV or JSON (from the mirror, "
          "streamed; the role as the mirror holds it). 403 `not_birth_partner` for other followers; 404 otherwise.",
          "birth partner", response=LabourExportResponse, errors=(403, 404), download=True,
          operation_id="export_labour_for_person"),
    # Live: a labour followed as it happens, by server-sent events (an EventSource sends no bearer token: a ticket).
    Route("POST", "/live/tickets", live.issue_ticket,
          "A ticket to follow a labour live: yours, or with `birthing_person_id` that of a person you follow. It "
          "opens one stream, once, on any worker, within a minute (`GET` the `stream` path it gives).", "live",
          response=live.TicketResponse, status=201, errors=(404,), request=live.TicketRequest, body_optional=True),
    Route("GET", "/live/birthing-person/{birthing_person_id}", live.stream,
          "Follow a labour live as server-sent events (`text/event-stream`), authenticated by the `ticket` "
          "of `POST /live/tickets`, not a bearer token. 401 `ticket_required`, `invalid_ticket`, `ticket_expired`, "
          "`ticket_used`; 403 `not_subscribed` unless it is you or you follow them; 429 `too_many_streams` or "
          "`live_streams_full`; 503 `live_not_ready` while the server starts.", "live",
          errors=(401, 403, 404, 429, 503), public=True, stream=live.STREAM_EVENTS,
          parameters=(
              {"name": "ticket", "in": "query", "required": True, "schema": {"type": "string"},
               "description": "The ticket `POST /live/tickets` gave; good once, for a minute."},
              {"name": "Last-Event-ID", "in": "header", "required": False,
               "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
               "description": "The id of the last event seen: the stream starts with what came after it."},
              {"name": "last_event_id", "in": "query", "required": False,
               "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
               "description": "The same, for a new EventSource, which cannot set the header."},
          )),
    Route("GET", "/live/birthing-person/{birthing_person_id}/snapshot", live.owner_snapshot,
          "Internal, between workers: the labour a stream open on another worker starts with, for the worker "
          "holding the person to answer (401 without that worker's pass).", "live",
          response=live.SnapshotResponse, errors=(401, 403, 404, 503), public=True,
          parameters=(
              {"name": live.PASS_HEADER, "in": "header", "required": False, "schema": {"type": "string"},
               "description": "The asking worker's short-lived pass, signed with the service's secret."},
          )),
)  # fmt: skip


def add_routes(api: web.Application) -> None:
    for route in ROUTES:
        if route.method == "GET":
            api.router.add_get(route.path, route.handler)  # answers HEAD too, as load balancers probe with it
        else:
            api.router.add_route(route.method, route.path, route.handler)


PUBLIC_PATHS = frozenset(route.path for route in ROUTES if route.public) | {"/openapi.json"}
