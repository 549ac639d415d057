//! Wire formats for instants.
//!
//! MealFrame's original (Python `isoformat()`) prints `2026-11-22T02:34:22.876891+00:00` and drops
//! the fraction when it is zero. Offload's iOS client only decodes whole-second RFC 3339 with `Z`.

use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, as Python's `datetime.isoformat()` prints a UTC instant.
pub fn python_isoformat(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let micros = t.microsecond();
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (fraction dropped, not rounded).
pub fn rfc3339_seconds(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .expect("zero is a valid nanosecond");
    t.format(&Rfc3339).expect("UTC instants always format")
}

/// serde helpers: `#[serde(with = "platform::timefmt::isoformat")]`.
pub mod isoformat {
    use serde::Serializer;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::python_isoformat(*t))
    }

    pub mod option {
        use serde::Serializer;
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::python_isoformat(*t)),
                None => s.serialize_none(),
            }
        }
    }
}

/// serde helper: `#[serde(with = "platform::timefmt::seconds_z")]`.
pub mod seconds_z {
    use serde::Serializer;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339_seconds(*t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn isoformat_keeps_microseconds_and_the_plus_zero_offset() {
        assert_eq!(
            python_isoformat(datetime!(2026-11-22 02:34:22.876891 UTC)),
            "2026-11-22T02:34:22.876891+00:00"
        );
        assert_eq!(
            python_isoformat(datetime!(2026-11-22 02:34:22.000050 UTC)),
            "2026-11-22T02:34:22.000050+00:00"
        );
    }

    #[test]
    fn isoformat_drops_a_zero_fraction() {
        assert_eq!(
            python_isoformat(datetime!(2026-11-22 02:34:22 UTC)),
            "2026-11-22T02:34:22+00:00"
        );
    }

    #[test]
    fn isoformat_converts_to_utc() {
        assert_eq!(
            python_isoformat(datetime!(2026-11-22 03:00:00 +01:00)),
            "2026-11-22T02:00:00+00:00"
        );
    }

    #[test]
    fn seconds_z_truncates_the_fraction() {
        assert_eq!(
            rfc3339_seconds(datetime!(2026-02-16 12:00:00.999 UTC)),
            "2026-02-16T12:00:00Z"
        );
    }
}
