//! A slot's time of day ("07:30"): when the meal is eaten, in the user's time zone. It orders the
//! Today page, and it makes a calendar-feed event timed instead of all-day. Parsed once at the
//! edge from strict 24-hour `"HH:MM"`; stored as minutes after midnight.

use std::fmt;

/// A wall-clock time of day to the minute, 00:00…23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MealTime(u16);

impl MealTime {
    /// Strict `"HH:MM"`: two digits, a colon, two digits; hours 00–23, minutes 00–59.
    pub fn parse(s: &str) -> Option<MealTime> {
        let b = s.as_bytes();
        if b.len() != 5 || b[2] != b':' {
            return None;
        }
        let two = |x: &[u8]| -> Option<u16> {
            x.iter().try_fold(0u16, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
            })
        };
        let (h, m) = (two(&b[0..2])?, two(&b[3..5])?);
        (h < 24 && m < 60).then_some(MealTime(h * 60 + m))
    }

    /// From minutes after midnight (the stored form); `None` outside 0…1439.
    pub fn from_minutes(minutes: i32) -> Option<MealTime> {
        u16::try_from(minutes)
            .ok()
            .filter(|m| *m < 24 * 60)
            .map(MealTime)
    }

    pub fn minutes(self) -> i32 {
        i32::from(self.0)
    }

    pub fn hour(self) -> u8 {
        (self.0 / 60) as u8
    }

    pub fn minute(self) -> u8 {
        (self.0 % 60) as u8
    }
}

impl fmt::Display for MealTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// The order Today shows a day's slots in. A timed slot sorts by its time; an untimed one keeps
/// its template position and counts as the time of the nearest timed slot before it (so it stays
/// right after the slot it followed in the template; untimed slots before any timed one stay
/// first). Ties keep position order. The input is `(position, time)` per slot; the output is the
/// indices of the input in display order.
pub fn display_order(slots: &[(i32, Option<MealTime>)]) -> Vec<usize> {
    let mut by_position: Vec<usize> = (0..slots.len()).collect();
    by_position.sort_by_key(|&i| (slots[i].0, i));
    let mut keyed = Vec::with_capacity(slots.len());
    let mut carried: Option<MealTime> = None;
    for (rank, &i) in by_position.iter().enumerate() {
        if let Some(t) = slots[i].1 {
            carried = Some(t);
        }
        // Untimed slots inherit the carried time and sort after the timed slot that set it.
        let key = (carried, slots[i].1.is_none(), rank);
        keyed.push((key, i));
    }
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<MealTime> {
        MealTime::parse(s)
    }

    #[test]
    fn parses_strict_24_hour_times() {
        assert_eq!(t("07:30").map(|x| x.minutes()), Some(450));
        assert_eq!(t("00:00").map(|x| x.minutes()), Some(0));
        assert_eq!(t("23:59").map(|x| x.to_string()), Some("23:59".into()));
        for bad in [
            "24:00",
            "7:30",
            "07:60",
            "07:3",
            "0730",
            "07-30",
            " 07:30",
            "07:30:00",
            "",
            "ab:cd",
            "+1:00",
            "٠٧:٣٠",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_minutes_round_trip_and_reject_out_of_range() {
        assert_eq!(
            MealTime::from_minutes(1439).map(|m| m.to_string()),
            Some("23:59".into())
        );
        assert_eq!(MealTime::from_minutes(1440), None);
        assert_eq!(MealTime::from_minutes(-1), None);
    }

    #[test]
    fn timed_slots_sort_by_time_and_untimed_ones_follow_their_predecessor() {
        // Template: 1 Breakfast 07:30, 2 Snack (untimed), 3 Dinner 19:00, 4 Lunch 12:30.
        let slots = [(1, t("07:30")), (2, None), (3, t("19:00")), (4, t("12:30"))];
        assert_eq!(display_order(&slots), vec![0, 1, 3, 2]);
        // Untimed slots before any timed one stay first, in position order.
        let slots = [(1, None), (2, None), (3, t("08:00")), (4, t("06:00"))];
        assert_eq!(display_order(&slots), vec![0, 1, 3, 2]);
        // Nothing timed: position order.
        let slots = [(2, None), (1, None)];
        assert_eq!(display_order(&slots), vec![1, 0]);
    }
}
