"""Request schema bases and the field types several apps' schemas share.

`In` refuses unknown fields (a typo is a 422, not a silently ignored field); `Patch` also refuses
an explicit null, so an optional field means "leave out to keep", never "null to clear".
"""

from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, StringConstraints, field_validator

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=5000)]
Email = Annotated[str, StringConstraints(max_length=254)]
Phone = Annotated[str, StringConstraints(max_length=40)]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ClockTime = Annotated[str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]


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
