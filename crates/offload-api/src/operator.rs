//! What `offload-api usage …` prints: one install's stored usage, a reset of its quota counts,
//! and the heaviest installs of a month. Counts and token totals only — the service stores no
//! content to show. Each function answers the text to print, so tests read it as an operator
//! would.

use std::fmt::Write as _;

use dbkit::Db;
use time::OffsetDateTime;

use crate::{
    config::Config,
    model::ids::{FeatureName, InstallId},
    store::{
        StoreError,
        tokens::{self, month_of},
        usage::Period,
    },
};

/// Why an operator command could not run (printed, exit status 2 or 1).
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("{0}")]
    Usage(String),
    #[error("database: {0}")]
    Store(#[from] StoreError),
}

fn install(raw: &str) -> Result<InstallId, OperatorError> {
    InstallId::parse(raw).ok_or_else(|| {
        OperatorError::Usage(format!(
            "not an install id: {raw:?} (8–128 characters, as the app sends)"
        ))
    })
}

/// `usage show <install-id>`: token totals per month and feature, then the stored quota counts.
pub async fn show(db: &Db, raw_install: &str) -> Result<String, OperatorError> {
    let id = install(raw_install)?;
    let (tokens, counts) = tokens::install_report(db, &id).await?;
    let mut out = String::new();
    if tokens.is_empty() && counts.is_empty() {
        let _ = writeln!(out, "No usage stored for install {}.", id.as_str());
        return Ok(out);
    }
    let _ = writeln!(out, "Install {}", id.as_str());
    let _ = writeln!(out, "\nProvider tokens (successful and rejected calls):");
    let _ = writeln!(
        out,
        "  {:<8} {:<14} {:>7} {:>12} {:>12}",
        "month", "feature", "calls", "input", "output"
    );
    for t in &tokens {
        let _ = writeln!(
            out,
            "  {:<8} {:<14} {:>7} {:>12} {:>12}",
            t.month, t.feature, t.calls, t.input_tokens, t.output_tokens
        );
    }
    if tokens.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    let _ = writeln!(
        out,
        "\nQuota counts (counted calls and reconciled app counts):"
    );
    let _ = writeln!(out, "  {:<9} {:<14} {:>7}", "period", "feature", "count");
    for c in &counts {
        let _ = writeln!(out, "  {:<9} {:<14} {:>7}", c.period, c.feature, c.count);
    }
    if counts.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    Ok(out)
}

/// `usage reset <install-id> [--feature F]`: the install's counts of the current quota period
/// back to zero (token totals stay: they are what was spent).
pub async fn reset(
    db: &Db,
    config: &Config,
    raw_install: &str,
    feature: Option<&str>,
    now: OffsetDateTime,
) -> Result<String, OperatorError> {
    let id = install(raw_install)?;
    let feature = match feature {
        Some(f) => Some(
            FeatureName::parse(f)
                .ok_or_else(|| OperatorError::Usage(format!("not a feature name: {f:?}")))?,
        ),
        None => None,
    };
    let period = Period::at(config.quota_period, now);
    let removed =
        tokens::reset(db, &id, &period, feature.as_ref().map(FeatureName::as_str)).await?;
    Ok(format!(
        "Reset install {} in period {}: {} ({} count{} removed).\n",
        id.as_str(),
        period.as_str(),
        feature
            .as_ref()
            .map_or("every feature".to_owned(), |f| format!(
                "feature {}",
                f.as_str()
            )),
        removed,
        if removed == 1 { "" } else { "s" }
    ))
}

/// `usage top [--month YYYY-MM] [--limit N]`: the installs that used the most tokens.
pub async fn top(
    db: &Db,
    month: Option<&str>,
    limit: u32,
    now: OffsetDateTime,
) -> Result<String, OperatorError> {
    let month = match month {
        Some(m) if valid_month(m) => m.to_owned(),
        Some(m) => {
            return Err(OperatorError::Usage(format!(
                "not a month: {m:?} (YYYY-MM)"
            )));
        }
        None => month_of(now),
    };
    let rows = tokens::top(db, &month, limit.max(1)).await?;
    let mut out = String::new();
    if rows.is_empty() {
        let _ = writeln!(out, "No provider calls recorded in {month}.");
        return Ok(out);
    }
    let _ = writeln!(
        out,
        "Heaviest installs in {month} (by input + output tokens):"
    );
    let _ = writeln!(
        out,
        "  {:<40} {:>7} {:>12} {:>12}",
        "install", "calls", "input", "output"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "  {:<40} {:>7} {:>12} {:>12}",
            r.install_id, r.calls, r.input_tokens, r.output_tokens
        );
    }
    Ok(out)
}

fn valid_month(m: &str) -> bool {
    let b = m.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(
            &m[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
}
