//! What a write needs besides its input: whose data it changes, and what must commit together
//! with it. Passed explicitly by the front door (no task-locals): the JSON API fills in the
//! `Idempotency-Key` its middleware claimed for the request, so the change and the key's
//! "applied" mark commit in one transaction (`AppState::begin_for`).

use mealframe_core::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub user: UserId,
    /// The claimed `Idempotency-Key` of the request making this write, if any.
    pub idempotency_key: Option<String>,
}

impl Write {
    /// A write with nothing to commit alongside (pages, background work).
    pub fn by(user: UserId) -> Write {
        Write {
            user,
            idempotency_key: None,
        }
    }
}
