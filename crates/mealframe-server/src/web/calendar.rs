//! `GET /calendar/{token}.ics`: the calendar feed as iCalendar (RFC 5545), for calendar apps that
//! subscribe to a URL (no sign-in: the long random token in the URL is the credential). One
//! event per planned slot of the owner's generated weeks: timed in UTC from the slot's local time
//! of day (so 07:30 stays 07:30 local across DST, without shipping VTIMEZONE rules), all-day when
//! the slot has no time. The same plan always renders the same bytes (UIDs from the slot's place,
//! `DTSTAMP` from the plan's last change), so the `ETag` holds and `If-None-Match` answers 304.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use icalendar::{Calendar, Component, Event, EventLike};
use mealframe_core::{ids::UserId, planning::macros::Macros};
use mealframe_store::plans::views::{DayView, SlotView};
use sha2::{Digest, Sha256};
use time::{
    Date, Duration, OffsetDateTime, format_description::BorrowedFormatItem,
    macros::format_description,
};

use super::layout::PageError;
use crate::{
    app::{self, calendar::FeedPlan},
    state::AppState,
};

/// How long a timed meal lasts in the calendar.
const MEAL_MINUTES: i64 = 30;

const UTC_STAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "No calendar feed at this address (it may have been rotated or revoked).\n",
        )
            .into_response()
    };
    let Some(token) = file.strip_suffix(".ics") else {
        return Ok(not_found());
    };
    let Some(plan) = app::calendar::feed(&state, token).await? else {
        return Ok(not_found());
    };
    let body = render(&plan);
    let etag = etag_of(&body);
    let mut resp = if matches_etag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Private data behind a secret URL: shared caches must not keep it; clients revalidate.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

/// The body's SHA-256 (first 128 bits), as a weak validator: the response may be compressed on
/// the way out (which a strong validator would have to tell apart), and `If-None-Match` compares
/// weakly anyway.
fn etag_of(body: &str) -> String {
    format!("W/\"{}\"", &hex(&Sha256::digest(body.as_bytes()))[..32])
}

/// `If-None-Match` names the current entity: `*`, or a list of tags compared weakly (RFC 9110
/// §13.1.2: the opaque tags match, whether or not either is marked `W/`).
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    let opaque = |t: &str| t.strip_prefix("W/").unwrap_or(t).to_owned();
    let ours = opaque(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || opaque(t) == ours)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A slot's event UID: the same for the same user, date, position and meal type, so
/// regenerating a week (which re-rolls meals but keeps each slot's place and type) updates the
/// calendar's events instead of duplicating them. A different meal type in that place (the day
/// switched template) is a different event. Hashed so the UID does not reveal the user's id.
fn uid(user: UserId, date: Date, slot: &SlotView) -> String {
    let meal_type = slot
        .meal_type
        .as_ref()
        .map_or_else(|| "-".to_owned(), |t| t.id.to_string());
    let key = format!(
        "mealframe-calendar-feed\n{user}\n{date}\n{}\n{meal_type}",
        slot.position
    );
    format!("{}@mealframe", &hex(&Sha256::digest(key.as_bytes()))[..32])
}

fn summary(slot: &SlotView) -> String {
    let kind = slot.meal_type.as_ref().map_or("Meal", |t| t.name.as_str());
    match &slot.meal {
        Some(m) => format!("{kind}: {}", m.name),
        None => kind.to_owned(),
    }
}

fn description(slot: &SlotView) -> String {
    let Some(meal) = &slot.meal else {
        return "No meal of this type in your library yet.".to_owned();
    };
    let mut lines = Vec::new();
    if !meal.portion_description.is_empty() {
        lines.push(format!("Portion: {}", meal.portion_description));
    }
    let Macros {
        calories_kcal,
        protein,
        carbs,
        fat,
        ..
    } = meal.macros;
    let mut macros = Vec::new();
    if let Some(k) = calories_kcal {
        macros.push(format!("{k} kcal"));
    }
    for (name, v) in [("protein", protein), ("carbs", carbs), ("fat", fat)] {
        if let Some(v) = v {
            let text = v.to_string();
            let grams = text.strip_suffix(".0").unwrap_or(&text);
            macros.push(format!("{name} {grams} g"));
        }
    }
    if !macros.is_empty() {
        lines.push(macros.join(" · "));
    }
    lines.join("\n")
}

fn event(plan: &FeedPlan, day: &DayView, slot: &SlotView, stamp: &str) -> Event {
    let mut e = Event::new();
    e.uid(&uid(plan.user, day.date, slot))
        .add_property("DTSTAMP", stamp)
        .summary(&summary(slot))
        .description(&description(slot))
        .add_property("TRANSP", "TRANSPARENT");
    match slot.time {
        Some(t) => {
            let start = plan.timezone.instant_of(day.date, t.hour(), t.minute());
            e.starts(start)
                .ends(start + Duration::minutes(MEAL_MINUTES));
        }
        None => {
            e.starts(day.date)
                .ends(day.date.next_day().unwrap_or(day.date));
        }
    }
    e.done()
}

/// The feed as iCalendar text (CRLF lines, folded at 75 octets, text escaped by `icalendar`).
fn render(plan: &FeedPlan) -> String {
    let stamp = OffsetDateTime::from(plan.stamp)
        .format(UTC_STAMP)
        .unwrap_or_else(|_| "19700101T000000Z".to_owned());
    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//MealFrame//Meal plan feed//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .append_property(("X-WR-CALNAME", "MealFrame meals"))
        .append_property(("X-WR-TIMEZONE", plan.timezone.as_str()));
    for week in &plan.weeks {
        for day in week.days.iter().filter(|d| !d.is_override) {
            for slot in &day.slots {
                cal.push(event(plan, day, slot, &stamp));
            }
        }
    }
    cal.done().to_string()
}
