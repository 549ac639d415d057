//! The password policy: 8 to 128 characters (as the original), counted in characters.

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
}

/// A password that meets the policy for new passwords (login accepts any string).
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, PasswordError> {
        let n = raw.chars().count();
        if n < MIN_LEN {
            Err(PasswordError::TooShort)
        } else if n > MAX_LEN {
            Err(PasswordError::TooLong)
        } else {
            Ok(NewPassword(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(NewPassword::parse("ééééééé").is_err());
        assert!(NewPassword::parse("éééééééé").is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(129)).unwrap_err(),
            PasswordError::TooLong
        );
    }

    #[test]
    fn never_prints_the_secret() {
        assert_eq!(
            format!("{:?}", NewPassword::parse("hunter2hunter2").unwrap()),
            "NewPassword(***)"
        );
    }
}
