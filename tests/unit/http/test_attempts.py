"""The failed-attempts limiter: a sliding window per key, only failures count, and its memory stays bounded."""

from __future__ import annotations

import contextlib

import pytest
from aiohttp.test_utils import make_mocked_request

from labour_tracker.http.attempts import FailedAttempts, TooManyAttempts
from labour_tracker.http.subscriber import client_address


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class WrongGuess(Exception):
    pass


def wrong(error: BaseException) -> bool:
    return isinstance(error, WrongGuess)


def fail(attempts: FailedAttempts, *keys: str, held: bool = False) -> None:
    with pytest.raises(WrongGuess), attempts.attempt(*keys, failed=wrong, under_way=keys if held else ()):
        raise WrongGuess


def succeed(attempts: FailedAttempts, *keys: str, held: bool = False) -> None:
    with attempts.attempt(*keys, failed=wrong, under_way=keys if held else ()):
        pass


# The rules hold alike for keys an attempt counts against while under way, and for those it counts against at its end.
either_way = pytest.mark.parametrize("held", [False, True], ids=["counted-at-the-end", "counted-while-under-way"])


def refused(attempts: FailedAttempts, *keys: str) -> int:
    ran = False
    with pytest.raises(TooManyAttempts) as raised, attempts.attempt(*keys, failed=wrong):
        ran = True
    assert not ran, "the attempt went ahead"
    return raised.value.retry_after


@pytest.fixture
def clock() -> Clock:
    return Clock()


@either_way
def test_the_attempt_after_the_limit_of_failures_is_refused_before_it_runs(clock: Clock, held: bool) -> None:
    attempts = FailedAttempts(3, 600, clock=clock)
    for _ in range(3):
        assert attempts.retry_after("mallory") is None
        fail(attempts, "mallory", held=held)
    assert attempts.retry_after("mallory") == 600
    assert refused(attempts, "mallory") == 600


@either_way
def test_the_window_slides_one_failure_at_a_time(clock: Clock, held: bool) -> None:
    attempts = FailedAttempts(3, 600, clock=clock)
    for _ in range(3):
        fail(attempts, "mallory", held=held)
        clock.now += 100  # failures at 1000, 1100, 1200
    clock.now = 1_599.5
    assert refused(attempts, "mallory") == 1  # whole seconds, rounded up: 0.5 s left
    clock.now = 1_600.0
    fail(attempts, "mallory", held=held)  # the first left the window: one more try, and it failed too (at 1600)
    assert refused(attempts, "mallory") == 100  # now the one of 1100 is the oldest still counted
    clock.now = 1_700.0
    succeed(attempts, "mallory", held=held)
    clock.now = 2_200.0
    assert attempts.retry_after("mallory") is None


def test_retry_after_is_whole_seconds_and_at_least_one(clock: Clock) -> None:
    attempts = FailedAttempts(1, 2.5, clock=clock)
    fail(attempts, "mallory")  # at 1000
    assert refused(attempts, "mallory") == 3
    clock.now = 1_002.25
    assert refused(attempts, "mallory") == 1
    clock.now = 1_002.5
    assert attempts.retry_after("mallory") is None


@either_way
def test_successes_and_other_errors_do_not_count(clock: Clock, held: bool) -> None:
    attempts = FailedAttempts(2, 600, clock=clock)
    for _ in range(10):
        succeed(attempts, "sam", held=held)
        with pytest.raises(KeyError), attempts.attempt("sam", failed=wrong):
            raise KeyError("not a wrong guess")
    assert attempts.retry_after("sam") is None
    assert len(attempts) == 0  # a withdrawn attempt leaves nothing behind
    fail(attempts, "sam", held=held)
    succeed(attempts, "sam", held=held)
    fail(attempts, "sam", held=held)
    assert refused(attempts, "sam") == 600


def test_against_a_key_under_way_an_attempt_counts_while_it_runs_so_a_burst_cannot_pass_the_limit(
    clock: Clock,
) -> None:
    attempts = FailedAttempts(2, 600, clock=clock)
    first = attempts.attempt("mallory", "address", failed=wrong, under_way=("mallory",))
    second = attempts.attempt("mallory", "address", failed=wrong, under_way=("mallory",))
    with first, second:
        assert refused(attempts, "mallory") == 600
        assert attempts.retry_after("address") is None  # not under way: nothing counts yet
    assert attempts.retry_after("mallory") is None  # both went well, and were withdrawn
    assert len(attempts) == 0


