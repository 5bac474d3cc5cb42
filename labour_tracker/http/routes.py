"""Every endpoint of /api/v1 in one table: the router, authentication and the OpenAPI document all read it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from labour_tracker.http import birthing_person, health, labour
from labour_tracker.http.plumbing import request_body
from labour_tracker.http.schemas import (
    BirthingPersonResponse,
    HealthResponse,
    LabourResponse,
    LabourSummaryResponse,
    ReadinessResponse,
    SubscriptionTokenResponse,
)
from labour_tracker.messages.birthing_person import (
    BeginLabourData,
    CompleteLabourData,
    EndContractionData,
    StartContractionData,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False
    command: bool = False  # sends a command: takes Idempotency-Key, may answer 504

    @property
    def statuses(self) -> tuple[int, ...]:
        implied: tuple[int, ...] = () if self.public else (401,)
        implied += (400, 422) if self.body else ()
        implied += (503, 504) if self.command else (503,) if not self.public else ()
        return tuple(sorted({*self.errors, *implied}))


ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", health.health, "Liveness: the worker answers.", "operations",
          response=HealthResponse, public=True),
    Route("GET", "/ready", health.ready, "Readiness: Kafka and PostgreSQL answer (503 otherwise).", "operations",
          response=ReadinessResponse, public=True),
    Route("POST", "/birthing-person/register", birthing_person.register,
          "Register yourself as a birthing person (names from your token).", "birthing person",
          response=BirthingPersonResponse, status=201, errors=(409,), command=True),
    Route("GET", "/birthing-person/", birthing_person.get_birthing_person, "Your birthing-person record.",
          "birthing person", response=BirthingPersonResponse, errors=(404,)),
    Route("GET", "/birthing-person/subscription-token", birthing_person.get_subscription_token,
          "The token subscribers need to follow you.", "birthing person",
          response=SubscriptionTokenResponse, errors=(404,)),
    Route("POST", "/birthing-person/subscription-token/rotate", birthing_person.rotate_subscription_token,
          "Rotate your subscription token: every earlier token stops working.", "birthing person",
          response=SubscriptionTokenResponse, errors=(400, 404), command=True),
    Route("POST", "/labour/begin", labour.begin, "Begin labour (back-dating allowed).", "labour",
          response=LabourResponse, body=request_body(BeginLabourData), errors=(404,), command=True),
    Route("POST", "/labour/contraction/start", labour.start_contraction, "Start a contraction.", "labour",
          response=LabourResponse, body=request_body(StartContractionData), errors=(404,), command=True),
    Route("PUT", "/labour/contraction/end", labour.end_contraction, "End the active contraction.", "labour",
          response=LabourResponse, body=request_body(EndContractionData), errors=(404,), command=True),
    Route("PUT", "/labour/complete", labour.complete, "Complete the active labour.", "labour",
          response=LabourResponse, body=request_body(CompleteLabourData), errors=(404,), command=True),
    Route("GET", "/labour/active", labour.active, "The active labour, its contractions and pattern.", "labour",
          response=LabourResponse, errors=(404,)),
    Route("GET", "/labour/active/summary", labour.active_summary, "Phase, pattern and alerts of the active labour.",
          "labour", response=LabourSummaryResponse, errors=(404,)),
)  # fmt: skip


def add_routes(api: web.Application) -> None:
    for route in ROUTES:
        api.router.add_route(route.method, route.path, route.handler)


PUBLIC_PATHS = frozenset(route.path for route in ROUTES if route.public) | {"/openapi.json"}
