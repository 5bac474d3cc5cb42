"""Server-sent events framed as the standard reads them: id, event name, one data line of JSON, a blank line."""

from __future__ import annotations

import json

from labour_tracker.live.sse import HEARTBEAT, event_frame, retry_frame


def test_an_event_is_its_id_name_and_data_on_one_line_then_a_blank_line() -> None:
    frame = event_frame("contraction", {"notes": "line one\nline two", "version": 5}, 5)
    lines = frame.decode().split("\n")
    assert lines[:2] == ["id: 5", "event: contraction"]
    assert (
        lines[2].startswith("data: ") and json.loads(lines[2].removeprefix("data: "))["notes"] == "line one\nline two"
    )
    assert lines[3:] == ["", ""]


def test_an_event_without_id_leaves_the_last_event_id_as_it_was() -> None:
    assert event_frame("end", {"reason": "cut_off"}) == b'event: end\ndata: {"reason":"cut_off"}\n\n'


def test_a_heartbeat_is_a_comment_and_retry_sets_the_reconnection_delay() -> None:
    assert HEARTBEAT.startswith(b":") and HEARTBEAT.endswith(b"\n\n")
    assert retry_frame(2000) == b"retry: 2000\n\n"
