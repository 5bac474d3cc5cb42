"""JSON of sequences that change at their ends, made again only where they changed."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.memo import LastUsed, SequenceJson


class Part:
    """A part compared by value, as the domain's are; `made` counts how often its JSON was made."""

    made = 0

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Part) and other.value == self.value

    def __hash__(self) -> int:
        return self.value

    def json(self) -> bytes:
        Part.made += 1
        return json.dumps(self.value).encode()


def made_for(memo: SequenceJson[Part], key: str, parts: tuple[Part, ...]) -> int:
    before = Part.made
    assert memo.of(key, parts) == json.dumps([part.value for part in parts], separators=(",", ":")).encode()
    return Part.made - before


def test_only_what_a_sequence_gained_or_changed_at_its_ends_is_made_again() -> None:
    memo: SequenceJson[Part] = SequenceJson(Part.json, limit=2, budget=1024)
    one, two, three, four = Part(1), Part(2), Part(3), Part(4)

    assert made_for(memo, "a", (one, two)) == 2
    assert made_for(memo, "a", (one, two, three)) == 1  # gained one
    assert made_for(memo, "a", (one, two, Part(30))) == 1  # its latest changed
    assert made_for(memo, "a", (two, Part(30), four)) == 1  # let go of its oldest, gained one
    assert made_for(memo, "a", (two, Part(30), four)) == 0
    assert made_for(memo, "a", (Part(2), Part(30), Part(4))) == 0  # equal parts, other objects
    assert made_for(memo, "a", (four, one)) == 2  # another sequence under the same key
    assert made_for(memo, "b", (one,)) == 1
    assert made_for(memo, "c", (one,)) == 1  # past the limit: "a", used longest ago, is forgotten
    assert made_for(memo, "a", (four, one)) == 2
    assert list(memo.made.kept) == ["c", "a"]


@given(st.lists(st.tuples(st.sampled_from("ab"), st.lists(st.integers(0, 5), max_size=6)), max_size=30))
def test_any_sequence_under_any_key_gives_the_json_of_its_parts(steps: list[tuple[str, list[int]]]) -> None:
    memo: SequenceJson[Part] = SequenceJson(Part.json, limit=1, budget=1024)
    for key, values in steps:
        made_for(memo, key, tuple(map(Part, values)))


def test_sequences_are_kept_within_their_budget_of_bytes_however_few_they_are() -> None:
    memo: SequenceJson[Part] = SequenceJson(Part.json, limit=100, budget=20)
    long = tuple(map(Part, range(6)))  # [0,1,2,3,4,5]: 13 bytes

    assert made_for(memo, "a", long) == 6
    assert made_for(memo, "b", long) == 6  # together over 20 bytes: "a" is forgotten
    assert list(memo.made.kept) == ["b"] and memo.made.weight == 13
    assert made_for(memo, "a", long) == 6


def test_a_value_kept_again_under_its_key_weighs_once() -> None:
    kept: LastUsed[str] = LastUsed(limit=10, budget=100)
    kept.keep("a", "first", 60)
    kept.keep("a", "again", 60)

    assert (kept.weight, kept.take("a"), kept.take("a"), kept.weight) == (60, "again", None, 0)
