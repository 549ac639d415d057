//! Completion statuses (ADR-012): what happened at a slot.

use std::{fmt, str::FromStr};

/// How a planned slot went. Unmarked is `None` wherever a status is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompletionStatus {
    /// Ate as planned (adherent).
    Followed,
    /// Ate something comparable (neutral: excluded from adherence).
    Equivalent,
    /// Did not eat it (non-adherent).
    Skipped,
    /// Ate something off-plan (non-adherent).
    Deviated,
    /// Social event (neutral: excluded from adherence).
    Social,
}

impl CompletionStatus {
    pub const ALL: [CompletionStatus; 5] = [
        CompletionStatus::Followed,
        CompletionStatus::Equivalent,
        CompletionStatus::Skipped,
        CompletionStatus::Deviated,
        CompletionStatus::Social,
    ];

    pub const NAMES: [&'static str; 5] =
        ["followed", "equivalent", "skipped", "deviated", "social"];

    pub fn as_str(self) -> &'static str {
        match self {
            CompletionStatus::Followed => "followed",
            CompletionStatus::Equivalent => "equivalent",
            CompletionStatus::Skipped => "skipped",
            CompletionStatus::Deviated => "deviated",
            CompletionStatus::Social => "social",
        }
    }
}

impl FromStr for CompletionStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        CompletionStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for CompletionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
