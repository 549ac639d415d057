//! E-mail addresses as accounts use them.
//!
//! An [`Email`] keeps the address as the person typed it (domain lower-cased, as the original's
//! validator did) for display and mail, and a [`Email::key`] — the whole address lower-cased —
//! under which accounts are unique: `Probe.User@Example.com` and `probe.user@example.com` are one
//! account (a deliberate difference from the original, which compared local parts exactly).

use std::fmt;

/// A syntactically plausible e-mail address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    display: String,
    key: String,
}

/// Why a string is not an e-mail address (the text follows the original validator's tone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("The email address is not valid. It must have exactly one @-sign.")]
    AtSign,
    #[error("There must be something before the @-sign.")]
    EmptyLocal,
    #[error("There must be something after the @-sign.")]
    EmptyDomain,
    #[error("The email address is too long.")]
    TooLong,
    #[error("The part before the @-sign contains invalid characters or dots in the wrong place.")]
    BadLocal,
    #[error("The part after the @-sign is not valid. It should have a period.")]
    NoDot,
    #[error("The part after the @-sign contains invalid characters or labels.")]
    BadDomain,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let raw = raw.trim();
        let mut parts = raw.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::AtSign);
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocal);
        }
        if domain.is_empty() {
            return Err(EmailError::EmptyDomain);
        }
        if raw.chars().count() > 254 || local.chars().count() > 64 {
            return Err(EmailError::TooLong);
        }
        let local_ok = !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok {
            return Err(EmailError::BadLocal);
        }
        let domain = domain.to_ascii_lowercase();
        if !domain.contains('.') {
            return Err(EmailError::NoDot);
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let tld_ok = domain
            .rsplit('.')
            .next()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if !labels_ok || !tld_ok {
            return Err(EmailError::BadDomain);
        }
        let display = format!("{local}@{domain}");
        let key = display.to_lowercase();
        Ok(Email { display, key })
    }

    /// The address as entered (domain lower-cased).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The lower-cased address accounts are unique under.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The lookup key for an address typed somewhere else (login form), even if it is not valid.
pub fn key_of(raw: &str) -> String {
    raw.trim().to_lowercase()
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_the_domain_but_keeps_the_local_part_for_display() {
        let e = Email::parse(" Probe.User@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Probe.User@example.com");
        assert_eq!(e.key(), "probe.user@example.com");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@x.io",
            "a@",
            "a@@b.io",
            "a..b@x.io",
            ".a@x.io",
            "a@-x.io",
            "a@x.i",
            "a b@x.io",
            "a@x.1o",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn accepts_common_shapes() {
        for good in [
            "a@x.io",
            "first.last+tag@sub.example.co.uk",
            "o'neil@example.ie",
            "jürgen@example.de",
        ] {
            assert!(Email::parse(good).is_ok(), "{good:?} should be accepted");
        }
    }
}
