//! Weeks run Monday to Sunday; weekdays are numbered 0 (Monday) to 6 (Sunday) as in the original.

use time::{Date, Duration, Weekday};

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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

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
}
