//! The Week page (`/week`): move between weeks, generate or regenerate, and per day: read the
//! meals, switch the template, set or clear "No Plan", and mark or reassign any slot — past days
//! included (marking) and today onwards (reassigning).

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue},
    response::Response,
};
use mealframe_core::{
    ids::{DayTemplateId, MealId, SlotId},
    planning::{
        calendar::{monday_of, next_monday, week_dates, weekday_name},
        completion::CompletionStatus,
    },
};
use mealframe_store::{
    Rejection,
    plans::{ops, views::WeekView},
};
use time::{Date, Duration};

use super::cards::DaySheet;
use super::{
    forms::Fields,
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{
    app::{self, AppError, AppResult, error::refusal_message},
    extract::{CurrentUser, Issues, QueryParams},
    state::AppState,
};

/// One of the seven days: its place in the day strip, and its plan when it has one.
pub struct DayCard {
    pub date: String,
    pub label: String,
    /// "Mon", and the day of the month, for the day strip.
    pub short_weekday: &'static str,
    pub day_of_month: u8,
    pub is_today: bool,
    pub is_past: bool,
    /// The day the page opens on: `open=` of a redirect after a change, else today.
    pub focus: bool,
    pub percent: u32,
    /// `None`: the week exists but this day has no plan ("Plan it").
    pub plan: Option<DaySheet>,
}

pub struct MealOption {
    pub id: String,
    pub name: String,
    pub types: Vec<String>,
}

#[derive(Template)]
#[template(path = "week.html")]
struct WeekPage {
    layout: Layout,
    /// Whose offline queue the page's marks go to.
    user_id: String,
    monday: String,
    sunday: String,
    range: String,
    relative: String,
    prev: String,
    next: String,
    week: Option<WeekView>,
    days: Vec<DayCard>,
    templates: Vec<(String, String)>,
    meals: Vec<MealOption>,
    has_unmarked: bool,
    /// With no generated week: the setup steps generating still needs (label, link).
    missing: Vec<(&'static str, &'static str)>,
    /// The library is empty: the starter library is offered.
    starter: bool,
}

impl WeekPage {
    fn meals_for(&self, type_id: &str) -> Vec<&MealOption> {
        self.meals
            .iter()
            .filter(|m| type_id.is_empty() || m.types.iter().any(|t| t == type_id))
            .collect()
    }
}

fn short(d: Date) -> String {
    format!("{} {}", &d.month().to_string()[..3], d.day())
}

fn parse_date(raw: Option<&str>) -> Option<Date> {
    let mut v = Issues::query();
    raw.and_then(|r| v.date_str("start", r))
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: QueryParams,
) -> Result<Response, PageError> {
    let today = user.today(state.now());
    let monday = monday_of(parse_date(q.get("start")).unwrap_or(today));
    let open = parse_date(q.get("open"));
    let choices = app::week::week_with_choices(&state, &user.user, monday).await?;
    let (templates, library) = (choices.templates(), choices.meals());
    let week = (*choices.week).clone();
    let weeks_away = (monday - monday_of(today)).whole_weeks();
    let relative = match weeks_away {
        0 => "This week".to_owned(),
        1 => "Next week".to_owned(),
        -1 => "Last week".to_owned(),
        n if n > 0 => format!("{n} weeks ahead"),
        n => format!("{} weeks ago", -n),
    };
    let days: Vec<DayCard> = match &week {
        None => Vec::new(),
        Some(w) => {
            let focus = open
                .filter(|d| monday_of(*d) == monday)
                .or_else(|| (monday_of(today) == monday).then_some(today))
                .unwrap_or(monday);
            week_dates(monday)
                .map(|date| {
                    let plan = w.days.iter().find(|x| x.date == date).map(DaySheet::of_day);
                    DayCard {
                        date: date.to_string(),
                        label: format!("{}, {}", weekday_name(date), short(date)),
                        short_weekday: &weekday_name(date)[..3],
                        day_of_month: date.day(),
                        is_today: date == today,
                        is_past: date < today,
                        focus: date == focus,
                        percent: plan
                            .as_ref()
                            .map_or(0, |p| p.stats.completed * 100 / p.stats.total.max(1)),
                        plan,
                    }
                })
                .collect()
        }
    };
    let has_unmarked = days
        .iter()
        .flat_map(|d| &d.plan)
        .any(|p| p.slots.iter().any(|s| s.completion_status.is_none()));
    let (missing, starter) = if week.is_none() {
        let p = app::week::setup_progress(&state, user.id()).await?;
        let steps = [
            (p.meal_types > 0, "Add meal types", "/setup?tab=types"),
            (p.meals > 0, "Add meals", "/meals"),
            (
                p.templates > 0,
                "Create a day template",
                "/setup?tab=templates",
            ),
            (
                p.default_plan,
                "Create a default week plan",
                "/setup?tab=plans",
            ),
        ];
        (
            steps
                .iter()
                .filter(|(done, _, _)| !done)
                .map(|(_, label, link)| (*label, *link))
                .collect(),
            app::starter::offered(&p),
        )
    } else {
        (Vec::new(), false)
    };
    let layout = Layout::new("Week", "week", Some(&user), &headers).widest();
    let had_flash = layout.flash.is_some();
    let page = WeekPage {
        layout,
        user_id: user.id().to_string(),
        monday: monday.to_string(),
        sunday: (monday + Duration::days(6)).to_string(),
        range: format!("{} – {}", short(monday), short(monday + Duration::days(6))),
        relative,
        prev: (monday - Duration::days(7)).to_string(),
        next: (monday + Duration::days(7)).to_string(),
        week,
        days,
        templates: templates
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone()))
            .collect(),
        meals: library
            .iter()
            .map(|m| MealOption {
                id: m.id.to_string(),
                name: m.name.clone(),
                types: m.meal_types.iter().map(|t| t.id.to_string()).collect(),
            })
            .collect(),
        has_unmarked,
        missing,
        starter,
    };
    let mut resp = render(&page, had_flash);
    if let Ok(v) = HeaderValue::from_str(&user.id().to_string()) {
        resp.headers_mut().insert("x-mf-user", v);
    }
    Ok(resp)
}

