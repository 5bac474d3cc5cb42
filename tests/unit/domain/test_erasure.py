"""A person or subscriber deletes their account: the state is gone, the other side is told, and doing it again,
or with nothing to delete, is no error."""

from __future__ import annotations

from labour_tracker.domain import labour, subscriber
from labour_tracker.domain.labour import AddSubscriber, BirthingPersonErased, EraseBirthingPerson, StartContraction
from labour_tracker.domain.subscriber import (
    BirthingPersonForgotten,
    EraseSubscriber,
    ForgetBirthingPerson,
    SubscribedTo,
    SubscriberErased,
)
from tests.unit.domain.labour_story import ALICE, at, in_labour
from tests.unit.domain.test_subscriber_stories import NOW, SAM, SAM_REGISTERED, given


def test_an_erased_person_is_gone_and_their_subscribers_are_named_to_be_told() -> None:
    story = in_labour()
    story.follows("sam-sub")
    story.do(AddSubscriber("kim-sub"))  # still asking: told to let go too
    story.do(StartContraction(notes="waters broke"), now=at(minutes=1))

    events = story.do(EraseBirthingPerson())

    assert events == [BirthingPersonErased(ALICE, ("kim-sub", "sam-sub"))]
    assert story.state is None
    assert labour.replay(story.events) is None


def test_erasing_a_person_again_or_never_registered_erases_nothing() -> None:
    story = in_labour()
    story.do(EraseBirthingPerson())

    assert story.do(EraseBirthingPerson()) == []


def test_a_person_erased_may_register_again_and_starts_afresh() -> None:
    story = in_labour()
    story.do(EraseBirthingPerson())

    story.do(labour.RegisterBirthingPerson(ALICE, "Alice", "Moyo"))

    assert story.state is not None and story.state.latest_labour is None and story.state.subscribers == frozenset()


def test_an_erased_subscriber_is_gone_and_names_every_person_they_followed() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, "bea"), SubscribedTo(SAM, "ada"))

    events = subscriber.decide(state, EraseSubscriber(), now=NOW)

    assert events == [SubscriberErased(SAM, ("ada", "bea"))]
    assert subscriber.evolve(state, events[0]) is None
    assert subscriber.decide(None, EraseSubscriber(), now=NOW) == []


def test_a_subscriber_forgets_a_person_who_erased_their_account_once() -> None:
    state = given(SAM_REGISTERED, SubscribedTo(SAM, "bea"), SubscribedTo(SAM, "ada"))

    [forgotten] = subscriber.decide(state, ForgetBirthingPerson("bea"), now=NOW)
    after = subscriber.evolve(state, forgotten)

    assert forgotten == BirthingPersonForgotten(SAM, "bea")
    assert after is not None and after.subscribed_to == frozenset({"ada"})
    assert subscriber.decide(after, ForgetBirthingPerson("bea"), now=NOW) == []
    assert subscriber.decide(None, ForgetBirthingPerson("bea"), now=NOW) == []


def test_what_an_erasure_says_is_ids_only_and_what_says_who_someone_is_is_personal() -> None:
    assert BirthingPersonErased.TYPE not in labour.PERSONAL_EVENT_TYPES
    assert {"birthing_person.registered", "contraction.started", "labour.completed"} <= labour.PERSONAL_EVENT_TYPES
    assert frozenset({"subscriber.registered"}) == subscriber.PERSONAL_EVENT_TYPES
    assert SubscriberErased.TYPE not in subscriber.PERSONAL_EVENT_TYPES
