import pytest

from hubkit.event_types import EVENT_TYPES, data_schema, description, publishing_service


def test_the_catalogue_names_the_hubs_event_types() -> None:
    assert {"contact.created", "booking.no_show", "notification.requested"} <= EVENT_TYPES
    assert all(isinstance(name, str) and "." in name for name in EVENT_TYPES)


def test_each_type_has_an_object_schema_for_its_data() -> None:
    for name in EVENT_TYPES:
        assert data_schema(name)["type"] == "object"
        assert isinstance(description(name), str)


def test_a_schema_is_a_copy_callers_cannot_spoil() -> None:
    data_schema("contact.created")["type"] = "spoiled"
    assert data_schema("contact.created")["type"] == "object"


def test_an_unknown_type_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="nosuch"):
        data_schema("nosuch")
    with pytest.raises(KeyError, match="nosuch"):
        description("nosuch")


def test_each_type_names_its_publishing_service() -> None:
    assert publishing_service("contact.created") == "backend"
    assert publishing_service("invitation.mail_requested") == "identity-service"
    assert publishing_service("security.notice_requested") == "identity-service"
    assert {publishing_service(name) for name in EVENT_TYPES} == {"backend", "identity-service"}
    with pytest.raises(KeyError, match="nosuch"):
        publishing_service("nosuch")
