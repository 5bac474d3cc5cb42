"""A started worker keeps what it built to start out of the garbage collector's full passes."""

from __future__ import annotations

import gc

from labour_tracker.app import settle_heap


def test_objects_made_before_the_worker_settles_are_left_out_of_full_collections() -> None:
    built_to_start = [object()]  # a container: the collector tracks it
    gc.collect()
    assert any(each is built_to_start for each in gc.get_objects())
    settle_heap()
    try:
        assert not any(each is built_to_start for each in gc.get_objects())
        made_after = [object()]
        assert any(each is made_after for each in gc.get_objects())
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
