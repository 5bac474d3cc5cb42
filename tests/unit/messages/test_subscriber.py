"""A subscriber's request bodies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from labour_tracker.messages.subscriber import ContactMethodsData


def test_a_contact_method_given_twice_is_refused_as_documented() -> None:
    assert ContactMethodsData.model_json_schema()["properties"]["contact_methods"]["uniqueItems"] is True
    with pytest.raises(ValidationError, match="at most once"):
        ContactMethodsData.model_validate_json('{"contact_methods": ["sms", "sms"]}')
    assert len(ContactMethodsData.model_validate_json('{"contact_methods": ["sms", "email"]}').contact_methods) == 2
