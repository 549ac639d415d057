//! Path parameters parsed into typed values, with the original's 422 on malformed input.

use time::Date;
use uuid::Uuid;

use crate::{error::ApiResult, extract::Issues};

/// A UUID path segment named `name`.
pub fn id<T: From<Uuid>>(name: &str, raw: &str) -> ApiResult<T> {
    let mut v = Issues::path();
    let parsed = v.uuid_str(name, raw);
    v.finish(parsed)
}

/// A `YYYY-MM-DD` path segment named `name`.
pub fn date(name: &str, raw: &str) -> ApiResult<Date> {
    let mut v = Issues::path();
    let parsed = v.date_str(name, raw);
    v.finish(parsed)
}
