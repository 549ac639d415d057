//! The Setup pages: meal types, day templates (ordered slots, soft limits) and week plans (with the
//! default). A new user gets a three-step guide on top (meal types → a day template → a default
//! week plan); an existing one edits meal types in place and templates and plans on compact
//! forms. Forms post to these handlers, which reuse the JSON API's parsers and the use cases.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
};
use mealframe_core::ids::{DayTemplateId, MealTypeId, WeekPlanId};
use mealframe_store::library::{
    SetupProgress,
    day_templates::{DayTemplate, NewTemplate, TemplateChange},
    meal_types::MealType,
    week_plans::WeekPlan,
};
use serde_json::json;

use super::{
    forms::{Fields, INVALID, Json},
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{
    app::{self, AppError},
    extract::CurrentUser,
    state::AppState,
};

/// A validation message and the form field it belongs to (`""` = the whole form), so the page can
/// show it next to that field.
#[derive(Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    fn one(field: &'static str, message: impl Into<String>) -> FieldErrors {
        FieldErrors(vec![(field, message.into())])
    }

    fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Messages that belong to no single field.
    pub fn general(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| f.is_empty())
            .map(|(_, m)| m.as_str())
            .collect()
    }

    /// The template form's messages from the API parser ("max calories kcal: …"), each put next
    /// to its field in the page's words.
    fn from_template_issues(messages: Vec<String>) -> FieldErrors {
        let mut out = FieldErrors::default();
        for m in messages {
            if m.starts_with("name") {
                out.push("name", NAME_RULE);
            } else if m.starts_with("max calories") {
                out.push(
                    "max_calories_kcal",
                    "Enter whole kcal from 1 to 999999, or leave it empty.",
                );
            } else if m.starts_with("max protein") {
                out.push(
                    "max_protein_g",
                    "Enter grams, such as 150 or 150.5, or leave it empty.",
                );
            } else if m.starts_with("slots") && m.contains("time") {
                out.push(
                    "slots",
                    "Enter each time as HH:MM (24-hour), or leave it empty.",
                );
            } else if m.starts_with("slots") {
                out.push("slots", "Choose a meal type for every slot.");
            } else if m.starts_with("notes") {
                out.push("notes", m);
            } else {
                out.push("", m);
            }
        }
        out
    }
}

const NAME_RULE: &str = "Enter a name of 1 to 255 characters.";

fn name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 255
}

/// One step of the first-run guide.
pub struct GuideStep {
    pub title: &'static str,
    /// What the step is, or (once done) what exists.
    pub detail: String,
    pub done: bool,
    pub action: &'static str,
    pub href: &'static str,
    /// A second link on a done step (more meal types are common; more plans are not).
    pub again: Option<(&'static str, &'static str)>,
}

/// The first-run guide: meal types, a day template, a default week plan. Built from the use
/// case's setup progress, so it agrees with what Today and Week say is missing.
pub struct Guide {
    pub steps: Vec<GuideStep>,
    /// Index of the first step not done (`steps.len()` when all are).
    pub current: usize,
    /// The starter library is still on offer (the library is empty).
    pub starter: bool,
}

impl Guide {
    fn new(p: &SetupProgress, type_names: &[String], template_names: &[String]) -> Guide {
        let list = |names: &[String]| {
            let mut s = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            if names.len() > 3 {
                s.push_str(&format!(" and {} more", names.len() - 3));
            }
            s
        };
        let steps = vec![
            GuideStep {
                title: "Meal types",
                detail: if p.meal_types > 0 {
                    list(type_names)
                } else {
                    "The kinds of meal in your day, such as Breakfast or Lunch.".into()
                },
                done: p.meal_types > 0,
                action: "Add a meal type",
                href: "/setup/types/new",
                again: Some(("Add another meal type", "/setup/types/new")),
            },
            GuideStep {
                title: "A day template",
                detail: if p.templates > 0 {
                    list(template_names)
                } else {
                    "The order of those meals in one day.".into()
                },
                done: p.templates > 0,
                action: "Create a day template",
                href: "/setup/templates/new",
                again: None,
            },
            GuideStep {
                title: "A week plan",
                detail: if p.default_plan {
                    "Your default plan fills each new week.".into()
                } else {
                    "Which template each weekday uses; it becomes your default.".into()
                },
                done: p.default_plan,
                action: "Create a week plan",
                href: "/setup/plans/new",
                again: None,
            },
        ];
        let current = steps.iter().position(|s| !s.done).unwrap_or(steps.len());
        Guide {
            steps,
            current,
            starter: app::starter::offered(p),
        }
    }

