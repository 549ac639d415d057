//! Small readers for a model's JSON: each answers `None` when a rule is broken.

use serde_json::Value;

use crate::model::text;

/// A string of `min..=max` code points.
pub fn string(v: Option<&Value>, min: usize, max: usize) -> Option<String> {
    let s = v?.as_str()?;
    text::within(s, min, max).then(|| s.to_owned())
}

/// A list (missing = rule broken).
pub fn list(v: Option<&Value>) -> Option<&Vec<Value>> {
    v?.as_array()
}

/// A bool that defaults to false when absent.
pub fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => None,
    }
}

/// Python's `str(x)` for a scalar model value (`None`/missing → None).
pub fn stringify(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        other => Some(other.to_string()),
    }
}
