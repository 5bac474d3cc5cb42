"""A subscribe is a follow request: the person approves it in a role or rejects it, unless they chose to approve
followers at once; a birth partner may record and correct contractions and post status updates for the person, and
nobody else may."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    AddContraction,
    AddSubscriber,
    ApproveFollowRequest,
    AuthoriseSubscriber,
    BeginLabour,
    BirthingPersonCommand,
    BirthingPersonErased,
    BirthingPersonRegistered,
    ChangeFollowerRole,
    ChangeFollowerSettings,
    CompleteLabour,
    DeleteContraction,
    DeleteLabourUpdate,
    EditContraction,
    EditLabourUpdate,
    EndContraction,
    EraseBirthingPerson,
    FollowerRemoved,
    FollowerRoleChanged,
    FollowerSettingsChanged,
    FollowRequested,
    FollowRequestRejected,
    LabourUpdatePosted,
    Moment,
    PostLabourUpdate,
    RejectFollowRequest,
    RemoveFollower,
    RemoveSubscriber,
    Role,
    RotateSubscriptionToken,
    StartContraction,
    SubscriberAdded,
    SubscriberBlocked,
    UnblockSubscriber,
    UndoContractionChange,
    UpdateKind,
    decide,
    evolve,
    replay,
)
from labour_tracker.domain.limits import FOLLOW_REQUESTS_PER_PERSON, SUBSCRIBERS_PER_PERSON
from labour_tracker.domain.subscription_token import subscription_token
from tests.unit.domain.labour_story import ALICE, SECRET, Story, at, in_labour, registered

SAM, KIM, PAT = "sam-sub", "kim-sub", "pat-sub"
FRIENDS, PARTNER = Role.FRIENDS_AND_FAMILY, Role.BIRTH_PARTNER


def token(story: Story) -> str:
    return subscription_token(SECRET, ALICE, story.person.subscription_token_version)


def as_actor(story: Story, command: BirthingPersonCommand, actor: str) -> list[object]:
    """The command sent by `actor` on the person's behalf, applied as the agent applies it."""
    events = decide(
        story.state, command, now=story.now, command_id=story.next_command_id(), subscription_secret=SECRET, actor=actor
    )
    story.commands_sent += 1
    for event in events:
        story.state = evolve(story.state, event)
    return list(events)


def test_a_subscribe_is_a_request_that_hears_nothing_until_approved_in_a_role() -> None:
    story = registered()

    assert story.do(AddSubscriber(SAM)) == [FollowRequested(ALICE, SAM)]
    assert story.do(AddSubscriber(KIM)) == [FollowRequested(ALICE, KIM)]

    assert (story.person.follow_requests, story.person.subscribers) == ((SAM, KIM), frozenset())
    assert story.person.role_of(SAM) is None
    assert story.do(ApproveFollowRequest(KIM, FRIENDS)) == [SubscriberAdded(ALICE, KIM, FRIENDS)]
    assert story.do(ApproveFollowRequest(SAM, PARTNER)) == [SubscriberAdded(ALICE, SAM, PARTNER)]
    assert story.person.follow_requests == ()
    assert (story.person.role_of(SAM), story.person.role_of(KIM)) == (PARTNER, FRIENDS)
    assert story.person.birth_partners == {SAM}
    assert story.do(ApproveFollowRequest(SAM, PARTNER)) == [], "approved already, as asked"
    assert story.refuses(ApproveFollowRequest(SAM, FRIENDS)).code == "follow_request_not_found"
    assert story.refuses(ApproveFollowRequest("stranger", FRIENDS)).code == "follow_request_not_found"