    pub fn finished(&self) -> bool {
        self.current == self.steps.len()
    }

    pub fn done_count(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }

    /// The Setup tab that goes with the current step.
    fn tab(&self) -> &'static str {
        match self.current {
            0 => "types",
            1 => "templates",
            _ => "plans",
        }
    }
}

/// Where a new user is in the guide: `Some(step number)` on the form of an unfinished step.
async fn guide_step(state: &AppState, user: &CurrentUser, step: usize) -> Option<usize> {
    let p = app::week::setup_progress(state, user.id()).await.ok()?;
    Guide::new(&p, &[], &[])
        .current
        .eq(&(step - 1))
        .then_some(step)
}

/// After a save during first setup: the sentence that points at the next step.
async fn next_hint(state: &AppState, user: &CurrentUser) -> String {
    let Ok(p) = app::week::setup_progress(state, user.id()).await else {
        return String::new();
    };
    let g = Guide::new(&p, &[], &[]);
    match g.steps.get(g.current) {
        Some(s) if g.done_count() > 0 => format!(
            " Step {} of 3 next: {}.",
            g.current + 1,
            s.title.to_lowercase()
        ),
        None if p.weeks == 0 => " Setup is done: generate your first week.".into(),
        _ => String::new(),
    }
}

/// A meal type in the list, with what its in-place editor needs.
pub struct TypeRow {
    pub t: MealType,
    /// A day template uses it (it cannot be deleted then).
    pub used: bool,
    pub tags: String,
}

/// A week plan in the list with its week laid out Monday to Sunday.
pub struct PlanRow {
    pub p: WeekPlan,
    /// Runs of days with the same template: ("Mon–Fri", "Workday"); an empty name = no plan.
    pub week: Vec<(String, String)>,
}