fn back(monday: Date, open: Option<Date>) -> String {
    match open {
        Some(d) => format!("/week?start={monday}&open={d}"),
        None => format!("/week?start={monday}"),
    }
}

/// Redirect to `to` with `done`, or with the refusal's words; faults become error pages.
fn outcome(to: &str, done: &str, result: AppResult<()>) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(redirect_with(to, "ok", done)),
        Err(AppError::Refused(r)) => Ok(redirect_with(to, "error", &refusal_message(&r))),
        Err(e) => Err(e.into()),
    }
}

/// Generate (or regenerate) a week: `week_start_date` = a Monday, `this` or `next`.
pub async fn generate(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let now = state.now();
    let today = user.today(now);
    let monday = match fields.get("week_start_date") {
        Some("this") => monday_of(today),
        Some("next") | None => next_monday(today),
        Some(raw) => parse_date(Some(raw))
            .map(monday_of)
            .unwrap_or_else(|| next_monday(today)),
    };
    let to = if fields.get("week_start_date") == Some("this") && fields.get("from") != Some("week")
    {
        "/".to_owned()
    } else {
        back(monday, None)
    };
    match app::planning::generate_week(&state, &user.user, &user.write(), monday).await {
        Ok(g) => {
            let text = match g {
                ops::Generated::Created(_) => "Week generated. Every slot has its meal.",
                ops::Generated::Regenerated(_) => {
                    "Week regenerated: unmarked meals from today on were re-rolled; marked meals and your own picks stayed."
                }
            };
            Ok(redirect_with(&to, "ok", text))
        }
        Err(AppError::Refused(Rejection::NoDefaultPlan)) => Ok(redirect_with(
            "/setup?tab=plans",
            "error",
            "A week is generated from your default week plan (which day template each weekday \
             uses), and there is none yet: create one here first.",
        )),
        Err(AppError::Refused(r)) => Ok(redirect_with(
            &back(monday, None),
            "error",
            &refusal_message(&r),
        )),
        Err(e) => Err(e.into()),
    }
}

fn day_date(raw: &str) -> Result<Date, PageError> {
    parse_date(Some(raw)).ok_or_else(PageError::not_found)
}

pub async fn set_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(date): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let date = day_date(&date)?;
    let template: DayTemplateId = fields
        .get("day_template_id")
        .and_then(|t| t.parse().ok())
        .ok_or_else(PageError::not_found)?;
    let to = back(monday_of(date), Some(date));
    let done = app::planning::switch_day_template(&state, &user.write(), date, template).await;
    outcome(&to, "Template switched; the day got fresh meals.", done)
}

pub async fn set_override(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(date): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let date = day_date(&date)?;
    let reason: Option<String> = fields.text("reason").map(|r| r.chars().take(255).collect());
    let to = back(monday_of(date), Some(date));
    let done = app::planning::set_no_plan(&state, &user.write(), date, reason.as_deref()).await;
    outcome(&to, "Marked as No Plan.", done)
}

pub async fn clear_override(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(date): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let date = day_date(&date)?;
    let to = back(monday_of(date), Some(date));
    let done = app::planning::restore_day(&state, &user.write(), date).await;
    outcome(&to, "The day's plan is back.", done)
}

async fn slot_date(state: &AppState, user: &CurrentUser, slot: SlotId) -> Result<Date, PageError> {
    app::week::slot(state, user.id(), slot)
        .await?
        .map(|s| s.date)
        .ok_or_else(PageError::not_found)
}

pub async fn mark_slot(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(slot): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let slot: SlotId = slot.parse().map_err(|_| PageError::not_found())?;
    let date = slot_date(&state, &user, slot).await?;
    let to = back(monday_of(date), Some(date));
    match fields
        .get("status")
        .and_then(|s| s.parse::<CompletionStatus>().ok())
    {
        Some(status) => {
            let done = app::planning::mark_slot(&state, &user.write(), slot, status, None).await;
            outcome(&to, &format!("Marked as {status}."), done)
        }
        None => {
            let done = app::planning::unmark_slot(&state, &user.write(), slot).await;
            outcome(&to, "Status cleared.", done)
        }
    }
}

pub async fn reassign_slot(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(slot): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let slot: SlotId = slot.parse().map_err(|_| PageError::not_found())?;
    let date = slot_date(&state, &user, slot).await?;
    let meal: MealId = fields
        .get("meal_id")
        .and_then(|m| m.parse().ok())
        .ok_or_else(PageError::not_found)?;
    let to = back(monday_of(date), Some(date));
    let done = app::planning::reassign(&state, &user.user, &user.write(), slot, meal, None).await;
    outcome(&to, "Meal changed.", done)
}
