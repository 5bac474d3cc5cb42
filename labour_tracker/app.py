"""The Faust application class: Kafka settings, the worker's transport and reply consumer, and its start-up.

It knows nothing of the agents, tables or API: `labour_tracker.worker` builds one and wires those onto it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from typing import Any, cast

import faust
from faust.agents import ReplyConsumer
from faust.models import maybe_model
from faust.types import ChannelT, TransportT
from mode.utils.objects import cached_property

from labour_tracker.settings import Settings
from labour_tracker.transport import WorkerTransport


class OneChannelReplyConsumer(ReplyConsumer):
    """Faust's reply consumer, reading the reply topic through one channel and dropping repeated replies.

    - The reply topic is registered with the conductor once: a second channel nobody reads would fill past its
      high-pressure mark and pause the reply partition for good, leaving every later ask unanswered.
    - A second reply for one correlation id (a command redelivered after a rebalance) is dropped: fulfilling a
      promise twice raises, which would end the drain.
    """

    async def _start_fetcher(self, topic_name: str) -> None:
        if topic_name not in self._fetchers:
            self._fetchers[topic_name] = None  # claimed, so it starts once
            topic = self._reply_topic(topic_name)
            await topic.maybe_declare()
            # Iterating the stream registers the topic's one reading channel; the topic itself is not added.
            self._fetchers[topic_name] = self.add_future(self._drain_replies(topic))

    async def _drain_replies(self, channel: ChannelT[Any]) -> None:
        async for reply in channel.stream():
            self.fulfil(reply.correlation_id, maybe_model(reply.value))

    def fulfil(self, correlation_id: str, value: Any) -> bool:
        """Answer the asks waiting for `correlation_id`; False if none is (a late or repeated reply: dropped)."""
        waiting = [promise for promise in self._waiting.pop(correlation_id, ()) if not promise.done()]
        for promise in waiting:
            promise.fulfill(correlation_id, value)
        return bool(waiting)


FRAMES = ("cr_frame", "gi_frame", "ag_frame")  # of a coroutine, a generator, an async generator


def _awaited(awaitable: Any) -> Any:
    """What a coroutine or generator is suspended on, if that has frames of its own."""
    inner = next((getattr(awaitable, name) for name in ("cr_await", "gi_yieldfrom", "ag_await")
                  if getattr(awaitable, name, None) is not None), None)  # fmt: skip
    if inner is None or any(hasattr(inner, name) for name in FRAMES):
        return inner
    if isinstance(inner, asyncio.Task):
        return inner.get_coro()
    # A wrapper (what `coroutine.__await__()` or an async generator's `asend` gives) names its coroutine nowhere
    # public; the garbage collector knows it.
    return next((each for each in gc.get_referents(inner) if any(hasattr(each, name) for name in FRAMES)), None)


def awaited_frames(awaitable: Any) -> list[Any]:
    """The frames of a coroutine and of everything it awaits in turn, outermost first."""
    frames: list[Any] = []
    while awaitable is not None and len(frames) < 100:
        frame = next((getattr(awaitable, name) for name in FRAMES if getattr(awaitable, name, None)), None)
        if frame is not None:
            frames.append(frame)
        awaitable = _awaited(awaitable)
    return frames


def settle_heap() -> None:
    """Keep what a worker or mirror process built to start (modules, schemas, services: most of its objects, there for
    good) out of the garbage collector's full passes: each would walk all of it, holding the event loop for tens of ms
    or more."""
    gc.collect()  # garbage left at the freeze would be kept for good
    gc.freeze()


def log_task_stacks() -> None:
    """Where each of the worker's coroutines waits (on SIGUSR2): mode's SIGUSR1 dump shows only threads, which in a
    stuck worker all wait in their event loops. File, line and function only: no values, so no personal data."""
    for task in asyncio.all_tasks():
        where = " <- ".join(
            f"{frame.f_code.co_name} ({frame.f_code.co_filename}:{frame.f_lineno})"
            for frame in reversed(awaited_frames(task.get_coro()))
        )
        logging.getLogger(__name__).warning("task %s waits in %s", task.get_name(), where)


# The RocksDB store is Faust's as `labour_tracker.tables.store` runs it.
FAUST_STORES = {"rocksdb://": "labour-tracker-rocksdb://", "memory://": "memory://"}


class MendedApp(faust.App):
    """Faust's app with the worker's Kafka transport and reply consumer, so that no message or ask is lost."""

    def _new_transport(self) -> TransportT:
        return WorkerTransport(self.conf.broker_consumer, self)

    @cached_property
    def _reply_consumer(self) -> ReplyConsumer:
        return OneChannelReplyConsumer(self, loop=self.loop, beacon=self.beacon)


class LabourTrackerApp(MendedApp):
    """A Faust app whose worker web server also serves the REST API."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.settings = settings
        self.declared_topics: list[faust.TopicT] = []  # created with their partitions before any is used
        self.mount_api: Callable[[Any], None] | None = None  # serves the REST API on the worker's web server
        self._serving_api: list[Any] = []
        self.topics_declared = asyncio.Event()  # commands wait for it: an undeclared topic would be mis-created
        sasl = settings.kafka.sasl()
        super().__init__(
            settings.app_id,
            broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
            broker_credentials=(
                faust.SASLCredentials(mechanism=sasl["mechanism"], username=sasl["username"], password=sasl["password"])
                if sasl
                else None
            ),
            store=FAUST_STORES[settings.store],
            datadir=str(settings.data_dir),
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=settings.topic_replication_factor,
            broker_session_timeout=settings.kafka_session_timeout,
            broker_heartbeat_interval=settings.kafka_session_timeout / 4,
            web_bind=settings.web_host,
            web_host=settings.web_host,
            web_port=settings.web_port,
            reply_create_topic=True,
            # Under the app id, like the changelogs: Kafka's ACLs let the workers create topics there and nowhere else
            # but under the topic prefix.
            reply_to_prefix=f"{settings.app_id}-reply-",
            # Rebalances and shutdown need not wait for streams to drain: uncommitted commands are redelivered
            # and every handler is idempotent.
            stream_wait_empty=False,
            # A topic declared after the consumer first joined (a fresh deployment) is noticed, and assigned, at
            # its next metadata refresh: every 5 s rather than aiokafka's 5 min, or its agent would idle that long.
            consumer_metadata_max_age_ms=5000,
            web_application_options={"client_max_size": settings.max_body_bytes},
            autodiscover=False,  # `labour_tracker.worker` registers every agent, table and service itself
            **options,
        )

    def answer_here(self, topic: str, correlation_id: str | None, value: Any) -> bool:
        """Fulfil an ask this process made itself (`topic` is its reply topic); False if none such is waiting."""
        if topic != self.conf.reply_to or correlation_id is None:
            return False
        return cast(OneChannelReplyConsumer, self._reply_consumer).fulfil(correlation_id, value)

    async def on_started(self) -> None:
        # Faust filters in its handler; at the logger, aiokafka would build a record for every message sent.
        logging.getLogger().setLevel(self.settings.log_level)
        await super().on_started()
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, log_task_stacks)
        for topic in self.declared_topics:  # Kafka would make an undeclared topic with its default partitions
            await topic.maybe_declare()
        settle_heap()
        self.topics_declared.set()

    def on_webserver_init(self, web: Any) -> None:
        # Faust initialises a worker's web server more than once; a second API would open its own pools, unused.
        if self.mount_api is not None and web.web_app not in self._serving_api:
            self.mount_api(web.web_app)
            self._serving_api.append(web.web_app)
