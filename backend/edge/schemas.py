"""Schema bases and the field types several apps' schemas share.

`In` refuses unknown fields (a typo is a 422, not a silently ignored field); `Patch` also refuses
an explicit null, so an optional field means "leave out to keep", never "null to clear". `Out` is
the base of response schemas that serialize model rows (see its docstring).

Every string, datetime and free-form object a request carries is one of hubkit's edge types
(`Text`, `UtcDatetime`, `JsonObject`): text PostgreSQL cannot store (NUL, unpaired surrogates) and
times with no UTC value are a 422 naming the field, never a 500. The shared types below are built
on them; `hubkit.contract`'s endpoint test lists any request field that is not. A text with a
`pattern` puts the constraint before the check (`Annotated[str, StringConstraints(pattern=...),
AfterValidator(storable_text)]`): pydantic applies a pattern placed after a validator but leaves
it out of the JSON schema.
"""

from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hubkit.fields import Text, storable_text

Title = Annotated[Text, StringConstraints(min_length=1, max_length=200)]
Notes = Annotated[Text, StringConstraints(max_length=5000)]
Email = Annotated[Text, StringConstraints(max_length=254)]
Phone = Annotated[Text, StringConstraints(max_length=40)]
TimeZoneName = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
ClockTime = Annotated[
    str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"), AfterValidator(storable_text)
]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Patch(In):
    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Optional only so a field may be left out; an explicit null is refused (fields clear with "").
        if value is None:
            raise ValueError("may not be null")
        return value


class Out(Schema):
    """Base of response schemas: pydantic-core reads the model's attributes itself.

    ninja's `Schema` wraps every object it validates in a Python `DjangoGetter` (a call per
    field: about 1.7 ms of a 50-row page, more than the query). Output fields here are plain
    attributes, so that wrapper buys nothing; `resolve_*` methods, which only it runs, are refused.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        return handler(values)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if any(name.startswith("resolve_") for name in vars(cls)):
            raise TypeError(f"{cls.__name__}: an Out schema cannot use resolve_* methods")


def _empty_as_none(value: object) -> object:
    return value or None


BlankAsNull = Annotated[str | None, BeforeValidator(_empty_as_none)]
"""A blank text column served as null."""
