"""The pure availability computation: working periods across DST changes, overrides, slots."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.scheduling.availability import (
    Busy,
    BusyIndex,
    Period,
    checked_slots,
    fits,
    free_slots,
    merge_periods,
    subtract,
    working_periods,
)

PARIS = "Europe/Paris"
WEEKDAYS_9_TO_17 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_nine_to_five_in_paris_moves_in_utc_across_spring_forward() -> None:
    # 2026-03-29: clocks go from 02:00 CET to 03:00 CEST.
    periods = working_periods(
        timezone=PARIS,
        working_hours=WEEKDAYS_9_TO_17,
        overrides={},
        within=Period(utc(2026, 3, 28), utc(2026, 3, 30)),
    )
    assert Period(utc(2026, 3, 28, 8), utc(2026, 3, 28, 16)) in periods  # CET: UTC+1
    assert Period(utc(2026, 3, 29, 7), utc(2026, 3, 29, 15)) in periods  # CEST: UTC+2


def test_fall_back_day_keeps_local_hours_and_a_period_over_the_change_lasts_one_hour_more() -> None:
    # 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET.
    hours = [{"weekday": 6, "start": "00:00", "end": "06:00"}]  # a Sunday night shift
    periods = working_periods(
        timezone=PARIS, working_hours=hours, overrides={}, within=Period(utc(2026, 10, 24), utc(2026, 10, 26))
    )
    assert periods == [Period(utc(2026, 10, 24, 22), utc(2026, 10, 25, 5))]
    assert periods[0].end - periods[0].start == timedelta(hours=7)


def test_spring_forward_night_shift_is_an_hour_shorter() -> None:
    hours = [{"weekday": 6, "start": "00:00", "end": "06:00"}]
    [period] = working_periods(
        timezone=PARIS, working_hours=hours, overrides={}, within=Period(utc(2026, 3, 28), utc(2026, 3, 30))
    )
    assert period == Period(utc(2026, 3, 28, 23), utc(2026, 3, 29, 4))


def test_an_override_replaces_the_weekly_hours_of_its_date_and_an_empty_one_closes_it() -> None:
    saturday, monday = date(2026, 12, 5), date(2026, 12, 7)
    periods = working_periods(
        timezone=PARIS,
        working_hours=[{"weekday": 0, "start": "09:00", "end": "17:00"}],
        overrides={saturday: [{"start": "10:00", "end": "14:00"}], monday: []},
        within=Period(utc(2026, 12, 4), utc(2026, 12, 9)),
    )
    assert periods == [Period(utc(2026, 12, 5, 9), utc(2026, 12, 5, 13))]


def test_touching_intervals_and_midnight_join_into_one_period() -> None:
    hours = [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "12:00", "end": "24:00"},
        {"weekday": 1, "start": "00:00", "end": "02:00"},
    ]
    periods = working_periods(
        timezone="UTC", working_hours=hours, overrides={}, within=Period(utc(2026, 12, 7), utc(2026, 12, 9))
    )
    assert periods == [Period(utc(2026, 12, 7, 9), utc(2026, 12, 8, 2))]


def test_time_off_cuts_working_time_and_fits_checks_one_free_period() -> None:
    working = [Period(utc(2026, 12, 7, 9), utc(2026, 12, 7, 17))]
    free = subtract(working, [Period(utc(2026, 12, 7, 12), utc(2026, 12, 7, 13))])
    assert free == [
        Period(utc(2026, 12, 7, 9), utc(2026, 12, 7, 12)),
        Period(utc(2026, 12, 7, 13), utc(2026, 12, 7, 17)),
    ]
    assert fits(free, Period(utc(2026, 12, 7, 11), utc(2026, 12, 7, 12)))
    assert not fits(free, Period(utc(2026, 12, 7, 11, 30), utc(2026, 12, 7, 12, 30)))
    assert not fits(free, Period(utc(2026, 12, 7, 8, 30), utc(2026, 12, 7, 9, 30)))


def _slots(
    busy: list[Busy], *, capacity: int = 1, session: uuid.UUID | None = None, after: int = 0
) -> list[datetime]:
    working = [Period(utc(2026, 12, 7, 9), utc(2026, 12, 7, 11))]
    found = free_slots(
        working=working,
        unavailable=[],
        busy=BusyIndex(busy),
        within=working[0],
        duration=timedelta(minutes=30),
        buffer_before=timedelta(0),
        buffer_after=timedelta(minutes=after),
        step=timedelta(minutes=30),
        capacity=capacity,
        session_of=lambda start: session,
    )
    return [slot.start for slot in found]


def test_slots_skip_busy_periods_and_back_to_back_is_free() -> None:
    taken = Busy(utc(2026, 12, 7, 9, 30), utc(2026, 12, 7, 10), uuid.uuid4())
    assert _slots([taken]) == [utc(2026, 12, 7, 9), utc(2026, 12, 7, 10), utc(2026, 12, 7, 10, 30)]


def test_a_slot_exactly_between_two_bookings_is_free() -> None:
    first = Busy(utc(2026, 12, 7, 9), utc(2026, 12, 7, 9, 30), uuid.uuid4())
    second = Busy(utc(2026, 12, 7, 10), utc(2026, 12, 7, 10, 30), uuid.uuid4())
    assert _slots([first, second]) == [utc(2026, 12, 7, 9, 30), utc(2026, 12, 7, 10, 30)]


def test_a_buffer_after_takes_the_slot_before_a_booking() -> None:
    taken = Busy(utc(2026, 12, 7, 10), utc(2026, 12, 7, 10, 30), uuid.uuid4())
    assert _slots([taken], after=15) == [utc(2026, 12, 7, 9), utc(2026, 12, 7, 10, 30)]


def test_a_group_session_stays_open_until_full_and_blocks_other_sessions() -> None:
    session = uuid.uuid4()
    one = Busy(utc(2026, 12, 7, 9), utc(2026, 12, 7, 9, 30), session)
    assert utc(2026, 12, 7, 9) in _slots([one], capacity=2, session=session)
    assert utc(2026, 12, 7, 9) not in _slots([one, one], capacity=2, session=session)
    assert utc(2026, 12, 7, 9) not in _slots([one], capacity=2, session=uuid.uuid4())


def test_busy_index_finds_long_entries_that_start_early() -> None:
    long = Busy(utc(2026, 12, 7, 6), utc(2026, 12, 7, 12), uuid.uuid4())
    short = Busy(utc(2026, 12, 7, 7), utc(2026, 12, 7, 8), uuid.uuid4())
    index = BusyIndex([long, short])
    assert index.overlapping(Period(utc(2026, 12, 7, 10), utc(2026, 12, 7, 11))) == [long]
    assert index.overlapping(Period(utc(2026, 12, 7, 12), utc(2026, 12, 7, 13))) == []


minutes = st.integers(0, 24 * 60)


@settings(max_examples=300, deadline=None)
@given(
    hours=st.lists(st.tuples(minutes, minutes), max_size=4),
    time_off=st.lists(st.tuples(minutes, st.integers(1, 300)), max_size=3),
    busy=st.lists(st.tuples(minutes, st.integers(1, 180)), max_size=8),
    duration=st.integers(5, 120),
    before=st.integers(0, 30),
    after=st.integers(0, 30),
    step=st.sampled_from([5, 10, 15, 20, 30, 45, 60]),
    within=st.tuples(minutes, minutes),
)
def test_the_one_to_one_fast_path_finds_exactly_the_slots_each_grid_start_check_finds(
    *,
    hours: list[tuple[int, int]],
    time_off: list[tuple[int, int]],
    busy: list[tuple[int, int]],
    duration: int,
    before: int,
    after: int,
    step: int,
    within: tuple[int, int],
) -> None:
    midnight = utc(2026, 12, 7)

    def at(minute: int) -> datetime:
        return midnight + timedelta(minutes=minute)

    working = merge_periods(Period(at(a), at(b)) for a, b in hours if a < b)
    holes = [Period(at(a), at(a + n)) for a, n in time_off]
    index = BusyIndex(Busy(at(a), at(a + n), uuid.uuid4()) for a, n in busy)
    query = Period(at(min(within)), at(max(within) + 1))
    common: dict[str, Any] = {
        "working": working,
        "busy": index,
        "within": query,
        "duration": timedelta(minutes=duration),
        "step": timedelta(minutes=step),
    }
    fast = free_slots(
        **common,
        unavailable=holes,
        buffer_before=timedelta(minutes=before),
        buffer_after=timedelta(minutes=after),
        capacity=1,
        session_of=lambda start: None,
    )
    reference = checked_slots(
        **common,
        free=subtract(working, holes),
        before=timedelta(minutes=before),
        after=timedelta(minutes=after),
        capacity=1,
        session_of=lambda start: None,
    )
    assert fast == reference
