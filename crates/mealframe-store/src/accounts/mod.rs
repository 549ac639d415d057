//! Accounts: users and everything that authenticates them.

pub mod calendar_feeds;
pub mod idempotency;
pub mod login_attempts;
pub mod mail_outbox;
pub mod oauth;
pub mod pageviews;
pub mod push_subscriptions;
pub mod reminders;
pub mod sessions;
pub mod tokens;
pub mod user_changes;
pub mod users;
