//! Validation issues in the shape FastAPI/pydantic clients expect:
//! `{"type": "string_too_short", "loc": ["body", "password"], "msg": "…", "input": …, "ctx": {…}}`.
//!
//! [`Issues`] collects every problem of a request (not just the first), and its helpers return
//! parsed domain values, so handlers receive typed input ("parse, don't validate").

use std::str::FromStr;

use mealframe_core::{
    email::Email,
    meal_time::MealTime,
    password::{self, NewPassword, PasswordError},
    planning::calendar::{self, DateError},
    tenths::{self, DecimalError, Tenths, TenthsError},
    tz::TimeZoneName,
};
use serde_json::{Value, json};
use time::Date;
use uuid::Uuid;

pub use super::issue::Issue;
use crate::error::ApiError;

/// The pattern a slot's `time` must match (what the 422 and the OpenAPI document name).
pub const MEAL_TIME_PATTERN: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";

/// What a 422 shows as the `input` of a rejected secret.
pub const HIDDEN: &str = "[hidden]";

/// A location inside the request: a key or a list index.
#[derive(Debug, Clone, Copy)]
pub enum Loc<'a> {
    Key(&'a str),
    Index(usize),
}

impl From<Loc<'_>> for Value {
    fn from(l: Loc<'_>) -> Value {
        match l {
            Loc::Key(k) => Value::String(k.to_owned()),
            Loc::Index(i) => Value::from(i),
        }
    }
}

/// Anything that names a place in the request: `"email"`, `("slots", 2, "position")`, …
pub trait IntoLoc {
    fn into_loc(self) -> Vec<Value>;
}

impl IntoLoc for &str {
    fn into_loc(self) -> Vec<Value> {
        vec![Value::String(self.to_owned())]
    }
}

impl IntoLoc for (&str, usize) {
    fn into_loc(self) -> Vec<Value> {
        vec![self.0.into(), self.1.into()]
    }
}

impl IntoLoc for (&str, usize, &str) {
    fn into_loc(self) -> Vec<Value> {
        vec![self.0.into(), self.1.into(), self.2.into()]
    }
}

impl IntoLoc for Vec<Value> {
    fn into_loc(self) -> Vec<Value> {
        self
    }
}

/// Where the input came from: the first element of every `loc`.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Body,
    Query,
    Path,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Body => "body",
            Source::Query => "query",
            Source::Path => "path",
        }
    }
}

/// Collects issues while parsing one request part.
#[derive(Debug)]
pub struct Issues {
    source: Source,
    list: Vec<Issue>,
}

