//! Landing-page analytics: a page view, kept without the visitor's address (a daily-salted hash
//! stands in for it, so repeat views in a day can be told apart and nothing links days).

use std::net::IpAddr;

use mealframe_store::accounts::pageviews::{self, NewPageview};

use super::AppResult;
use crate::{accounts::secret_tokens::sha256_hex, state::AppState};

/// What the page reported about itself.
pub struct Pageview<'a> {
    pub page_url: &'a str,
    pub referrer: Option<&'a str>,
    pub session_id: Option<&'a str>,
}

/// Record one page view from `ip` with `user_agent` (cut to 512 characters).
pub async fn record(
    state: &AppState,
    view: &Pageview<'_>,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> AppResult<()> {
    let now = state.now();
    let day = now.into_inner().date();
    let ip_hash = ip.map(|addr| sha256_hex(&format!("{addr}:mf-{day}"))[..16].to_owned());
    let user_agent = user_agent.map(|s| s.chars().take(512).collect::<String>());
    let mut tx = state.db.begin().await?;
    pageviews::insert(
        &mut tx.conn(),
        &NewPageview {
            page_url: view.page_url,
            referrer: view.referrer,
            user_agent: user_agent.as_deref(),
            session_id: view.session_id,
            ip_hash: ip_hash.as_deref(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