def test_a_rejected_request_is_let_go_and_may_be_blocked() -> None:
    story = registered()
    story.do(AddSubscriber(SAM))
    story.do(AddSubscriber(KIM))

    assert story.do(RejectFollowRequest(SAM)) == [FollowRequestRejected(ALICE, SAM)]
    assert story.do(RejectFollowRequest(KIM, block=True)) == [
        FollowRequestRejected(ALICE, KIM),
        SubscriberBlocked(ALICE, KIM),
    ]

    assert (story.person.follow_requests, story.person.blocked) == ((), {KIM})
    assert story.refuses(RejectFollowRequest(SAM)).code == "follow_request_not_found"
    assert story.do(AuthoriseSubscriber(SAM, token(story))) == [], "rejected, not blocked: may ask again"
    assert story.refuses(AuthoriseSubscriber(KIM, token(story))).code == "subscriber_blocked"


def test_the_setting_makes_a_subscribe_a_friend_at_once() -> None:
    story = registered()

    assert story.do(ChangeFollowerSettings(approve_followers_at_once=True)) == [FollowerSettingsChanged(ALICE, True)]
    assert story.do(ChangeFollowerSettings(approve_followers_at_once=True)) == []
    assert story.do(AddSubscriber(SAM)) == [SubscriberAdded(ALICE, SAM, FRIENDS)]

    assert story.person.role_of(SAM) is FRIENDS
    story.do(ChangeFollowerSettings(approve_followers_at_once=False))
    assert story.do(AddSubscriber(KIM)) == [FollowRequested(ALICE, KIM)]


def test_a_followers_role_changes_and_only_a_follower_has_one() -> None:
    story = registered()
    story.follows(SAM, FRIENDS)

    assert story.do(ChangeFollowerRole(SAM, PARTNER)) == [FollowerRoleChanged(ALICE, SAM, PARTNER)]
    assert story.do(ChangeFollowerRole(SAM, PARTNER)) == []
    assert story.person.birth_partners == {SAM}
    story.do(AddSubscriber(KIM))
    error = story.refuses(ChangeFollowerRole(KIM, PARTNER))
    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "subscriber_not_found")


def test_removal_rotation_unsubscribing_and_erasure_let_go_of_pending_requests_too() -> None:
    story = registered()
    story.follows(SAM)
    story.do(AddSubscriber(KIM))
    story.do(AddSubscriber(PAT))

    assert story.do(RemoveFollower(KIM)) == [FollowerRemoved(ALICE, KIM)]
    assert story.do(RemoveSubscriber(PAT)) != []
    story.do(AddSubscriber(PAT))
    assert story.do(RotateSubscriptionToken(remove_followers=True))[1:] == [
        FollowerRemoved(ALICE, PAT),
        FollowerRemoved(ALICE, SAM),
    ]
    assert (story.person.subscribers, story.person.follow_requests, story.person.birth_partners) == (
        frozenset(),
        (),
        frozenset(),
    )
    story.do(AddSubscriber(KIM))
    story.follows(SAM)
    assert story.do(EraseBirthingPerson()) == [BirthingPersonErased(ALICE, (KIM, SAM))]


def test_blocking_someone_who_asks_lets_go_of_their_request() -> None:
    story = registered()
    story.do(AddSubscriber(SAM))

    assert story.do(RemoveFollower(SAM, block=True)) == [FollowerRemoved(ALICE, SAM), SubscriberBlocked(ALICE, SAM)]
    assert (story.person.follow_requests, story.person.blocked) == ((), {SAM})
    story.do(UnblockSubscriber(SAM))
    assert story.do(AddSubscriber(SAM)) == [FollowRequested(ALICE, SAM)]


