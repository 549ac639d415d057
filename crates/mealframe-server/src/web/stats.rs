//! The Stats page: adherence, streaks, status mix, per-type and per-day adherence, planned vs
//! eaten macros, soft limits. Charts are SVG drawn on the server (no chart library, no script),
//! sized to the data: a day's slot and bar have a maximum width, so a few days make a small
//! chart, and labels are thinned so that they never overlap or get cut.

use askama::Template;
use axum::{extract::State, http::HeaderMap, response::Response};
use mealframe_core::planning::stats::Stats;

use super::layout::{Layout, PageError, PageUser, render};
use crate::{app, extract::QueryParams, state::AppState};

/// One bar of a chart, in SVG user units.
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// `bar-fill`, `planned` or `eaten`.
    pub class: &'static str,
    pub title: String,
}

/// A horizontal grid line with its label on the y axis.
pub struct Tick {
    pub y: f64,
    pub label: String,
}

/// A day's label under the x axis (one or two lines).
pub struct XLabel {
    pub x: f64,
    pub lines: Vec<String>,
}

/// The frame of a bar chart: its size, axes and labels. User units equal CSS pixels at the
/// chart's natural size (`width`/`height` attributes), so text stays readable: the chart only
/// shrinks (a little) on a phone and never grows on a desktop.
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// Where the plot starts (right of the y labels) and ends.
    pub left: f64,
    pub right: f64,
    pub ticks: Vec<Tick>,
    pub x_labels: Vec<XLabel>,
    /// The baseline of the first line of x labels.
    pub label_y: f64,
}

