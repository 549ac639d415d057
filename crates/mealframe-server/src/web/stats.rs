//! The Stats page: adherence, streaks, status mix, per-type and per-day adherence, planned vs
//! eaten macros, soft limits. Charts are SVG drawn on the server (no chart library, no script).

use askama::Template;
use axum::{extract::State, http::HeaderMap, response::Response};
use mealframe_core::planning::stats::Stats;

use super::layout::{Layout, PageError, PageUser, render};
use crate::{app, extract::QueryParams, state::AppState};

pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub label: String,
    pub title: String,
}

pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub line: String,
    pub labels: Vec<(f64, String)>,
}

pub struct MacroBar {
    pub x: f64,
    pub w: f64,
    pub planned_y: f64,
    pub planned_h: f64,
    pub eaten_y: f64,
    pub eaten_h: f64,
    pub title: String,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    layout: Layout,
    days: u32,
    s: std::sync::Arc<Stats>,
    adherence_pct: String,
    tracked: String,
    chart: Chart,
    macro_bars: Vec<MacroBar>,
    status_mix: Vec<StatusPart>,
}

pub struct StatusPart {
    pub name: &'static str,
    pub n: u32,
    pub share: f64,
    pub color: &'static str,
    /// Where the part starts on the 0–100 bar.
    pub x: f64,
}

const W: f64 = 320.0;
const H: f64 = 140.0;
const PAD: f64 = 20.0;

fn pct(rate: &str) -> f64 {
    rate.parse::<f64>().unwrap_or(0.0) * 100.0
}

fn adherence_chart(s: &Stats, days: u32) -> Chart {
    let points = &s.daily_adherence;
    let n = points.len().max(1) as f64;
    let slot = (W - PAD) / n;
    let bw = (slot * 0.7).max(1.0);
    let mut bars = Vec::new();
    let mut line = Vec::new();
    let mut labels = Vec::new();
    let every = if days <= 7 {
        1
    } else {
        (points.len() / 6).max(1)
    };
    for (i, p) in points.iter().enumerate() {
        let v = pct(&p.adherence_rate);
        let h = (H - PAD) * v / 100.0;
        let x = PAD + i as f64 * slot + (slot - bw) / 2.0;
        bars.push(Bar {
            x,
            y: H - PAD - h,
            w: bw,
            h,
            label: String::new(),
            title: format!(
                "{}: {:.0}% ({} of {} followed)",
                p.date, v, p.followed, p.total
            ),
        });
        // Seven-day rolling average of the daily rates.
        let from = i.saturating_sub(6);
        let window = &points[from..=i];
        let avg = window.iter().map(|q| pct(&q.adherence_rate)).sum::<f64>() / window.len() as f64;
        line.push(format!(
            "{:.1},{:.1}",
            x + bw / 2.0,
            H - PAD - (H - PAD) * avg / 100.0
        ));
        if i % every == 0 {
            let label = if days <= 7 {
                p.date.weekday().to_string()[..3].to_owned()
            } else {
                format!("{}/{}", u8::from(p.date.month()), p.date.day())
            };
            labels.push((x + bw / 2.0, label));
        }
    }
    Chart {
        width: W as u32,
        height: H as u32,
        bars,
        line: line.join(" "),
        labels,
    }
}

fn macro_chart(s: &Stats) -> Vec<MacroBar> {
    let days = &s.daily_macros;
    let max = days
        .iter()
        .map(|d| d.planned.calories_kcal.max(d.eaten.calories_kcal))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(1) as f64;
    let slot = (W - PAD) / n;
    let bw = (slot * 0.38).max(0.5);
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            let ph = (H - PAD) * d.planned.calories_kcal as f64 / max;
            let eh = (H - PAD) * d.eaten.calories_kcal as f64 / max;
            let x = PAD + i as f64 * slot + slot * 0.1;
            MacroBar {
                x,
                w: bw,
                planned_y: H - PAD - ph,
                planned_h: ph,
                eaten_y: H - PAD - eh,
                eaten_h: eh,
                title: format!(
                    "{}: planned {} kcal, eaten {} kcal",
                    d.date, d.planned.calories_kcal, d.eaten.calories_kcal
                ),
            }
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: QueryParams,
) -> Result<Response, PageError> {
    let days: u32 = match q.get("days") {
        Some("7") => 7,
        Some("90") => 90,
        _ => 30,
    };
    let s = app::stats::stats(&state, &user.user, days).await?;
    let c = s.counts;
    let judged = c.denominator();
    let total = c.total().max(1) as f64;
    let mut x = 0.0;
    let status_mix = [
        ("Followed", c.followed, "var(--success)"),
        ("Equivalent", c.equivalent, "var(--warning)"),
        ("Skipped", c.skipped, "var(--skipped)"),
        ("Deviated", c.deviated, "var(--danger-fill)"),
        ("Social", c.social, "var(--primary)"),
        ("Unmarked", c.unmarked, "var(--border)"),
    ]
    .into_iter()
    .map(|(name, n, color)| {
        let share = n as f64 * 100.0 / total;
        let part = StatusPart {
            name,
            n,
            share,
            color,
            x,
        };
        x += share;
        part
    })
    .collect();
    let layout = Layout::new("Stats", "stats", Some(&user), &headers).wider();
    let page = StatsPage {
        layout,
        days,
        adherence_pct: format!("{:.0}%", pct(&s.adherence_rate)),
        tracked: format!("{} of {} judged slots followed", c.followed, judged),
        chart: adherence_chart(&s, days),
        macro_bars: macro_chart(&s),
        status_mix,
        s,
    };
    Ok(render(&page, false))
}

pub fn bar_class(rate: &str) -> &'static str {
    let v = pct(rate);
    if v >= 90.0 {
        "good"
    } else if v >= 80.0 {
        "okay"
    } else {
        "low"
    }
}

/// A meal type below 80 % adherence is a "focus area" (`"0"` means nothing was judged yet).
pub fn focus(rate: &str) -> bool {
    rate != "0" && pct(rate) < 80.0
}

pub fn percent(rate: &str) -> String {
    format!("{:.0}", pct(rate))
}