def test_requests_and_followers_share_one_cap_and_requests_have_their_own() -> None:
    story = registered()
    for number in range(FOLLOW_REQUESTS_PER_PERSON.maximum):
        story.do(AddSubscriber(f"asking-{number}"))

    assert story.refuses(AuthoriseSubscriber("one-more", token(story))).code == "follow_request_limit_reached"
    assert story.refuses(AddSubscriber("one-more")).code == "follow_request_limit_reached"
    assert story.do(AuthoriseSubscriber("asking-0", token(story))) == [], "one asking already is still authorised"

    for number in range(FOLLOW_REQUESTS_PER_PERSON.maximum):
        story.do(ApproveFollowRequest(f"asking-{number}", FRIENDS))
    for number in range(SUBSCRIBERS_PER_PERSON.maximum - FOLLOW_REQUESTS_PER_PERSON.maximum):
        story.do(AddSubscriber(f"more-{number}"))
        if len(story.person.follow_requests) == FOLLOW_REQUESTS_PER_PERSON.maximum:
            story.do(ApproveFollowRequest(story.person.follow_requests[0], FRIENDS))
    assert len(story.person.subscribers) + len(story.person.follow_requests) == SUBSCRIBERS_PER_PERSON.maximum
    assert story.refuses(AddSubscriber("one-too-many")).code == "subscriber_limit_reached"
    story.do(ChangeFollowerSettings(approve_followers_at_once=True))
    assert story.refuses(AddSubscriber("one-too-many")).code == "subscriber_limit_reached"


PARTNER_COMMANDS: list[BirthingPersonCommand] = [
    StartContraction(intensity=5),
    EndContraction(intensity=6),
    AddContraction(at(minutes=2), at(minutes=3), 4),
    UndoContractionChange(),
]


def test_a_birth_partner_records_and_corrects_contractions_for_the_person() -> None:
    story = in_labour()
    story.follows(PAT)

    for minute, command in enumerate(PARTNER_COMMANDS, start=10):
        story.now = at(minutes=minute)
        assert as_actor(story, command, PAT), command.TYPE
    contraction = story.person.latest_labour.contractions[-1].id  # type: ignore[union-attr]
    assert as_actor(story, EditContraction(contraction, intensity=9), PAT)
    assert as_actor(story, DeleteContraction(contraction), PAT)
    assert story.person.latest_labour.contractions == ()  # type: ignore[union-attr]
    assert as_actor(story, StartContraction(), ALICE), "the person naming herself is herself"


@pytest.mark.parametrize(
    "command",
    [CompleteLabour(), BeginLabour(first_labour=True), RotateSubscriptionToken(), ApproveFollowRequest(SAM, PARTNER)],
    ids=lambda command: command.TYPE,
)
def test_a_birth_partner_may_send_nothing_but_contractions(command: BirthingPersonCommand) -> None:
    story = in_labour()
    story.follows(PAT)
    story.do(AddSubscriber(SAM))

    with pytest.raises(Exception) as refused:
        as_actor(story, command, PAT)

    assert getattr(refused.value, "code", None) == "not_birth_partner"


def test_a_birth_partner_posts_status_updates_in_their_own_name_and_changes_only_those() -> None:
    story = in_labour()
    story.follows(PAT)
    story.follows(KIM)

    [posted] = as_actor(story, PostLabourUpdate(UpdateKind.STATUS_UPDATE, "6 cm, all calm"), PAT)
    assert isinstance(posted, LabourUpdatePosted) and posted.posted_by == PAT
    [hers] = story.do(PostLabourUpdate(UpdateKind.PRIVATE_NOTE, "scared"))
    assert as_actor(story, EditLabourUpdate(posted.update_id, "7 cm"), PAT)
    for command in (EditLabourUpdate(hers.update_id, "x"), DeleteLabourUpdate(hers.update_id)):  # the person's own
        with pytest.raises(Exception) as refused:
            as_actor(story, command, PAT)
        assert getattr(refused.value, "code", None) == "not_allowed_for_birth_partner"
    with pytest.raises(Exception) as refused:
        as_actor(story, DeleteLabourUpdate(posted.update_id), KIM)  # another partner's
    assert getattr(refused.value, "code", None) == "not_allowed_for_birth_partner"
    assert as_actor(story, DeleteLabourUpdate(posted.update_id), PAT)
    assert [each.id for each in story.person.latest_labour.updates] == [hers.update_id]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "command",
    [
        PostLabourUpdate(UpdateKind.ANNOUNCEMENT, "Baby soon!"),
        PostLabourUpdate(UpdateKind.PRIVATE_NOTE, "mine"),
        PostLabourUpdate(moment=Moment.WATERS_BROKEN),
    ],
    ids=["announcement", "private_note", "quick_update"],
)
def test_a_birth_partner_neither_announces_nor_writes_the_persons_private_notes(
    command: BirthingPersonCommand,
) -> None:
    story = in_labour()
    story.follows(PAT)
    before = story.state

    with pytest.raises(Exception) as refused:
        as_actor(story, command, PAT)

    assert (getattr(refused.value, "kind", None), getattr(refused.value, "code", None)) == (
        ErrorKind.FORBIDDEN,
        "not_allowed_for_birth_partner",
    )
    assert story.state == before


