"""The sender reads a delivery only with the key it was sent under."""

from __future__ import annotations

import json

import pytest

from labour_tracker.agents.notification_sender import read_delivery
from labour_tracker.domain.notification import notification_id
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.engine.parking import Unusable


def test_a_delivery_without_its_key_is_not_sent() -> None:
    event_id = "e-1"
    delivery = {"notification_id": notification_id(event_id, "sam", ContactMethod.EMAIL), "event_id": event_id,
                "event_type": "labour.begun", "event_time": "2025-03-14T06:00:00Z", "birthing_person_id": "alice",
                "birthing_person_first_name": "Ada", "birthing_person_last_name": "L", "labour_id": "l-1",
                "subscriber_id": "sam", "subscriber_first_name": "Sam", "subscriber_last_name": "S",
                "channel": "email", "destination": "sam@example.com"}  # fmt: skip
    value = json.dumps(delivery).encode()
    assert read_delivery(delivery["notification_id"], value).subscriber_id == "sam"
    with pytest.raises(Unusable):
        read_delivery(None, value)  # its status would be written on whichever partition it came
