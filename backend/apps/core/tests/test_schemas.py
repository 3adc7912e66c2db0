import pytest

from apps.core.schemas import ContactOut
from edge.schemas import Out
from tests.factories import make_contact


def test_an_out_schema_refuses_resolvers_it_would_never_run() -> None:
    with pytest.raises(TypeError, match="resolve_"):

        class Broken(Out):
            name: str

            @staticmethod
            def resolve_name(obj: object) -> str:
                return "never called"


@pytest.mark.django_db
def test_contact_out_reads_the_model_and_serves_blank_text_as_null() -> None:
    contact = make_contact(first_name="Ada", email="", phone="")
    out = ContactOut.model_validate(contact).model_dump()
    assert out["id"] == contact.id
    assert (out["email"], out["phone"], out["first_name"]) == (None, None, contact.first_name)
