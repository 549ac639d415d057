//! The calendar feed (issue 13): a per-user secret URL that calendar apps subscribe to, and what
//! it shows — every planned slot of the user's generated weeks. This module owns the secret's
//! life (create, rotate, revoke: only its SHA-256 is stored, like every other bearer secret) and
//! reads the plan for the feed; `web::calendar` writes it as iCalendar.

use dbkit::Timestamp;
use mealframe_core::{ids::UserId, tz::TimeZoneName};
use mealframe_store::{
    accounts::{calendar_feeds, users},
    plans::views::{self, WeekView},
};

use super::{AppResult, Write};
use crate::{accounts::secret_tokens, state::AppState};

/// A new feed secret: the token for the URL, shown once.
pub struct NewFeed {
    pub token: String,
    /// True if it replaced an earlier feed (whose URL stopped working).
    pub rotated: bool,
}

/// Create the user's feed, or rotate it (the old URL answers 404 from now on).
pub async fn create_or_rotate(state: &AppState, w: &Write) -> AppResult<NewFeed> {
    let token = secret_tokens::new_token();
    let mut tx = state.begin_for(w).await?;
    let rotated = calendar_feeds::replace(
        &mut tx.conn(),
        w.user,
        &secret_tokens::sha256_hex(&token),
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(NewFeed { token, rotated })
}

/// Revoke the user's feed; false if there was none.
pub async fn revoke(state: &AppState, w: &Write) -> AppResult<bool> {
    let mut tx = state.begin_for(w).await?;
    let had = calendar_feeds::delete(&mut tx.conn(), w.user).await?;
    tx.commit().await?;
    Ok(had)
}

/// Whether the user has a feed (Settings says so; the URL itself cannot be shown again).
pub async fn has_feed(state: &AppState, user: UserId) -> AppResult<bool> {
    let mut r = state.db.reader().await?;
    Ok(calendar_feeds::exists(&mut r.conn(), user).await?)
}

/// The address calendar apps subscribe to for `token`.
pub fn feed_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/calendar/{token}.ics",
        state.config.public_url.trim_end_matches('/')
    )
}

/// What a feed shows: the owner's generated weeks (oldest first), their time zone, and when
/// anything shown last changed (the events' `DTSTAMP`).
pub struct FeedPlan {
    pub user: UserId,
    pub timezone: TimeZoneName,
    pub weeks: Vec<WeekView>,
    pub stamp: Timestamp,
}

/// The plan behind the feed URL token `token`; `None` for an unknown, rotated or revoked token
/// (the caller answers 404, the same for all three).
pub async fn feed(state: &AppState, token: &str) -> AppResult<Option<FeedPlan>> {
    // Tokens are 64 URL-safe characters; anything else is not worth hashing.
    if token.len() != 64
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let mut r = state.db.reader().await?;
    let c = &mut r.conn();
    let Some(user) =
        calendar_feeds::user_by_hash(&mut c.reborrow(), &secret_tokens::sha256_hex(token)).await?
    else {
        return Ok(None);
    };
    let Some(owner) = users::by_id(&mut c.reborrow(), user).await? else {
        return Ok(None);
    };
    if !owner.is_active {
        return Ok(None);
    }
    let mut weeks = Vec::new();
    for monday in views::week_starts(&mut c.reborrow(), user).await? {
        if let Some(w) = views::week(&mut c.reborrow(), user, monday).await? {
            weeks.push(w);
        }
    }
    let stamp = views::last_change(c, user)
        .await?
        .unwrap_or(owner.created_at);
    Ok(Some(FeedPlan {
        user,
        timezone: TimeZoneName::parse(&owner.timezone).unwrap_or_else(TimeZoneName::utc),
        weeks,
        stamp,
    }))
}