def test_against_other_keys_only_finished_failures_count_so_many_can_try_at_once(clock: Clock) -> None:
    attempts = FailedAttempts(2, 600, clock=clock)
    with contextlib.ExitStack() as running:
        for n in range(50):
            running.enter_context(attempts.attempt(f"user-{n}", "address", failed=wrong, under_way=(f"user-{n}",)))
    assert attempts.retry_after("address") is None
    with pytest.raises(WrongGuess), contextlib.ExitStack() as running:
        for n in range(5):  # five fail at once: each counts when it ends, and the address is over its limit
            running.enter_context(attempts.attempt(f"guesser-{n}", "address", failed=wrong))
        clock.now += 10
        raise WrongGuess
    assert refused(attempts, "address") == 600
    clock.now = 1_605.0
    assert refused(attempts, "address") == 5  # counted from when they failed, 10 s after they began
    assert attempts.retry_after("guesser-0") is None  # one failure each: under the limit


@either_way
def test_keys_are_independent_and_an_attempt_counts_against_each_of_its_keys(clock: Clock, held: bool) -> None:
    attempts = FailedAttempts(2, 600, clock=clock)
    fail(attempts, "mallory", "address-1", held=held)
    fail(attempts, "mallory", "address-2", held=held)
    assert refused(attempts, "mallory", "address-3") == 600  # the caller is at the limit, from any address
    succeed(attempts, "sam", "address-1", held=held)  # each address has one failure: others may still try
    fail(attempts, "eve", "address-1", held=held)
    assert refused(attempts, "sam", "address-1") == 600  # now the address is at the limit, for anyone
    succeed(attempts, "sam", "address-4", held=held)
    assert attempts.retry_after("sam") is None


def test_retry_after_is_the_longest_wait_of_the_keys(clock: Clock) -> None:
    attempts = FailedAttempts(1, 600, clock=clock)
    fail(attempts, "mallory")
    clock.now += 200
    fail(attempts, "address-1")
    assert refused(attempts, "mallory", "address-1") == 600
    assert refused(attempts, "mallory", "address-2") == 400


def test_keys_whose_failures_left_the_window_are_forgotten(clock: Clock) -> None:
    attempts = FailedAttempts(3, 60, clock=clock)
    for n in range(100):
        fail(attempts, f"guesser-{n}")
    assert len(attempts) == 100
    clock.now += 61
    fail(attempts, "latecomer")
    assert len(attempts) == 1


def test_at_most_max_keys_are_tracked_and_the_longest_idle_goes_first(clock: Clock) -> None:
    attempts = FailedAttempts(1, 600, max_keys=3, clock=clock)
    for name in ("a", "b", "c"):
        fail(attempts, name)
        clock.now += 1
    for n in range(1_000):
        fail(attempts, f"guesser-{n}")
        assert len(attempts) <= 3
    assert attempts.retry_after("guesser-999") == 600
    assert attempts.retry_after("a") is None  # forgotten: the price of a bound


def test_one_key_holds_at_most_limit_times_however_many_fail_at_once(clock: Clock) -> None:
    attempts = FailedAttempts(3, 600, clock=clock)
    with pytest.raises(WrongGuess), contextlib.ExitStack() as running:
        for n in range(100):
            running.enter_context(attempts.attempt(f"guesser-{n}", "address", failed=wrong))
        raise WrongGuess
    for _ in range(100):
        refused(attempts, "address")
    assert len(attempts._times["address"]) == 3  # the latest `limit` alone decide the wait


def test_a_limit_needs_a_positive_size_and_window() -> None:
    for limit, window, max_keys in ((0, 1.0, 1), (1, 0.0, 1), (1, 1.0, 0)):
        with pytest.raises(ValueError):
            FailedAttempts(limit, window, max_keys=max_keys)


def test_a_client_is_its_connections_address_and_an_ipv6_client_its_64_prefix() -> None:
    def address_of(remote: str) -> object:
        headers = {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9"}
        return client_address(make_mocked_request("POST", "/", headers=headers).clone(remote=remote))

    assert address_of("192.0.2.1") == address_of("192.0.2.1") != address_of("192.0.2.2")
    assert address_of("192.0.2.1") != address_of("203.0.113.9")  # forwarding headers are not believed
    assert address_of("::ffff:192.0.2.1") == address_of("192.0.2.1")
    assert address_of("2001:db8:1:2::1") == address_of("2001:db8:1:2:ffff::9") != address_of("2001:db8:1:3::1")
