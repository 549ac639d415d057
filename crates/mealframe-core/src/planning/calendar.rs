//! Weeks run Monday to Sunday; weekdays are numbered 0 (Monday) to 6 (Sunday) as in the original.
//!
//! Dates given by people are limited to [`FIRST_DAY`]..=[`LAST_DAY`]: far enough from the ends
//! of the calendar types (±9999) that a week, a month of history or a year of statistics around
//! any accepted date can be computed without overflow, and every engine stores it.

use time::{Date, Duration, Weekday, macros::date};

/// The earliest date a request may name.
pub const FIRST_DAY: Date = date!(1900 - 01 - 01);
/// The latest date a request may name.
pub const LAST_DAY: Date = date!(9000 - 12 - 31);

/// Why a date text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not `YYYY-MM-DD`, or no such day.
    Format,
    TooEarly,
    TooLate,
}

/// Parse `YYYY-MM-DD` within the supported range.
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = Date::parse(s, &fmt).map_err(|_| DateError::Format)?;
    if d < FIRST_DAY {
        Err(DateError::TooEarly)
    } else if d > LAST_DAY {
        Err(DateError::TooLate)
    } else {
        Ok(d)
    }
}

/// 0 for Monday … 6 for Sunday.
pub fn weekday_index(d: Date) -> u8 {
    d.weekday().number_days_from_monday()
}

/// `"Monday"` … `"Sunday"`.
pub fn weekday_name(d: Date) -> &'static str {
    match d.weekday() {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// The name of weekday index 0..=6.
pub fn weekday_index_name(i: u8) -> &'static str {
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ][usize::from(i.min(6))]
}

/// The Monday of the week containing `d`.
pub fn monday_of(d: Date) -> Date {
    d - Duration::days(i64::from(weekday_index(d)))
}

/// The first Monday strictly after `today` (a Monday's "next Monday" is a week later).
pub fn next_monday(today: Date) -> Date {
    today + Duration::days(7 - i64::from(weekday_index(today)))
}

/// The seven dates of the week starting on `monday`.
pub fn week_dates(monday: Date) -> impl Iterator<Item = Date> {
    (0..7).map(move |i| monday + Duration::days(i))
}

/// The first day of the month of `d`, and the first day of the month after (a half-open span:
/// usage counts and quotas run by calendar month).
pub fn month_span(d: Date) -> (Date, Date) {
    let start = d.replace_day(1).expect("every month has a day 1");
    let next = match start.month() {
        time::Month::December => {
            Date::from_calendar_date(start.year() + 1, time::Month::January, 1)
        }
        m => Date::from_calendar_date(start.year(), m.next(), 1),
    };
    (start, next.unwrap_or(Date::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_parsed_within_the_supported_range() {
        assert_eq!(parse_date("2026-11-18"), Ok(date!(2026 - 11 - 18)));
        assert_eq!(parse_date("1900-01-01"), Ok(FIRST_DAY));
        assert_eq!(parse_date("9000-12-31"), Ok(LAST_DAY));
        assert_eq!(parse_date("1899-12-31"), Err(DateError::TooEarly));
        assert_eq!(parse_date("-9999-01-01"), Err(DateError::TooEarly));
        assert_eq!(parse_date("9999-12-31"), Err(DateError::TooLate));
        assert_eq!(parse_date("2026-02-30"), Err(DateError::Format));
        assert_eq!(parse_date("soon"), Err(DateError::Format));
        // A year of history before the first day and a week after the last still compute.
        assert!(FIRST_DAY.checked_sub(Duration::days(400)).is_some());
        assert!(
            next_monday(LAST_DAY)
                .checked_add(Duration::days(400))
                .is_some()
        );
    }

    #[test]
    fn next_monday_is_strictly_after_today() {
        assert_eq!(next_monday(date!(2026 - 11 - 18)), date!(2026 - 11 - 23));
        assert_eq!(
            next_monday(date!(2026 - 11 - 23)),
            date!(2026 - 11 - 30),
            "from a Monday it is a week later"
        );
        assert_eq!(
            next_monday(date!(2026 - 11 - 22)),
            date!(2026 - 11 - 23),
            "from a Sunday it is tomorrow"
        );
    }

    #[test]
    fn monday_of_normalises_any_day() {
        assert_eq!(monday_of(date!(2026 - 11 - 22)), date!(2026 - 11 - 16));
        assert_eq!(monday_of(date!(2026 - 11 - 16)), date!(2026 - 11 - 16));
        assert_eq!(weekday_name(date!(2026 - 11 - 18)), "Wednesday");
    }

    #[test]
    fn a_month_span_runs_from_its_first_day_to_the_next_months() {
        assert_eq!(
            month_span(date!(2026 - 12 - 31)),
            (date!(2026 - 12 - 01), date!(2027 - 01 - 01))
        );
        assert_eq!(
            month_span(date!(2024 - 02 - 01)),
            (date!(2024 - 02 - 01), date!(2024 - 03 - 01))
        );
    }
}
