"""Resource, time-off and working-hours override writes."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction

from apps.core.exceptions import OverrideNotFound, TimeOffNotFound
from apps.core.models import Resource, TimeOff, WorkingHoursOverride
from apps.core.services.names import clean_name
from apps.identity.models import Organization
from apps.identity.tenancy import apply_changes, refresh_for_update
from hubkit.errors import ValidationFailed

_EDITABLE = ("name", "kind", "timezone", "is_active", "working_hours")
_OVERRIDE_EDITABLE = ("intervals", "reason")
MAX_DAY_INTERVALS = 20


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> str:
    if name not in _known_timezones():
        raise ValidationFailed(
            "Unknown time zone.",
            errors=[{"field": "timezone", "message": f"{name!r} is not an IANA time zone."}],
        )
    return name


def _minutes(value: object) -> int:
    hours, minutes = str(value).split(":")
    return int(hours) * 60 + int(minutes)


def _interval_errors(
    items: list[tuple[int, dict[str, Any]]], *, field: str, day: str = "weekday"
) -> list[dict[str, str]]:
    """Errors of sorted (given position, interval) pairs: each start before its end, none overlapping.

    An error names the interval by its position in the request (`field.N`), whatever the order.
    """
    errors = []
    for index, (position, item) in enumerate(items):
        if _minutes(item["start"]) >= _minutes(item["end"]):
            errors.append({"field": f"{field}.{position}", "message": "start must be before end."})
        previous = items[index - 1][1] if index else None
        if (
            previous
            and previous.get(day) == item.get(day)
            and _minutes(item["start"]) < _minutes(previous["end"])
        ):
            where = f" on weekday {item[day]}" if day in item else ""
            errors.append({"field": f"{field}.{position}", "message": f"Overlaps another interval{where}."})
    return errors


def normalize_working_hours(intervals: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Sorted intervals; each start before its end, none overlapping another on the same weekday."""
    items = sorted(
        enumerate(
            {"weekday": int(i["weekday"]), "start": str(i["start"]), "end": str(i["end"])} for i in intervals
        ),
        key=lambda pair: (pair[1]["weekday"], _minutes(pair[1]["start"])),
    )
    errors = _interval_errors(items, field="working_hours")
    if errors:
        raise ValidationFailed("The working hours are invalid.", errors=errors)
    return [item for _, item in items]


def normalize_day_intervals(intervals: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One day's intervals, sorted; each start before its end, none overlapping another."""
    items = sorted(
        enumerate({"start": str(i["start"]), "end": str(i["end"])} for i in intervals),
        key=lambda pair: _minutes(pair[1]["start"]),
    )
    errors = _interval_errors(items, field="intervals")
    if len(items) > MAX_DAY_INTERVALS:
        errors.insert(0, {"field": "intervals", "message": f"At most {MAX_DAY_INTERVALS} intervals a day."})
    if errors:
        raise ValidationFailed("The intervals are invalid.", errors=errors)
    return [item for _, item in items]


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = clean_name(cleaned["name"])
    if "timezone" in cleaned:
        validate_timezone(cleaned["timezone"])
    if "working_hours" in cleaned:
        cleaned["working_hours"] = normalize_working_hours(cleaned["working_hours"])
    return cleaned


def resource_create(
    *,
    organization: Organization,
    name: str,
    kind: str,
    timezone: str,
    is_active: bool = True,
    working_hours: Iterable[Mapping[str, Any]] = (),
) -> Resource:
    fields = _clean(
        {
            "name": name,
            "kind": kind,
            "timezone": timezone,
            "is_active": is_active,
            "working_hours": list(working_hours),
        }
    )
    with transaction.atomic():
        resource: Resource = Resource.objects.for_organization(organization).create(**fields)
    return resource


def resource_update(*, resource: Resource, data: Mapping[str, Any]) -> Resource:
    """Applies the given fields (a PATCH) to the locked row; no change means no write."""
    cleaned = _clean(data)
    with transaction.atomic():
        refresh_for_update(resource)
        apply_changes(resource, cleaned, editable=_EDITABLE)
    return resource


def resource_deactivate(*, resource: Resource) -> Resource:
    """DELETE keeps the row (bookings will point at it) and takes it out of service."""
    return resource_update(resource=resource, data={"is_active": False})


def time_off_create(*, resource: Resource, start: datetime, end: datetime, reason: str = "") -> TimeOff:
    errors = [
        {"field": name, "message": "Must include a UTC offset."}
        for name, value in (("start", start), ("end", end))
        if value.tzinfo is None or value.utcoffset() is None
    ]
    if not errors and start >= end:
        errors.append({"field": "end", "message": "end must be after start."})
    if errors:
        raise ValidationFailed("The time off is invalid.", errors=errors)
    with transaction.atomic():
        time_off: TimeOff = TimeOff.objects.for_organization(resource.organization).create(
            resource=resource, start=start, end=end, reason=reason.strip()
        )
    return time_off


def time_off_delete(*, time_off: TimeOff) -> None:
    """Deletes the entry; a concurrent delete that got there first makes this one 404, as it would after."""
    with transaction.atomic():
        try:
            refresh_for_update(time_off)
        except TimeOff.DoesNotExist as exc:
            raise TimeOffNotFound("No such time off.") from exc
        time_off.delete()


def override_put(
    *, resource: Resource, date: date, intervals: Iterable[Mapping[str, Any]], reason: str = ""
) -> WorkingHoursOverride:
    """Creates or replaces the resource's hours on `date`; what is stored already is not written again.

    The date's row is locked before it is compared. Two first PUTs of one date both find none: the
    second insert fails on the (resource, date) constraint in its savepoint once the first commits,
    and is retried once, which then finds, locks and replaces the first's row.
    """
    fields = {"intervals": normalize_day_intervals(intervals), "reason": reason.strip()}
    try:
        return _override_write(resource=resource, date=date, fields=fields)
    except IntegrityError:
        return _override_write(resource=resource, date=date, fields=fields)


def _override_write(*, resource: Resource, date: date, fields: Mapping[str, Any]) -> WorkingHoursOverride:
    overrides = WorkingHoursOverride.objects.for_organization(resource.organization).filter(resource=resource)
    with transaction.atomic():
        override: WorkingHoursOverride | None = overrides.select_for_update().filter(date=date).first()
        if override is None:
            created: WorkingHoursOverride = overrides.create(resource=resource, date=date, **fields)
            return created
        apply_changes(override, fields, editable=_OVERRIDE_EDITABLE)
    return override


def override_delete(*, override: WorkingHoursOverride) -> None:
    """Deletes the override (the weekly hours apply again); a concurrent delete first makes this one 404."""
    with transaction.atomic():
        try:
            refresh_for_update(override)
        except WorkingHoursOverride.DoesNotExist as exc:
            raise OverrideNotFound("No working-hours override on that date.") from exc
        override.delete()
