"""Due times and digest dates across zones and daylight-saving days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from digest.clock import zone
from digest.push.schedule import Schedule, Slot, digest_date_for, push_moment

SHANGHAI, BERLIN, LA = zone("Asia/Shanghai"), zone("Europe/Berlin"), zone("America/Los_Angeles")
BUILD = time(18, 30)  # in Shanghai: 10:30 UTC all year
SCHEDULE = Schedule(BUILD, "Asia/Shanghai", timedelta(hours=12))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_shanghai_mornings_get_yesterdays_digest_evenings_todays() -> None:
    day = date(2026, 3, 10)
    assert digest_date_for(day, time(8, 0), SHANGHAI, BUILD, SHANGHAI) == date(2026, 3, 9)
    assert digest_date_for(day, time(18, 29), SHANGHAI, BUILD, SHANGHAI) == date(2026, 3, 9)
    assert digest_date_for(day, time(18, 30), SHANGHAI, BUILD, SHANGHAI) == day
    assert push_moment(day, time(8, 0), SHANGHAI) == utc(2026, 3, 10, 0, 0)


def test_los_angeles_mornings_get_the_digest_of_their_own_date() -> None:
    # 08:00 in LA is after the day's build in Shanghai (10:30 UTC), never a digest "from
    # tomorrow" even late in the evening, when Shanghai's next day is already built.
    day = date(2026, 3, 10)
    assert digest_date_for(day, time(8, 0), LA, BUILD, SHANGHAI) == day
    assert digest_date_for(day, time(23, 30), LA, BUILD, SHANGHAI) == day
    assert push_moment(day, time(8, 0), LA) == utc(2026, 3, 10, 15, 0)  # PDT since 03-08


def test_a_push_time_skipped_by_the_spring_jump_comes_an_hour_later() -> None:
    # Berlin jumps from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist; it resolves to
    # 03:30 CEST (01:30 UTC), the same instant as 02:30 would have been in winter time.
    moment = push_moment(date(2026, 3, 29), time(2, 30), BERLIN)
    assert moment == utc(2026, 3, 29, 1, 30)
    assert moment.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    day_before = push_moment(date(2026, 3, 28), time(2, 30), BERLIN)
    assert moment - day_before == timedelta(hours=24)


def test_a_push_time_repeated_by_the_autumn_jump_fires_at_its_first_occurrence() -> None:
    # On 2026-10-25 Berlin's 02:00-03:00 happens twice; the push comes once, in CEST.
    moment = push_moment(date(2026, 10, 25), time(2, 30), BERLIN)
    assert moment == utc(2026, 10, 25, 0, 30)
    slots = SCHEDULE.slots(utc(2026, 10, 25, 1, 45), time(2, 30), "Europe/Berlin")
    assert [s.local_date for s in slots if s.moment.date() == date(2026, 10, 25)] == [
        date(2026, 10, 25)
    ]


def test_berlin_noon_gets_the_same_day_digest_on_both_dst_days() -> None:
    # 12:00 Berlin is after the 18:30 Shanghai build in winter (11:30 CET) and before it in
    # summer (12:30 CEST). Compared in standard time the answer never flips, so no day is
    # skipped or doubled around the changes; in summer the push waits for the build.
    for start in (date(2026, 3, 26), date(2026, 10, 22)):
        days = [start + timedelta(days=n) for n in range(7)]
        dates = [digest_date_for(d, time(12, 0), BERLIN, BUILD, SHANGHAI) for d in days]
        assert dates == days


def test_in_summer_a_berlin_noon_push_waits_for_the_build() -> None:
    day = date(2026, 3, 29)
    now = utc(2026, 3, 29, 10, 15)  # 12:15 CEST: slot passed, Shanghai builds at 10:30 UTC
    slots = SCHEDULE.slots(now, time(12, 0), "Europe/Berlin")
    assert slots[0] == Slot(day, utc(2026, 3, 29, 10, 0), day)
    waiting = SCHEDULE.decide(now, slots, built={date(2026, 3, 28)}, started={date(2026, 3, 28)})
    assert waiting.due is None and waiting.late == ()
    later = utc(2026, 3, 29, 10, 31)
    slots = SCHEDULE.slots(later, time(12, 0), "Europe/Berlin")
    ready = SCHEDULE.decide(later, slots, built={day, date(2026, 3, 28)}, started=set())
    assert ready.due is not None and ready.due.digest_date == day


@given(
    st.sampled_from(
        ["Europe/Berlin", "America/Los_Angeles", "Asia/Shanghai", "Australia/Sydney", "UTC"]
    ),
    st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
    st.times(),
    st.times(),
    st.dates(date(2026, 1, 1), date(2027, 12, 31)),
)
def test_every_local_day_gets_the_next_digest_date(
    chat_zone: str, build_zone: str, at: time, build: time, day: date
) -> None:
    at, build = at.replace(microsecond=0, second=0), build.replace(microsecond=0, second=0)
    tz, btz = zone(chat_zone), zone(build_zone)
    first = digest_date_for(day, at, tz, build, btz)
    second = digest_date_for(day + timedelta(days=1), at, tz, build, btz)
    assert second - first == timedelta(days=1)
    assert first <= day


def test_catch_up_after_downtime_pushes_the_newest_slot_only() -> None:
    # Down from before 08:00 on 03-09 until 09:30 on 03-10 (Shanghai).
    now = utc(2026, 3, 10, 1, 30)
    slots = SCHEDULE.slots(now, time(8, 0), "Asia/Shanghai")
    assert [s.local_date for s in slots[:2]] == [date(2026, 3, 10), date(2026, 3, 9)]
    built = {date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)}
    decision = SCHEDULE.decide(now, slots, built, started={date(2026, 3, 7)})
    assert decision.due is not None and decision.due.digest_date == date(2026, 3, 9)
    assert [(s.digest_date, why) for s, why in decision.late] == [
        (date(2026, 3, 8), "more than 12 h past the push time")
    ]
    patient = Schedule(BUILD, "Asia/Shanghai", timedelta(hours=48))
    decision = patient.decide(now, slots, built, started={date(2026, 3, 7)})
    assert decision.due is not None and decision.due.digest_date == date(2026, 3, 9)
    assert [(s.digest_date, why) for s, why in decision.late] == [
        (date(2026, 3, 8), "superseded by the push of 2026-03-10")
    ]


def test_a_digest_more_than_the_delay_past_its_push_time_is_skipped() -> None:
    now = utc(2026, 3, 10, 12, 30)  # 20:30 in Shanghai, 12.5 h after the 08:00 push
    slots = SCHEDULE.slots(now, time(8, 0), "Asia/Shanghai")
    decision = SCHEDULE.decide(now, slots, {date(2026, 3, 9)}, started=set())
    assert decision.due is None
    assert [(s.digest_date, why) for s, why in decision.late] == [
        (date(2026, 3, 9), "more than 12 h past the push time")
    ]
    in_time = SCHEDULE.decide(now - timedelta(hours=1), slots, {date(2026, 3, 9)}, set())
    assert in_time.due is not None


def test_nothing_is_due_before_the_push_time_or_once_started() -> None:
    now = utc(2026, 3, 9, 23, 59)  # 07:59 in Shanghai on 03-10
    slots = SCHEDULE.slots(now, time(8, 0), "Asia/Shanghai")
    decision = SCHEDULE.decide(now, slots, {date(2026, 3, 9), date(2026, 3, 8)}, {date(2026, 3, 8)})
    assert decision.due is None and decision.late == ()