/// A plan's week as runs of consecutive days on the same template, so that a phone shows
/// "Mon–Fri Workday · Sat–Sun Weekend" instead of seven cramped columns.
fn week_runs(p: &WeekPlan) -> Vec<(String, String)> {
    let name_on = |i: usize| {
        p.days
            .iter()
            .find(|d| usize::from(d.weekday) == i)
            .map(|d| d.day_template.name.clone())
            .unwrap_or_default()
    };
    let mut runs: Vec<(usize, usize, String)> = Vec::new();
    for i in 0..7 {
        let name = name_on(i);
        match runs.last_mut() {
            Some((_, end, last)) if *last == name => *end = i,
            _ => runs.push((i, i, name)),
        }
    }
    runs.into_iter()
        .map(|(from, to, name)| {
            let label = if from == to {
                WEEKDAYS[from].1.to_owned()
            } else {
                format!("{}–{}", WEEKDAYS[from].1, WEEKDAYS[to].1)
            };
            (label, name)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "setup/index.html")]
struct SetupPage {
    layout: Layout,
    tab: &'static str,
    types: Vec<TypeRow>,
    templates: Vec<DayTemplate>,
    plans: Vec<PlanRow>,
    /// Shown until the three steps are done.
    guide: Option<Guide>,
    /// Set up but no week generated yet: the last nudge (and whether meals are still missing).
    ready: Option<bool>,
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: crate::extract::QueryParams,
) -> Result<Response, PageError> {
    let types = app::library::meal_types(&state, user.id()).await?;
    let templates = app::library::templates(&state, user.id()).await?;
    let plans = app::library::plans(&state, user.id()).await?;
    let progress = app::week::setup_progress(&state, user.id()).await?;
    let guide = Guide::new(
        &progress,
        &types.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        &templates.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
    );
    let tab = match q.get("tab") {
        Some("types") => "types",
        Some("templates") => "templates",
        Some("plans") => "plans",
        _ if !guide.finished() => guide.tab(),
        _ => "types",
    };
    let ready = (guide.finished() && progress.weeks == 0).then_some(progress.meals == 0);
    let types = types
        .into_iter()
        .map(|t| TypeRow {
            used: templates
                .iter()
                .any(|d| d.slots.iter().any(|s| s.meal_type.id == t.id)),
            tags: t.tags.join(", "),
            t,
        })
        .collect();
    let plans = plans
        .into_iter()
        .map(|p| PlanRow {
            week: week_runs(&p),
            p,
        })
        .collect();
    let layout = Layout::new("Setup", "setup", Some(&user), &headers).wider();
    let had_flash = layout.flash.is_some();
    Ok(render(
        &SetupPage {
            layout,
            tab,
            types,
            templates,
            plans,
            guide: (!guide.finished()).then_some(guide),
            ready,
        },
        had_flash,
    ))
}

fn taken(what: &str) -> FieldErrors {
    FieldErrors::one("name", format!("You already have a {what} with this name."))
}

/// A page re-shown with the user's input and what to fix.
fn invalid<T: Template>(page: &T) -> Response {
    let mut resp = render(page, false);
    *resp.status_mut() = INVALID;
    resp
}

/// A use case's "not found" as this site's not-found page (another user's id looks the same).
fn not_found_page(e: AppError) -> PageError {
    match e {
        AppError::NotFound(_) => PageError::not_found(),
        other => other.into(),
    }
}

fn tags(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

// ----- meal types -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "setup/type.html")]
struct TypePage {
    layout: Layout,
    id: Option<String>,
    name: String,
    description: String,
    tags: String,
    meal_count: i64,
    used: bool,
    /// The guide's step number while a new user creates their first one.
    step: Option<usize>,
    errors: FieldErrors,
}

pub async fn new_type(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Response {
    let step = guide_step(&state, &user, 1).await;
    render(
        &TypePage {
            layout: Layout::new("New meal type", "setup", Some(&user), &headers).wide(),
            id: None,
            name: String::new(),
            description: String::new(),
            tags: String::new(),
            meal_count: 0,
            used: false,
            step,
            errors: FieldErrors::default(),
        },
        false,
    )
}

pub async fn edit_type(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: MealTypeId = id.parse().map_err(|_| PageError::not_found())?;
    let (t, used) = app::library::meal_type_in_use(&state, user.id(), id)
        .await
        .map_err(not_found_page)?;
    Ok(render(
        &TypePage {
            layout: Layout::new("Edit meal type", "setup", Some(&user), &headers).wide(),
            id: Some(id.to_string()),
            name: t.name,
            description: t.description.unwrap_or_default(),
            tags: t.tags.join(", "),
            meal_count: t.meal_count,
            used,
            step: None,
            errors: FieldErrors::default(),
        },
        false,
    ))
}

pub async fn save_type(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    id: Option<Path<String>>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: Option<MealTypeId> = match id {
        Some(Path(raw)) => Some(raw.parse().map_err(|_| PageError::not_found())?),
        None => None,
    };
    let name = fields.text("name").unwrap_or_default();
    let description = fields.text("description");
    let tag_list = tags(fields.get("tags").unwrap_or_default());
    let retry = |errors: FieldErrors| TypePage {
        layout: Layout::new("Meal type", "setup", Some(&user), &headers).wide(),
        id: id.map(|i| i.to_string()),
        name: fields.get("name").unwrap_or_default().to_owned(),
        description: description.clone().unwrap_or_default(),
        tags: fields.get("tags").unwrap_or_default().to_owned(),
        meal_count: 0,
        used: false,
        step: None,
        errors,
    };
    if !name_ok(&name) {
        return Ok(invalid(&retry(FieldErrors::one("name", NAME_RULE))));
    }
    let w = user.write();
    let result = match id {
        Some(id) => app::library::update_meal_type(
            &state,
            &w,
            id,
            Some(&name),
            Some(description.as_deref().unwrap_or("")),
            Some(&tag_list),
        )
        .await
        .map(|t| t.id),
        None => {
            app::library::create_meal_type(&state, &w, &name, description.as_deref(), &tag_list)
                .await
                .map(|t| t.id)
        }
    };
    match result {
        Ok(saved) => {
            let hint = next_hint(&state, &user).await;
            // An edit goes back to its row; a new one to the top, where the guide is.
            let to = match id {
                Some(_) => format!("/setup?tab=types#type-{saved}"),
                None => "/setup?tab=types".to_owned(),
            };
            Ok(redirect_with(&to, "ok", &format!("Saved {name}.{hint}")))
        }
        Err(AppError::Conflict(_)) => Ok(invalid(&retry(taken("meal type")))),
        Err(AppError::NotFound(_)) => Err(PageError::not_found()),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_type(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: MealTypeId = id.parse().map_err(|_| PageError::not_found())?;
    match app::library::delete_meal_type(&state, &user.write(), id).await {
        Ok(()) => Ok(redirect_with(
            "/setup?tab=types",
            "ok",
            "Meal type deleted.",
        )),
        Err(AppError::Conflict(_)) => Ok(redirect_with(
            "/setup?tab=types",
            "error",
            "This meal type is used by a day template; remove it from the template first.",
        )),
        Err(AppError::NotFound(_)) => Err(PageError::not_found()),
        Err(e) => Err(e.into()),
    }
}

// ----- day templates ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "setup/template.html")]
struct TemplatePage {
    layout: Layout,
    id: Option<String>,
    name: String,
    notes: String,
    max_kcal: String,
    max_protein: String,
    /// Per slot row, in order: the selected meal-type id (empty = not chosen yet) and the time
    /// of day as typed ("07:30"; empty = none).
    slots: Vec<SlotRow>,
    types: Vec<(String, String)>,
    step: Option<usize>,
    errors: FieldErrors,
}

impl TemplatePage {
    /// "Breakfast → Lunch" for the chosen slots.
    fn preview(&self) -> String {
        self.slots
            .iter()
            .filter_map(|s| self.types.iter().find(|(id, _)| *id == s.meal_type))
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

async fn type_options(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(app::library::meal_type_names(state, user.id())
        .await?
        .into_iter()
        .map(|(id, n)| (id.to_string(), n))
        .collect())
}

/// One row of the slot editor as the form holds it.
#[derive(Clone, Default)]
struct SlotRow {
    meal_type: String,
    time: String,
}

/// The form's rows: the `slot` and `slot_time` fields, in order (a missing time is empty).
fn form_rows(fields: &Fields) -> Vec<SlotRow> {
    let times = fields.all("slot_time");
    fields
        .all("slot")
        .into_iter()
        .enumerate()
        .map(|(i, t)| SlotRow {
            meal_type: t.to_owned(),
            time: times
                .get(i)
                .map(|x| x.trim().to_owned())
                .unwrap_or_default(),
        })
        .collect()
}

/// The rows the editor shows: the slots, or one row to choose in when there are none.
fn slot_rows(mut slots: Vec<SlotRow>) -> Vec<SlotRow> {
    if slots.is_empty() {
        slots.push(SlotRow::default());
    }
    slots
}

/// The slot editor's buttons without JavaScript: each posts the form with the rows as they are
/// and one change (add a row, remove, move up or down), and the form comes back changed.
fn slot_edit(fields: &Fields, mut rows: Vec<SlotRow>) -> Option<Vec<SlotRow>> {
    let at = |key: &str| fields.get(key).and_then(|v| v.parse::<usize>().ok());
    if fields.get("add_slot").is_some() {
        rows.push(SlotRow::default());
    } else if let Some(i) = at("remove_slot").filter(|i| *i < rows.len()) {
        rows.remove(i);
    } else if let Some(i) = at("move_up").filter(|i| *i > 0 && *i < rows.len()) {
        rows.swap(i - 1, i);
    } else if let Some(i) = at("move_down").filter(|i| i + 1 < rows.len()) {
        rows.swap(i, i + 1);
    } else {
        return None;
    }
    Some(slot_rows(rows))
}

pub async fn new_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let types = type_options(&state, &user).await?;
    let page = TemplatePage {
        layout: Layout::new("New day template", "setup", Some(&user), &headers).wide(),
        id: None,
        name: String::new(),
        notes: String::new(),
        max_kcal: String::new(),
        max_protein: String::new(),
        slots: slot_rows(vec![]),
        types,
        step: guide_step(&state, &user, 2).await,
        errors: FieldErrors::default(),
    };
    Ok(render(&page, false))
}

pub async fn edit_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: DayTemplateId = id.parse().map_err(|_| PageError::not_found())?;
    let t = app::library::template(&state, user.id(), id)
        .await
        .map_err(not_found_page)?;
    let page = TemplatePage {
        layout: Layout::new("Edit day template", "setup", Some(&user), &headers).wide(),
        id: Some(id.to_string()),
        name: t.name.clone(),
        notes: t.notes.clone().unwrap_or_default(),
        max_kcal: t
            .max_calories_kcal
            .map(|k| k.to_string())
            .unwrap_or_default(),
        max_protein: t.max_protein.map(|p| p.to_string()).unwrap_or_default(),
        slots: slot_rows(
            t.slots
                .iter()
                .map(|s| SlotRow {
                    meal_type: s.meal_type.id.to_string(),
                    time: s.time.map(|t| t.to_string()).unwrap_or_default(),
                })
                .collect(),
        ),
        types: type_options(&state, &user).await?,
        step: None,
        errors: FieldErrors::default(),
    };
    Ok(render(&page, false))
}

pub async fn save_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    id: Option<Path<String>>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: Option<DayTemplateId> = match id {
        Some(Path(raw)) => Some(raw.parse().map_err(|_| PageError::not_found())?),
        None => None,
    };
    let rows = form_rows(&fields);
    let form =
        async |slots: Vec<SlotRow>, errors: FieldErrors| -> Result<TemplatePage, PageError> {
            Ok(TemplatePage {
                layout: Layout::new("Day template", "setup", Some(&user), &headers).wide(),
                id: id.map(|i| i.to_string()),
                name: fields.get("name").unwrap_or_default().to_owned(),
                notes: fields.get("notes").unwrap_or_default().to_owned(),
                max_kcal: fields
                    .get("max_calories_kcal")
                    .unwrap_or_default()
                    .to_owned(),
                max_protein: fields.get("max_protein_g").unwrap_or_default().to_owned(),
                slots,
                types: type_options(&state, &user).await?,
                step: None,
                errors,
            })
        };
    if let Some(changed) = slot_edit(&fields, rows.clone()) {
        return Ok(render(&form(changed, FieldErrors::default()).await?, false));
    }
    let slot_types: Vec<SlotRow> = rows
        .into_iter()
        .filter(|s| !s.meal_type.is_empty())
        .collect();
    let retry = async |errors: FieldErrors| -> Result<Response, PageError> {
        Ok(invalid(&form(slot_rows(slot_types.clone()), errors).await?))
    };
    let slots: Vec<_> = slot_types
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let time = (!s.time.is_empty()).then_some(s.time.as_str());
            json!({"position": i + 1, "meal_type_id": s.meal_type, "time": time})
        })
        .collect();
    let json = Json::default()
        .set("name", fields.text("name").unwrap_or_default())
        .opt_or_null("notes", fields.text("notes"))
        .opt_or_null("max_calories_kcal", fields.text("max_calories_kcal"))
        .opt_or_null("max_protein_g", fields.text("max_protein_g"))
        .set("slots", slots);
    let no_slots = slot_types.is_empty();
    let w = user.write();
    let outcome = match id {
        None => match json.parse::<NewTemplate>() {
            Ok(_) if no_slots => return retry(slots_needed()).await,
            Ok(t) => app::library::create_template(&state, &w, &t).await,
            Err(messages) => return retry(template_errors(messages, no_slots)).await,
        },
        Some(id) => match json.parse::<TemplateChange>() {
            Ok(_) if no_slots => return retry(slots_needed()).await,
            Ok(mut ch) => {
                ch.notes = fields.text("notes");
                let clear_notes = ch.notes.is_none();
                app::library::update_template(&state, &w, id, &ch, clear_notes).await
            }
            Err(messages) => return retry(template_errors(messages, no_slots)).await,
        },
    };
    match outcome {
        Ok(_) => {
            let hint = next_hint(&state, &user).await;
            Ok(redirect_with(
                "/setup?tab=templates",
                "ok",
                &format!("Template saved.{hint}"),
            ))
        }
        Err(AppError::NotFound(m)) if m.starts_with("Meal type") => {
            retry(FieldErrors::one(
                "slots",
                "A slot's meal type no longer exists; choose another.",
            ))
            .await
        }
        Err(AppError::NotFound(_)) => Err(PageError::not_found()),
        Err(AppError::Conflict(_)) => retry(taken("day template")).await,
        Err(e) => Err(e.into()),
    }
}

/// A template needs at least one slot to plan a day with (the page's rule; the API allows an
/// empty template to be filled later).
fn slots_needed() -> FieldErrors {
    FieldErrors::one("slots", "Add at least one meal slot.")
}

fn template_errors(messages: Vec<String>, no_slots: bool) -> FieldErrors {
    let mut e = FieldErrors::from_template_issues(messages);
    if no_slots && e.get("slots").is_none() {
        e.push("slots", "Add at least one meal slot.");
    }
    e
}

pub async fn delete_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: DayTemplateId = id.parse().map_err(|_| PageError::not_found())?;
    match app::library::delete_template(&state, &user.write(), id).await {
        Ok(()) => Ok(redirect_with(
            "/setup?tab=templates",
            "ok",
            "Template deleted.",
        )),
        Err(AppError::Conflict(_)) => Ok(redirect_with(
            "/setup?tab=templates",
            "error",
            "This template is used by a week plan; change the plan first.",
        )),
        Err(AppError::NotFound(_)) => Err(PageError::not_found()),
        Err(e) => Err(e.into()),
    }
}

// ----- week plans -------------------------------------------------------------------------------

/// One weekday row of the plan form.
pub struct DayPick {
    pub name: &'static str,
    pub short: &'static str,
    /// The chosen template id (empty = no plan that day).
    pub template: String,
}

#[derive(Template)]
#[template(path = "setup/plan.html")]
struct PlanPage {
    layout: Layout,
    id: Option<String>,
    name: String,
    is_default: bool,
    /// No plan exists yet: this one becomes the default whatever the box says.
    first: bool,
    days: Vec<DayPick>,
    templates: Vec<(String, String)>,
    step: Option<usize>,
    errors: FieldErrors,
}

impl PlanPage {
    fn day_error(&self, i: usize) -> Option<&str> {
        self.errors.get(day_field(i))
    }
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("Monday", "Mon"),
    ("Tuesday", "Tue"),
    ("Wednesday", "Wed"),
    ("Thursday", "Thu"),
    ("Friday", "Fri"),
    ("Saturday", "Sat"),
    ("Sunday", "Sun"),
];

/// The form field of a weekday's template select.
fn day_field(i: usize) -> &'static str {
    [
        "day_0", "day_1", "day_2", "day_3", "day_4", "day_5", "day_6",
    ][i]
}

