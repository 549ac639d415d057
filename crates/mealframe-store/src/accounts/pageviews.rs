//! Self-hosted landing-page analytics: a page view with a daily-salted IP hash, never the IP.

use dbkit::{Conn, Timestamp, execute};
use uuid::Uuid;

use crate::Result;

pub struct NewPageview<'a> {
    pub page_url: &'a str,
    pub referrer: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub ip_hash: Option<&'a str>,
}

pub async fn insert(c: &mut Conn<'_>, p: &NewPageview<'_>, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "INSERT INTO landing_pageviews (id, page_url, referrer, user_agent, session_id, ip_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        Uuid::now_v7(),
        p.page_url,
        p.referrer,
        p.user_agent,
        p.session_id,
        p.ip_hash,
        now
    )?;
    Ok(())
}
