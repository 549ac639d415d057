//! Users' time zones: "today" is the user's calendar day in their IANA zone (default UTC).

use std::fmt;

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// The name of a real IANA time zone (`"Europe/Ljubljana"`, `"UTC"`).
#[derive(Clone, PartialEq, Eq)]
pub struct TimeZoneName {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl TimeZoneName {
    pub fn parse(name: &str) -> Option<TimeZoneName> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        let tz = jiff::tz::TimeZone::get(name).ok()?;
        Some(TimeZoneName {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn utc() -> TimeZoneName {
        TimeZoneName {
            name: "UTC".to_owned(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The calendar date at instant `now` in this zone.
    pub fn date_at(&self, now: OffsetDateTime) -> Date {
        let ts = jiff::Timestamp::from_second(now.unix_timestamp())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let civil = ts.to_zoned(self.tz.clone()).date();
        let month = time::Month::try_from(civil.month() as u8).unwrap_or(time::Month::January);
        Date::from_calendar_date(i32::from(civil.year()), month, civil.day() as u8)
            .unwrap_or(Date::MIN)
    }

    /// The wall-clock date and time (to the minute) at instant `now` in this zone.
    pub fn local_at(&self, now: OffsetDateTime) -> PrimitiveDateTime {
        let ts = jiff::Timestamp::from_second(now.unix_timestamp())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let civil = ts.to_zoned(self.tz.clone()).time();
        let time =
            Time::from_hms(civil.hour() as u8, civil.minute() as u8, 0).unwrap_or(Time::MIDNIGHT);
        PrimitiveDateTime::new(self.date_at(now), time)
    }
}

impl TimeZoneName {
    /// The instant at which the wall clock in this zone shows `date` at `hour:minute`. DST is
    /// the zone's own: 07:30 stays 07:30 local on both sides of a change. A time that does not
    /// exist (skipped by a spring-forward gap) is read with the offset before the gap (02:30 in
    /// a 02:00→03:00 gap is 03:30); a time that happens twice (autumn fold) is the first one.
    pub fn instant_of(&self, date: Date, hour: u8, minute: u8) -> OffsetDateTime {
        let civil = jiff::civil::DateTime::new(
            date.year() as i16,
            date.month() as i8,
            date.day() as i8,
            hour as i8,
            minute as i8,
            0,
            0,
        );
        let ts = civil
            .ok()
            .and_then(|c| c.to_zoned(self.tz.clone()).ok())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0);
        OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

impl fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZoneName({})", self.name)
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn knows_real_zones_only() {
        assert!(TimeZoneName::parse("Europe/Ljubljana").is_some());
        assert!(TimeZoneName::parse("America/Los_Angeles").is_some());
        assert!(TimeZoneName::parse("Mars/Olympus").is_none());
        assert!(TimeZoneName::parse("").is_none());
    }

    #[test]
    fn the_same_instant_is_a_different_day_in_different_zones() {
        let now = datetime!(2026-11-22 23:30 UTC);
        assert_eq!(TimeZoneName::utc().date_at(now), date!(2026 - 11 - 22));
        assert_eq!(
            TimeZoneName::parse("Europe/Ljubljana")
                .unwrap()
                .date_at(now),
            date!(2026 - 11 - 23)
        );
        assert_eq!(
            TimeZoneName::parse("America/New_York")
                .unwrap()
                .date_at(datetime!(2026-11-23 03:00 UTC)),
            date!(2026 - 11 - 22)
        );
    }

    #[test]
    fn a_local_meal_time_keeps_its_wall_clock_across_dst_changes() {
        let lj = TimeZoneName::parse("Europe/Ljubljana").unwrap();
        // Summer time ends on Sunday 2026-10-25: 07:30 is 05:30 UTC before, 06:30 UTC after.
        assert_eq!(
            lj.instant_of(date!(2026 - 10 - 24), 7, 30),
            datetime!(2026-10-24 05:30 UTC)
        );
        assert_eq!(
            lj.instant_of(date!(2026 - 10 - 26), 7, 30),
            datetime!(2026-10-26 06:30 UTC)
        );
        let ny = TimeZoneName::parse("America/New_York").unwrap();
        // US summer time begins on Sunday 2026-03-08.
        assert_eq!(
            ny.instant_of(date!(2026 - 03 - 07), 7, 30),
            datetime!(2026-03-07 12:30 UTC)
        );
        assert_eq!(
            ny.instant_of(date!(2026 - 03 - 09), 7, 30),
            datetime!(2026-03-09 11:30 UTC)
        );
        // 02:30 does not exist that night: it is read as 03:30 EDT.
        assert_eq!(
            ny.instant_of(date!(2026 - 03 - 08), 2, 30),
            datetime!(2026-03-08 07:30 UTC)
        );
    }

    #[test]
    fn local_time_follows_the_zone_offset_including_summer_time() {
        let tz = TimeZoneName::parse("Europe/Ljubljana").unwrap();
        assert_eq!(
            tz.local_at(datetime!(2026-11-22 23:30:59 UTC)),
            datetime!(2026-11-23 00:30)
        );
        assert_eq!(
            tz.local_at(datetime!(2026-07-01 10:00 UTC)),
            datetime!(2026-07-01 12:00)
        );
    }
}