fn describe_enum(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

impl Issues {
    pub fn new(source: Source) -> Issues {
        Issues {
            source,
            list: Vec::new(),
        }
    }

    pub fn body() -> Issues {
        Issues::new(Source::Body)
    }

    pub fn query() -> Issues {
        Issues::new(Source::Query)
    }

    pub fn path() -> Issues {
        Issues::new(Source::Path)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Record an issue at `loc` (relative to the source).
    pub fn push(
        &mut self,
        kind: &'static str,
        loc: impl IntoLoc,
        msg: impl Into<String>,
        input: Value,
        ctx: Option<Value>,
    ) {
        let mut full = vec![Value::String(self.source.as_str().to_owned())];
        full.extend(loc.into_loc());
        self.list.push(Issue {
            kind,
            loc: full,
            msg: msg.into(),
            input,
            ctx,
        });
    }

    /// `Err(422)` with every issue if there were any, else the value.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match (self.list.is_empty(), value) {
            (true, Some(v)) => Ok(v),
            (true, None) => Err(ApiError::Validation(vec![Issue {
                kind: "value_error",
                loc: vec![Value::String(self.source.as_str().to_owned())],
                msg: "Value error, invalid input".into(),
                input: Value::Null,
                ctx: None,
            }])),
            (false, _) => Err(ApiError::Validation(self.list)),
        }
    }

    pub fn into_error(self) -> ApiError {
        ApiError::Validation(self.list)
    }

    /// A required value that was absent.
    pub fn missing(&mut self, loc: impl IntoLoc, input: &Value) {
        self.push("missing", loc, "Field required", input.clone(), None);
    }

    /// A string of `min..=max` characters (counted in characters, as Python does).
    pub fn text(
        &mut self,
        loc: impl IntoLoc + Clone,
        s: &str,
        min: usize,
        max: Option<usize>,
    ) -> Option<String> {
        let n = s.chars().count();
        if n < min {
            let msg = if min == 1 {
                "String should have at least 1 character".to_owned()
            } else {
                format!("String should have at least {min} characters")
            };
            self.push(
                "string_too_short",
                loc,
                msg,
                json!(s),
                Some(json!({ "min_length": min })),
            );
            return None;
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.push(
                "string_too_long",
                loc,
                format!("String should have at most {max} characters"),
                json!(s),
                Some(json!({ "max_length": max })),
            );
            return None;
        }
        Some(s.to_owned())
    }

    pub fn email(&mut self, loc: impl IntoLoc, s: &str) -> Option<Email> {
        match Email::parse(s) {
            Ok(e) => Some(e),
            Err(reason) => {
                self.push(
                    "value_error",
                    loc,
                    format!("value is not a valid email address: {reason}"),
                    json!(s),
                    Some(json!({ "reason": reason.to_string() })),
                );
                None
            }
        }
    }

    /// A new password; a rejected one is never echoed back (its `input` is [`HIDDEN`]).
    pub fn new_password(&mut self, loc: impl IntoLoc, s: &str) -> Option<NewPassword> {
        match NewPassword::parse(s) {
            Ok(p) => Some(p),
            Err(PasswordError::TooShort) => {
                self.push(
                    "string_too_short",
                    loc,
                    format!(
                        "String should have at least {} characters",
                        password::MIN_LEN
                    ),
                    json!(HIDDEN),
                    Some(json!({ "min_length": password::MIN_LEN })),
                );
                None
            }
            Err(PasswordError::TooLong) => {
                self.push(
                    "string_too_long",
                    loc,
                    format!(
                        "String should have at most {} characters",
                        password::MAX_LEN
                    ),
                    json!(HIDDEN),
                    Some(json!({ "max_length": password::MAX_LEN })),
                );
                None
            }
        }
    }

    pub fn timezone(&mut self, loc: impl IntoLoc, s: &str) -> Option<TimeZoneName> {
        let tz = TimeZoneName::parse(s);
        if tz.is_none() {
            self.push(
                "value_error",
                loc,
                "Value error, unknown IANA time zone",
                json!(s),
                None,
            );
        }
        tz
    }

    /// A time of day as a JSON string `"HH:MM"` (24-hour, zero-padded).
    pub fn meal_time(&mut self, loc: impl IntoLoc, v: &Value) -> Option<MealTime> {
        let Some(s) = v.as_str() else {
            self.push(
                "string_type",
                loc,
                "Input should be a valid string",
                v.clone(),
                None,
            );
            return None;
        };
        let t = MealTime::parse(s);
        if t.is_none() {
            self.push(
                "string_pattern_mismatch",
                loc,
                format!("String should match pattern '{MEAL_TIME_PATTERN}'"),
                json!(s),
                Some(json!({ "pattern": MEAL_TIME_PATTERN })),
            );
        }
        t
    }

    /// A UUID given as a JSON string.
    pub fn uuid<T: From<Uuid>>(&mut self, loc: impl IntoLoc, v: &Value) -> Option<T> {
        let Some(s) = v.as_str() else {
            self.push(
                "uuid_type",
                loc,
                "UUID input should be a string, bytes or UUID object",
                v.clone(),
                None,
            );
            return None;
        };
        self.uuid_str(loc, s)
    }

    pub fn uuid_str<T: From<Uuid>>(&mut self, loc: impl IntoLoc, s: &str) -> Option<T> {
        match Uuid::parse_str(s) {
            Ok(u) => Some(T::from(u)),
            Err(e) => {
                self.push(
                    "uuid_parsing",
                    loc,
                    format!("Input should be a valid UUID, {e}"),
                    json!(s),
                    Some(json!({ "error": e.to_string() })),
                );
                None
            }
        }
    }

    /// An integer given as a JSON number or a numeric string (pydantic's lax mode), in `[ge, le]`.
    pub fn int(
        &mut self,
        loc: impl IntoLoc + Clone,
        v: &Value,
        ge: Option<i64>,
        le: Option<i64>,
    ) -> Option<i64> {
        let parsed = match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(i),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
                    Some(_) => {
                        self.push(
                            "int_from_float",
                            loc,
                            "Input should be a valid integer, got a number with a fractional part",
                            v.clone(),
                            None,
                        );
                        return None;
                    }
                    None => None,
                },
            },
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.push(
                        "int_parsing",
                        loc,
                        "Input should be a valid integer, unable to parse string as an integer",
                        v.clone(),
                        None,
                    );
                    return None;
                }
            },
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        };
        let Some(i) = parsed else {
            self.push(
                "int_type",
                loc,
                "Input should be a valid integer",
                v.clone(),
                None,
            );
            return None;
        };
        self.bounds(loc, v, i, ge, le)
    }

    fn bounds(
        &mut self,
        loc: impl IntoLoc,
        v: &Value,
        i: i64,
        ge: Option<i64>,
        le: Option<i64>,
    ) -> Option<i64> {
        if let Some(ge) = ge.filter(|g| i < *g) {
            self.push(
                "greater_than_equal",
                loc,
                format!("Input should be greater than or equal to {ge}"),
                v.clone(),
                Some(json!({ "ge": ge })),
            );
            return None;
        }
        if let Some(le) = le.filter(|l| i > *l) {
            self.push(
                "less_than_equal",
                loc,
                format!("Input should be less than or equal to {le}"),
                v.clone(),
                Some(json!({ "le": le })),
            );
            return None;
        }
        Some(i)
    }

    /// An integer from a query-string or path value.
    pub fn int_str(
        &mut self,
        loc: impl IntoLoc + Clone,
        s: &str,
        ge: Option<i64>,
        le: Option<i64>,
    ) -> Option<i64> {
        match s.trim().parse::<i64>() {
            Ok(i) => self.bounds(loc, &json!(s), i, ge, le),
            Err(_) => {
                self.push(
                    "int_parsing",
                    loc,
                    "Input should be a valid integer, unable to parse string as an integer",
                    json!(s),
                    None,
                );
                None
            }
        }
    }

    /// A decimal (JSON number or numeric string) as a macro value: 0 ≤ v ≤ 99999.9, one decimal.
    pub fn tenths(&mut self, loc: impl IntoLoc + Clone, v: &Value) -> Option<Tenths> {
        let text = match v {
            Value::Number(n) => n
                .as_f64()
                .map(tenths::f64_text)
                .unwrap_or_else(|| n.to_string()),
            Value::String(s) => s.clone(),
            _ => {
                self.push(
                    "decimal_type",
                    loc,
                    "Decimal input should be an integer, float, string or Decimal object",
                    v.clone(),
                    None,
                );
                return None;
            }
        };
        match Tenths::parse(&text) {
            Ok(t) => Some(t),
            Err(TenthsError::Decimal(DecimalError::NotFinite)) => {
                self.push(
                    "finite_number",
                    loc,
                    "Input should be a finite number",
                    v.clone(),
                    None,
                );
                None
            }
            Err(TenthsError::Decimal(_)) => {
                self.push(
                    "decimal_parsing",
                    loc,
                    "Input should be a valid decimal",
                    v.clone(),
                    None,
                );
                None
            }
            Err(TenthsError::Negative) => {
                self.push(
                    "greater_than_equal",
                    loc,
                    "Input should be greater than or equal to 0",
                    v.clone(),
                    Some(json!({ "ge": 0 })),
                );
                None
            }
            Err(TenthsError::TooLarge) => {
                self.push(
                    "less_than_equal",
                    loc,
                    "Input should be less than or equal to 99999.9",
                    v.clone(),
                    Some(json!({ "le": 99999.9 })),
                );
                None
            }
        }
    }

    /// A decimal in hundredths within `[0, 1]` (confidence scores).
    pub fn unit_fraction(&mut self, loc: impl IntoLoc + Clone, v: &Value) -> Option<i32> {
        let text = match v {
            Value::Number(n) => n
                .as_f64()
                .map(tenths::f64_text)
                .unwrap_or_else(|| n.to_string()),
            Value::String(s) => s.clone(),
            _ => {
                self.push(
                    "decimal_type",
                    loc,
                    "Decimal input should be an integer, float, string or Decimal object",
                    v.clone(),
                    None,
                );
                return None;
            }
        };
        match tenths::parse_scaled(&text, 2) {
            Ok(u) if (0..=100).contains(&u) => Some(u as i32),
            Ok(u) if u < 0 => {
                self.push(
                    "greater_than_equal",
                    loc,
                    "Input should be greater than or equal to 0",
                    v.clone(),
                    Some(json!({ "ge": 0 })),
                );
                None
            }
            Ok(_) => {
                self.push(
                    "less_than_equal",
                    loc,
                    "Input should be less than or equal to 1",
                    v.clone(),
                    Some(json!({ "le": 1 })),
                );
                None
            }
            Err(_) => {
                self.push(
                    "decimal_parsing",
                    loc,
                    "Input should be a valid decimal",
                    v.clone(),
                    None,
                );
                None
            }
        }
    }

    /// A calendar date `YYYY-MM-DD` (a datetime whose time is midnight is accepted, as pydantic does).
    pub fn date(&mut self, loc: impl IntoLoc, v: &Value) -> Option<Date> {
        let Some(s) = v.as_str() else {
            self.push(
                "date_type",
                loc,
                "Input should be a valid date",
                v.clone(),
                None,
            );
            return None;
        };
        self.date_str(loc, s)
    }

    /// A date within [`calendar::FIRST_DAY`]..=[`calendar::LAST_DAY`] (outside: a 422 naming
    /// the bound, as pydantic reports a `ge`/`le` date constraint).
    pub fn date_str(&mut self, loc: impl IntoLoc, s: &str) -> Option<Date> {
        let candidate = s
            .strip_suffix("T00:00:00")
            .or_else(|| s.strip_suffix("T00:00:00Z"))
            .unwrap_or(s);
        match calendar::parse_date(candidate) {
            Ok(d) => Some(d),
            Err(DateError::TooEarly) => {
                let first = calendar::FIRST_DAY.to_string();
                self.push(
                    "greater_than_equal",
                    loc,
                    format!("Input should be greater than or equal to {first}"),
                    json!(s),
                    Some(json!({ "ge": first })),
                );
                None
            }
            Err(DateError::TooLate) => {
                let last = calendar::LAST_DAY.to_string();
                self.push(
                    "less_than_equal",
                    loc,
                    format!("Input should be less than or equal to {last}"),
                    json!(s),
                    Some(json!({ "le": last })),
                );
                None
            }
            Err(DateError::Format) => {
                let reason = if s.len() < 10 {
                    "input is too short"
                } else {
                    "invalid date format"
                };
                self.push(
                    "date_from_datetime_parsing",
                    loc,
                    format!("Input should be a valid date or datetime, {reason}"),
                    json!(s),
                    Some(json!({ "error": reason })),
                );
                None
            }
        }
    }

    /// A boolean from a query string, read as pydantic reads one (`true`/`false`, `1`/`0`,
    /// `yes`/`no`, `on`/`off`, `t`/`f`, `y`/`n`, any case); anything else is a 422.
    pub fn bool_str(&mut self, loc: impl IntoLoc, s: &str) -> Option<bool> {
        match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => {
                self.push(
                    "bool_parsing",
                    loc,
                    "Input should be a valid boolean, unable to interpret input",
                    json!(s),
                    None,
                );
                None
            }
        }
    }

    /// One of a fixed set of strings.
    pub fn one_of<T: FromStr>(
        &mut self,
        loc: impl IntoLoc,
        v: &Value,
        allowed: &[&str],
    ) -> Option<T> {
        let parsed = v
            .as_str()
            .filter(|s| allowed.contains(s))
            .and_then(|s| s.parse::<T>().ok());
        if parsed.is_none() {
            let expected = describe_enum(allowed);
            self.push(
                "enum",
                loc,
                format!("Input should be {expected}"),
                v.clone(),
                Some(json!({ "expected": expected })),
            );
        }
        parsed
    }
}