pub struct Chart {
    pub frame: Frame,
    pub bars: Vec<Bar>,
    /// Points of the seven-day average line (empty when there is no line).
    pub line: String,
    /// What the chart shows, in words (the SVG's accessible name).
    pub summary: String,
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
    macro_chart: Chart,
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

/// Room for the y labels ("100%", "2500").
const AXIS_W: f64 = 42.0;
/// Above the plot: half a label's height, so the top label is never cut.
const TOP: f64 = 12.0;
const PLOT_H: f64 = 120.0;
/// Right of the plot: half of the widest x label.
const RIGHT: f64 = 24.0;
/// The widest a plot gets; a phone shows it at about 0.8 of its natural size.
const MAX_PLOT_W: f64 = 340.0;
/// The widest one day gets: a few days of data make a small chart, not a few huge bars.
const MAX_SLOT: f64 = 36.0;
/// The plot is at least this many day slots wide (bars start at the left).
const MIN_SLOTS: usize = 7;
/// The widest bar a chart draws (a day slot's 70 %).
pub const MAX_BAR_W: f64 = MAX_SLOT * 0.7;
/// Chart text size (see `.plot text` in app.css), used to keep x labels from overlapping.
const FONT: f64 = 12.0;

fn pct(rate: &str) -> f64 {
    rate.parse::<f64>().unwrap_or(0.0) * 100.0
}

/// One decimal is plenty for SVG coordinates (and keeps the page small).
fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn short_month(d: time::Date) -> String {
    d.month().to_string()[..3].to_owned()
}

impl Frame {
    /// A frame for `n` days whose y axis runs from 0 to `top` with a line at each of `ticks`.
    fn new(dates: &[time::Date], top: f64, ticks: &[(f64, String)]) -> (Frame, f64) {
        let n = dates.len();
        let slots = n.max(MIN_SLOTS) as f64;
        let slot = (MAX_PLOT_W / slots).min(MAX_SLOT);
        let right = AXIS_W + slot * slots;
        let few = n <= 14;
        // Few days: weekday over day of month, every day. Many: "18 Nov", thinned so that labels
        // never touch, counted back from the latest day so that it always has one.
        let label_w = if few { 3.0 } else { 6.0 } * FONT * 0.62 + 8.0;
        let every = ((label_w / slot).ceil() as usize).max(1);
        let x_labels = dates
            .iter()
            .enumerate()
            .filter(|(i, _)| (n - 1 - i).is_multiple_of(every))
            .map(|(i, d)| XLabel {
                x: r1(AXIS_W + slot * (i as f64 + 0.5)),
                lines: if few {
                    vec![d.weekday().to_string()[..3].to_owned(), d.day().to_string()]
                } else {
                    vec![format!("{} {}", d.day(), short_month(*d))]
                },
            })
            .collect();
        let y = |v: f64| r1(TOP + PLOT_H * (1.0 - v / top));
        let label_y = TOP + PLOT_H + FONT + 6.0;
        let height = label_y + if few { FONT + 8.0 } else { 6.0 };
        let frame = Frame {
            width: r1(right + RIGHT),
            height,
            left: AXIS_W,
            right: r1(right),
            ticks: ticks
                .iter()
                .map(|(v, label)| Tick {
                    y: y(*v),
                    label: label.clone(),
                })
                .collect(),
            x_labels,
            label_y,
        };
        (frame, slot)
    }
}

/// The y position of `v` on a plot whose axis tops out at `top`.
fn y_of(v: f64, top: f64) -> f64 {
    TOP + PLOT_H * (1.0 - v / top)
}

fn adherence_chart(s: &Stats, days: u32) -> Chart {
    let points = &s.daily_adherence;
    let dates: Vec<time::Date> = points.iter().map(|p| p.date).collect();
    let ticks = [0.0, 50.0, 100.0].map(|v| (v, format!("{v}%")));
    let (frame, slot) = Frame::new(&dates, 100.0, &ticks);
    let bw = slot * 0.7;
    let mut bars = Vec::new();
    let mut line = Vec::new();
    // A day with nothing judged yet (all unmarked, or only neutral marks) has rate "0": no bar,
    // and it stays out of the average, as it is no evidence either way.
    let judged = |p: &&mealframe_core::planning::stats::DailyAdherence| p.adherence_rate != "0";
    for (i, p) in points.iter().enumerate() {
        let x = AXIS_W + slot * i as f64 + (slot - bw) / 2.0;
        if !judged(&p) {
            continue;
        }
        let v = pct(&p.adherence_rate);
        // A day at 0 % keeps a sliver, so that it reads as "tracked, none followed".
        let y = y_of(v, 100.0).min(TOP + PLOT_H - 2.0);
        bars.push(Bar {
            x: r1(x),
            y: r1(y),
            w: r1(bw),
            h: r1(TOP + PLOT_H - y),
            class: "bar-fill",
            title: format!(
                "{} {} {}: {:.0}% ({} of {} followed)",
                p.date.weekday().to_string().get(..3).unwrap_or_default(),
                p.date.day(),
                short_month(p.date),
                v,
                p.followed,
                p.total
            ),
        });
        // Seven-day rolling average of the judged days' rates.
        let window: Vec<f64> = points[i.saturating_sub(6)..=i]
            .iter()
            .filter(judged)
            .map(|q| pct(&q.adherence_rate))
            .collect();
        let avg = window.iter().sum::<f64>() / window.len() as f64;
        line.push(format!("{},{}", r1(x + bw / 2.0), r1(y_of(avg, 100.0))));
    }
    let rates: Vec<f64> = points
        .iter()
        .filter(judged)
        .map(|p| pct(&p.adherence_rate))
        .collect();
    let summary = if rates.is_empty() {
        format!("Daily adherence, last {days} days: no marked days yet.")
    } else {
        let avg = rates.iter().sum::<f64>() / rates.len() as f64;
        let low = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let high = rates.iter().copied().fold(0.0, f64::max);
        format!(
            "Daily adherence, last {days} days: {} marked {}, {avg:.0}% on average, lowest {low:.0}%, highest {high:.0}%.",
            rates.len(),
            if rates.len() == 1 { "day" } else { "days" }
        )
    };
    Chart {
        frame,
        bars,
        line: if rates.len() > 1 {
            line.join(" ")
        } else {
            String::new()
        },
        summary,
    }
}

/// A round step for a kcal axis with at most four steps up to `max`.
fn kcal_step(max: i64) -> i64 {
    [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000]
        .into_iter()
        .find(|step| (max + step - 1) / step <= 4)
        .unwrap_or((max + 3) / 4)
}

fn macro_chart(s: &Stats, days: u32) -> Chart {
    let points = &s.daily_macros;
    let max = points
        .iter()
        .map(|d| d.planned.calories_kcal.max(d.eaten.calories_kcal))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = kcal_step(max);
    let top = ((max + step - 1) / step * step) as f64;
    let ticks: Vec<(f64, String)> = (0..=(top as i64 / step))
        .map(|k| ((k * step) as f64, (k * step).to_string()))
        .collect();
    let dates: Vec<time::Date> = points.iter().map(|d| d.date).collect();
    let (frame, slot) = Frame::new(&dates, top, &ticks);
    let bw = slot * 0.35;
    let mut bars = Vec::new();
    for (i, d) in points.iter().enumerate() {
        let title = format!(
            "{} {} {}: planned {} kcal, eaten {} kcal",
            d.date.weekday().to_string().get(..3).unwrap_or_default(),
            d.date.day(),
            short_month(d.date),
            d.planned.calories_kcal,
            d.eaten.calories_kcal
        );
        let x0 = AXIS_W + slot * i as f64 + (slot - 2.0 * bw) / 2.0;
        for (k, (class, kcal)) in [
            ("planned", d.planned.calories_kcal),
            ("eaten", d.eaten.calories_kcal),
        ]
        .into_iter()
        .enumerate()
        {
            let y = y_of(kcal as f64, top);
            bars.push(Bar {
                x: r1(x0 + bw * k as f64),
                y: r1(y),
                w: r1(bw),
                h: r1(TOP + PLOT_H - y),
                class,
                title: title.clone(),
            });
        }
    }
    let with_data: Vec<_> = points.iter().filter(|d| d.planned.has_data).collect();
    let summary = if with_data.is_empty() {
        format!("Calories per day, last {days} days: no planned calories yet.")
    } else {
        let n = with_data.len() as i64;
        let planned = with_data
            .iter()
            .map(|d| d.planned.calories_kcal)
            .sum::<i64>()
            / n;
        let eaten = with_data.iter().map(|d| d.eaten.calories_kcal).sum::<i64>() / n;
        format!(
            "Calories per day, last {days} days: {planned} kcal planned and {eaten} kcal eaten on average over {n} {}.",
            if n == 1 { "day" } else { "days" }
        )
    };
    Chart {
        frame,
        bars,
        line: String::new(),
        summary,
    }
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
        macro_chart: macro_chart(&s, days),
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

/// An average in grams without a needless `.0` ("108.0" → "108"); "—" when there is none.
pub fn grams(avg: &Option<String>) -> String {
    match avg {
        Some(g) => g.strip_suffix(".0").unwrap_or(g).to_owned(),
        None => "—".to_owned(),
    }
}

pub fn percent(rate: &str) -> String {
    format!("{:.0}", pct(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<time::Date> {
        let first = time::macros::date!(2026 - 09 - 01);
        (0..n)
            .map(|i| first + time::Duration::days(i as i64))
            .collect()
    }

    #[test]
    fn x_labels_never_overlap_nor_leave_the_chart() {
        for n in [1, 2, 7, 14, 15, 30, 90, 365] {
            let (frame, slot) = Frame::new(&days(n), 100.0, &[]);
            assert!(slot * 0.7 <= MAX_BAR_W, "{n}: slot {slot}");
            assert!(frame.width <= AXIS_W + MAX_PLOT_W + RIGHT, "{n}");
            let widest = |l: &XLabel| {
                l.lines.iter().map(|t| t.chars().count()).max().unwrap() as f64 * FONT * 0.62
            };
            for pair in frame.x_labels.windows(2) {
                let gap = pair[1].x - pair[0].x;
                assert!(
                    gap >= (widest(&pair[0]) + widest(&pair[1])) / 2.0 + 4.0,
                    "{n}: {gap}"
                );
            }
            let last = frame.x_labels.last().unwrap();
            assert!(
                last.x + widest(last) / 2.0 <= frame.width,
                "{n}: the latest day is labelled"
            );
            assert!(
                frame.x_labels.len() <= n.min(10),
                "{n}: {}",
                frame.x_labels.len()
            );
        }
    }

    #[test]
    fn kcal_axes_use_round_steps() {
        assert_eq!(kcal_step(1), 100);
        assert_eq!(kcal_step(380), 100);
        assert_eq!(kcal_step(2150), 1000);
        assert_eq!(kcal_step(1900), 500);
        assert_eq!(kcal_step(9000), 2500);
    }
}
