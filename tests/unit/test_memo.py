"""Values made once per object, found again by identity."""

from __future__ import annotations

from labour_tracker.memo import IdentityMemo


def test_what_was_made_for_an_object_is_made_once_and_the_oldest_forgotten_past_the_limit() -> None:
    made: list[list[str]] = []

    def make(part: list[str]) -> str:
        made.append(part)
        return "+".join(part)

    memo = IdentityMemo(make, limit=2)
    a, b, c = ["a"], ["b"], ["c"]
    assert memo.all_of([a, b]) == ["a", "b"]
    assert memo.all_of([b, a]) == ["b", "a"]  # both kept
    assert memo.of(c) == "c"  # a, kept longest, is forgotten
    assert memo.all_of([a, c]) == ["a", "c"]
    assert made == [a, b, c, a]
    assert len(memo.made) == len(memo.parts) == 2


def test_an_equal_but_other_object_gets_its_own() -> None:
    memo = IdentityMemo(lambda part: list(part), limit=4)
    first, equal = ("x",), tuple(["x"])
    assert memo.of(first) is memo.of(first)
    assert memo.of(equal) == memo.of(first)
    assert memo.of(equal) is not memo.of(first)