/// Turn a serde error raised while reading `input` into an issue. Best effort: serde reports the
/// first problem only, with a path and a message from which the pydantic type is inferred.
pub fn issue_from_serde(
    source: Source,
    path: &serde_path_to_error::Path,
    err: &serde_json::Error,
    input: &Value,
) -> Issue {
    let mut loc = vec![Value::String(source.as_str().to_owned())];
    let mut at = Some(input);
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Map { key } => {
                loc.push(Value::String(key.clone()));
                at = at.and_then(|v| v.get(key));
            }
            serde_path_to_error::Segment::Seq { index } => {
                loc.push(Value::from(*index));
                at = at.and_then(|v| v.get(*index));
            }
            _ => {}
        }
    }
    let text = err.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text).to_owned();
    let here = at.cloned().unwrap_or(Value::Null);
    if let Some(field) = text
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        loc.push(Value::String(field.to_owned()));
        return Issue {
            kind: "missing",
            loc,
            msg: "Field required".into(),
            input: here,
            ctx: None,
        };
    }
    if text.starts_with("unknown variant") {
        let expected: Vec<&str> = text
            .split("expected")
            .nth(1)
            .unwrap_or("")
            .split('`')
            .skip(1)
            .step_by(2)
            .collect();
        let expected = describe_enum(&expected);
        return Issue {
            kind: "enum",
            loc,
            msg: format!("Input should be {expected}"),
            input: here,
            ctx: Some(json!({ "expected": expected })),
        };
    }
    let expected = text.split("expected ").nth(1).unwrap_or("");
    let (kind, msg) = if text.starts_with("invalid type") {
        if expected.starts_with("a string") {
            ("string_type", "Input should be a valid string")
        } else if expected.starts_with("a boolean") {
            ("bool_type", "Input should be a valid boolean")
        } else if expected.starts_with("a sequence") {
            ("list_type", "Input should be a valid list")
        } else if expected.starts_with("struct") || expected.starts_with("a map") {
            (
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
        } else if expected.starts_with('i')
            || expected.starts_with('u')
            || expected.contains("integer")
        {
            ("int_type", "Input should be a valid integer")
        } else if expected.starts_with('f') {
            ("float_type", "Input should be a valid number")
        } else {
            ("value_error", "Input is of the wrong type")
        }
    } else if text.contains("UUID") || text.contains("uuid") {
        ("uuid_parsing", "Input should be a valid UUID")
    } else {
        ("value_error", "Value error, invalid input")
    };
    Issue {
        kind,
        loc,
        msg: msg.into(),
        input: here,
        ctx: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_reported_like_pydantic() {
        let mut v = Issues::body();
        assert!(v.new_password("password", "short").is_none());
        let ApiError::Validation(list) = v.into_error() else {
            panic!()
        };
        assert_eq!(
            serde_json::to_value(&list[0]).unwrap(),
            json!({"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters", "input": "[hidden]", "ctx": {"min_length": 8}})
        );
    }

    #[test]
    fn integers_accept_numeric_strings_but_not_fractions() {
        let mut v = Issues::body();
        assert_eq!(v.int("n", &json!("42"), None, None), Some(42));
        assert_eq!(v.int("n", &json!(3.0), None, None), Some(3));
        assert_eq!(v.int("n", &json!(3.5), None, None), None);
        assert_eq!(v.int("n", &json!(-1), Some(0), None), None);
        let ApiError::Validation(list) = v.into_error() else {
            panic!()
        };
        assert_eq!(
            list.iter().map(|i| i.kind).collect::<Vec<_>>(),
            ["int_from_float", "greater_than_equal"]
        );
    }

    #[test]
    fn decimals_refuse_nan_and_out_of_range_values() {
        let mut v = Issues::body();
        assert_eq!(v.tenths("p", &json!("NaN")), None);
        assert_eq!(v.tenths("p", &json!(100000)), None);
        assert_eq!(v.tenths("p", &json!(-1)), None);
        assert_eq!(
            v.tenths("p", &json!("18.25")).map(|t| t.to_string()),
            Some("18.3".into())
        );
        let ApiError::Validation(list) = v.into_error() else {
            panic!()
        };
        assert_eq!(
            list.iter().map(|i| i.kind).collect::<Vec<_>>(),
            ["finite_number", "less_than_equal", "greater_than_equal"]
        );
    }

    #[test]
    fn enums_list_the_allowed_values() {
        let mut v = Issues::body();
        let got: Option<String> = v.one_of(
            "status",
            &json!("adjusted"),
            &["followed", "skipped", "social"],
        );
        assert!(got.is_none());
        let ApiError::Validation(list) = v.into_error() else {
            panic!()
        };
        assert_eq!(
            list[0].msg,
            "Input should be 'followed', 'skipped' or 'social'"
        );
    }
}
