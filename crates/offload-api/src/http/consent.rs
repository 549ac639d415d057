//! Cloud consent (spec §4): every AI call must say `X-Offload-Cloud-Opt-In: true` (any case).
//! Anything else — missing, `1`, `yes` — is a refusal. Fail closed.

use axum::http::HeaderMap;

use crate::error::ApiError;

pub const OPT_IN_HEADER: &str = "x-offload-cloud-opt-in";

pub fn require(headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(OPT_IN_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if given {
        Ok(())
    } else {
        Err(ApiError::ConsentRequired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_true_in_any_case_is_consent() {
        for (value, ok) in [
            ("true", true),
            ("TRUE", true),
            ("True", true),
            ("1", false),
            ("yes", false),
            ("on", false),
            ("", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(OPT_IN_HEADER, HeaderValue::from_str(value).unwrap());
            assert_eq!(require(&h).is_ok(), ok, "{value}");
        }
        assert!(require(&HeaderMap::new()).is_err());
    }
}
