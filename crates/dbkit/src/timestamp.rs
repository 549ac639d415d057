//! `Timestamp`: a UTC instant at microsecond precision, stored the same way on both engines.
//!
//! PostgreSQL keeps it as `TIMESTAMPTZ` (microsecond precision natively). SQLite keeps it as an
//! `INTEGER` count of microseconds since the Unix epoch, so that ordering, equality and range
//! comparisons in SQL behave exactly as they do on PostgreSQL (sqlx's default RFC 3339 text has a
//! variable number of fractional digits and sorts wrongly).

use std::fmt;

use sqlx::{
    Decode, Encode, Postgres, Sqlite, Type,
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef},
    sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef},
};
use time::{Duration, OffsetDateTime, UtcOffset};

/// A UTC instant truncated to whole microseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current time, truncated to microseconds.
    pub fn now() -> Timestamp {
        Timestamp::from(OffsetDateTime::now_utc())
    }

    pub fn from_unix_micros(micros: i64) -> Option<Timestamp> {
        let nanos = i128::from(micros) * 1_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .map(Timestamp)
    }

    pub fn unix_micros(self) -> i64 {
        // In range for every representable year of `time` (±9999), so the cast cannot truncate.
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn into_inner(self) -> OffsetDateTime {
        self.0
    }

    /// `self + d`, saturating at the representable range.
    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp::from(self.0.checked_add(d).unwrap_or(self.0))
    }

    /// `self - d`, saturating at the representable range.
    pub fn minus(self, d: Duration) -> Timestamp {
        Timestamp::from(self.0.checked_sub(d).unwrap_or(self.0))
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        let t = t.to_offset(UtcOffset::UTC);
        let micros = t.microsecond();
        Timestamp(t.replace_microsecond(micros).expect("microsecond in range"))
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Timestamp::from(
            <OffsetDateTime as Decode<Postgres>>::decode(value)?,
        ))
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.unix_micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        Timestamp::from_unix_micros(micros).ok_or_else(|| "timestamp out of range".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_to_microseconds_and_round_trips_through_micros() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_771_243_200_123_456_789).unwrap();
        let ts = Timestamp::from(t);
        assert_eq!(ts.unix_micros(), 1_771_243_200_123_456);
        assert_eq!(Timestamp::from_unix_micros(ts.unix_micros()), Some(ts));
    }

    #[test]
    fn converts_offsets_to_utc() {
        let t = OffsetDateTime::from_unix_timestamp(0)
            .unwrap()
            .to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(Timestamp::from(t).into_inner().offset(), UtcOffset::UTC);
    }
}