fn day_picks(picks: impl IntoIterator<Item = String>) -> Vec<DayPick> {
    WEEKDAYS
        .iter()
        .zip(picks)
        .map(|((name, short), template)| DayPick {
            name,
            short,
            template,
        })
        .collect()
}

async fn template_options(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(app::library::templates(state, user.id())
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect())
}

pub async fn new_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let first = app::library::plans(&state, user.id()).await?.is_empty();
    let page = PlanPage {
        layout: Layout::new("New week plan", "setup", Some(&user), &headers).wide(),
        id: None,
        name: String::new(),
        is_default: first,
        first,
        days: day_picks(std::iter::repeat_n(String::new(), 7)),
        templates: template_options(&state, &user).await?,
        step: guide_step(&state, &user, 3).await,
        errors: FieldErrors::default(),
    };
    Ok(render(&page, false))
}

pub async fn edit_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: WeekPlanId = id.parse().map_err(|_| PageError::not_found())?;
    let p = app::library::plan(&state, user.id(), id)
        .await
        .map_err(not_found_page)?;
    let picks = (0..7).map(|i| {
        p.days
            .iter()
            .find(|x| usize::from(x.weekday) == i)
            .map(|x| x.day_template.id.to_string())
            .unwrap_or_default()
    });
    let page = PlanPage {
        layout: Layout::new("Edit week plan", "setup", Some(&user), &headers).wide(),
        id: Some(id.to_string()),
        name: p.name.clone(),
        is_default: p.is_default,
        first: false,
        days: day_picks(picks),
        templates: template_options(&state, &user).await?,
        step: None,
        errors: FieldErrors::default(),
    };
    Ok(render(&page, false))
}

