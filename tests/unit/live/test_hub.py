"""The live hub: each message to the streams following its person, as each reader may see it; the latest messages
kept for readers who reconnect (or a snapshot when they cannot cover the gap); everything bounded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from labour_tracker.domain.errors import DomainError
from labour_tracker.live.hub import LiveHub, LiveNotReady, Stream
from labour_tracker.messages.live import LiveEvent, LiveMessage

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def live(version: int, *, person: str = "bea", first: int | None = None, private: bool = False,
         cut_off: tuple[str, ...] = (), erased: bool = False) -> LiveMessage:  # fmt: skip
    event = LiveEvent(version=version, type="contraction.started", name="contraction", followers=not private,
                      data={"contraction_id": f"c{version}"})  # fmt: skip
    return LiveMessage(birthing_person_id=person, first_version=first or version, version=version, time=NOW,
                       events=(event,), cut_off=cut_off, erased=erased)  # fmt: skip


def hub(**bounds: int) -> LiveHub:
    made = LiveHub(**{"streams_per_user": 5, "streams_per_worker": 100, **bounds})
    made.following = True  # its feed reads every partition
    return made


async def shown(stream: Stream) -> list[int | None]:
    frames = await stream.next(0.01)
    return [each.id for each in frames] if frames is not None else [-1]


async def test_a_message_reaches_every_stream_following_its_person_and_no_other() -> None:
    live_hub = hub()
    bea_herself, sam, tom_on_ann = live_hub.open("bea", "bea"), live_hub.open("bea", "sam"), live_hub.open("ann", "tom")
    live_hub.publish(live(4))
    assert await shown(bea_herself) == [4]
    assert await shown(sam) == [4]
    assert await shown(tom_on_ann) == []


async def test_a_private_note_reaches_the_person_and_not_a_follower() -> None:
    live_hub = hub()
    bea_herself, sam = live_hub.open("bea", "bea"), live_hub.open("bea", "sam")
    live_hub.publish(live(4, private=True))
    assert await shown(bea_herself) == [4]
    assert await shown(sam) == []


async def test_a_follower_cut_off_or_a_person_erased_ends_the_stream_at_once() -> None:
    live_hub = hub()
    bea_herself, sam, kim = live_hub.open("bea", "bea"), live_hub.open("bea", "sam"), live_hub.open("bea", "kim")
    live_hub.publish(live(4, cut_off=("sam",)))
    assert (await sam.next(0.01), sam.ended) == (None, "cut_off")
    assert await shown(kim) == [4]
    live_hub.publish(live(5, erased=True))
    assert (await bea_herself.next(0.01), bea_herself.ended) == (None, "erased")
    assert live_hub.missed("bea", 3) is None, "nothing of an erased person is kept"


async def test_a_reader_who_reconnects_gets_what_it_missed_while_the_kept_messages_cover_it() -> None:
    live_hub = hub(messages_kept=3)
    for version in (2, 3, 5):  # version 4 was a command's second event
        live_hub.publish(live(version, first=version - 1 if version == 5 else version))
    assert [each.version for each in live_hub.missed("bea", 2) or []] == [3, 5]
    assert live_hub.missed("bea", 5) == [], "up to date"
    assert live_hub.missed("bea", 1) == [live(2), live(3), live(5, first=4)]
    live_hub.publish(live(6))
    assert live_hub.missed("bea", 1) is None, "version 2 is no longer kept: a snapshot"
    assert live_hub.missed("bea", 9) is None, "ahead of anything known: a snapshot"
    assert live_hub.missed("ann", 0) is None, "nothing known of her"


async def test_a_gap_among_the_kept_messages_calls_for_a_snapshot() -> None:
    live_hub = hub()
    live_hub.publish(live(2))
    live_hub.publish(live(7))  # the feed started after versions 3-6
    assert live_hub.missed("bea", 1) is None
    assert live_hub.missed("bea", 6) == [live(7)]


async def test_the_persons_kept_are_bounded_the_least_lately_changed_let_go() -> None:
    live_hub = hub(persons_kept=2)
    for person in ("ann", "bea", "cat"):
        live_hub.publish(live(2, person=person))
    assert live_hub.missed("ann", 1) is None
    assert live_hub.missed("cat", 1) == [live(2, person="cat")]


async def test_a_stream_is_skipped_what_it_already_has_from_a_snapshot() -> None:
    live_hub = hub()
    sam = live_hub.open("bea", "sam")
    live_hub.publish(live(4))
    live_hub.publish(live(5))
    sam.sent_up_to(4)  # the snapshot it was sent was at version 4
    live_hub.publish(live(4))
    assert await shown(sam) == [5]


async def test_a_stream_that_falls_behind_is_ended_not_left_to_grow() -> None:
    live_hub = hub(frames_waiting=3)
    slow = live_hub.open("bea", "sam")
    for version in range(1, 5):
        live_hub.publish(live(version))
    assert (await slow.next(0.01), slow.ended) == (None, "too_slow")


async def test_streams_are_bounded_per_user_and_per_worker_and_closing_one_frees_its_place() -> None:
    live_hub = hub(streams_per_user=2, streams_per_worker=3)
    first = live_hub.open("bea", "sam")
    live_hub.open("ann", "sam")
    with pytest.raises(DomainError) as per_user:
        live_hub.open("bea", "sam")
    assert per_user.value.code == "too_many_streams"
    live_hub.open("bea", "kim")
    with pytest.raises(DomainError) as per_worker:
        live_hub.open("bea", "tom")
    assert per_worker.value.code == "live_streams_full"
    live_hub.close(first)
    live_hub.close(first)  # twice: no place freed twice
    live_hub.open("bea", "sam")
    assert live_hub.open_streams == 3


async def test_a_quiet_stream_answers_empty_so_its_writer_sends_a_heartbeat() -> None:
    quiet = hub().open("bea", "sam")
    assert await quiet.next(0.01) == []


async def test_stopping_ends_every_stream() -> None:
    live_hub = hub()
    streams = [live_hub.open("bea", "sam"), live_hub.open("ann", "tom")]
    live_hub.end_all("shutdown")
    assert [each.ended for each in streams] == ["shutdown", "shutdown"]


async def test_no_stream_opens_while_the_feed_does_not_follow_for_it_would_miss_messages() -> None:
    starting = hub()
    starting.following = False
    with pytest.raises(LiveNotReady):
        starting.open("bea", "sam")