@pytest.mark.parametrize("who", ["friend", "asking", "stranger"])
def test_only_a_birth_partner_may_act_for_the_person(who: str) -> None:
    story = in_labour()
    story.follows("friend", FRIENDS)
    story.do(AddSubscriber("asking"))
    before = story.state

    with pytest.raises(Exception) as refused:
        as_actor(story, StartContraction(), who)

    assert (getattr(refused.value, "kind", None), getattr(refused.value, "code", None)) == (
        ErrorKind.FORBIDDEN,
        "not_birth_partner",
    )
    assert story.state == before


def test_followers_added_before_roles_are_birth_partners_on_replay() -> None:
    """A `subscriber_added` stored before roles has none: such a follower got every alert, and still does."""
    events = [BirthingPersonRegistered(ALICE, "Alice", "Moyo"), SubscriberAdded(ALICE, SAM)]

    person = replay(events)

    assert person is not None and person.role_of(SAM) is PARTNER and person.birth_partners == {SAM}


# ---- Any sequence of what subscribers and the person do keeps the invariants ----------------------------------


@dataclass(frozen=True)
class Move:
    kind: str
    who: str
    role: Role
    flag: bool

    def command(self) -> BirthingPersonCommand:
        match self.kind:
            case "subscribe":
                return AddSubscriber(self.who)
            case "approve":
                return ApproveFollowRequest(self.who, self.role)
            case "reject":
                return RejectFollowRequest(self.who, block=self.flag)
            case "remove":
                return RemoveFollower(self.who, block=self.flag)
            case "unblock":
                return UnblockSubscriber(self.who)
            case "unsubscribe":
                return RemoveSubscriber(self.who)
            case "role":
                return ChangeFollowerRole(self.who, self.role)
            case "setting":
                return ChangeFollowerSettings(self.flag)
            case _:
                return RotateSubscriptionToken(remove_followers=self.flag)


moves = st.builds(
    Move,
    kind=st.sampled_from(
        ["subscribe", "subscribe", "approve", "reject", "remove", "unblock", "unsubscribe", "role", "setting", "rotate"]
    ),
    who=st.sampled_from([f"sub-{n}" for n in range(8)]),
    role=st.sampled_from(list(Role)),
    flag=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(moves, max_size=60))
def test_any_requests_approvals_rejections_removals_blocks_and_rotations_keep_the_invariants(
    drawn: list[Move],
) -> None:
    story = registered()
    for move in drawn:
        try:
            story.do(move.command())
        except Exception as refusal:  # a refusal changes nothing
            assert getattr(refusal, "code", None) is not None, refusal
        person = story.person
        requests = set(person.follow_requests)
        assert len(requests) == len(person.follow_requests), "each asks once"
        assert person.friends_and_family <= person.subscribers and person.birth_partners <= person.subscribers
        assert not requests & person.subscribers
        assert not person.blocked & (person.subscribers | requests)
        assert len(person.subscribers) + len(requests) <= SUBSCRIBERS_PER_PERSON.maximum
        assert len(requests) <= FOLLOW_REQUESTS_PER_PERSON.maximum
    assert replay(story.events) == story.state