pub async fn save_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    id: Option<Path<String>>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: Option<WeekPlanId> = match id {
        Some(Path(raw)) => Some(raw.parse().map_err(|_| PageError::not_found())?),
        None => None,
    };
    let name = fields.text("name").unwrap_or_default();
    let is_default = fields.get("is_default").is_some();
    let picks: Vec<String> = (0..7)
        .map(|i| fields.get(day_field(i)).unwrap_or_default().to_owned())
        .collect();
    let mut errors = FieldErrors::default();
    if !name_ok(&name) {
        errors.push("name", NAME_RULE);
    }
    let mut days = Vec::new();
    for (i, t) in picks.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        match t.parse::<DayTemplateId>() {
            Ok(tid) => days.push((i as u8, tid)),
            Err(_) => errors.push(day_field(i), "Unknown template; choose another."),
        }
    }
    let w = user.write();
    if errors.is_empty() {
        let saved = match id {
            None => app::library::create_plan(&state, &w, &name, is_default, &days).await,
            Some(id) => {
                app::library::update_plan(
                    &state,
                    &w,
                    id,
                    Some(&name),
                    Some(is_default),
                    Some(&days),
                )
                .await
            }
        };
        match saved {
            Ok(_) => {
                let hint = next_hint(&state, &user).await;
                return Ok(redirect_with(
                    "/setup?tab=plans",
                    "ok",
                    &format!("Week plan saved.{hint}"),
                ));
            }
            Err(AppError::NotFound(m)) if m.starts_with("Day template") => {
                // Which weekday named it: the message carries the id.
                for (day, t) in &days {
                    if m.contains(&t.to_string()) {
                        errors.push(
                            day_field(usize::from(*day)),
                            "Unknown template; choose another.",
                        );
                    }
                }
            }
            Err(AppError::NotFound(_)) => return Err(PageError::not_found()),
            Err(e) => return Err(e.into()),
        }
    }
    let page = PlanPage {
        layout: Layout::new("Week plan", "setup", Some(&user), &headers).wide(),
        id: id.map(|i| i.to_string()),
        name: fields.get("name").unwrap_or_default().to_owned(),
        is_default,
        // A new user's first plan stays the default on a second try too.
        first: id.is_none() && app::library::plans(&state, user.id()).await?.is_empty(),
        days: day_picks(picks),
        templates: template_options(&state, &user).await?,
        step: None,
        errors,
    };
    Ok(invalid(&page))
}

pub async fn set_default_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: WeekPlanId = id.parse().map_err(|_| PageError::not_found())?;
    app::library::set_default_plan(&state, &user.write(), id)
        .await
        .map_err(not_found_page)?;
    Ok(redirect_with(
        "/setup?tab=plans",
        "ok",
        "Default week plan set.",
    ))
}

pub async fn delete_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: WeekPlanId = id.parse().map_err(|_| PageError::not_found())?;
    app::library::delete_plan(&state, &user.write(), id)
        .await
        .map_err(not_found_page)?;
    Ok(redirect_with(
        "/setup?tab=plans",
        "ok",
        "Week plan deleted.",
    ))
}
