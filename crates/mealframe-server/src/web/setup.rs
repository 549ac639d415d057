//! The Setup pages: meal types, day templates (ordered slots, soft limits) and week plans (with the
//! default). Forms post to these handlers, which reuse the JSON API's parsers and store functions.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
};
use mealframe_core::ids::{DayTemplateId, MealTypeId, WeekPlanId};
use mealframe_store::library::{
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

#[derive(Template)]
#[template(path = "setup/index.html")]
struct SetupPage {
    layout: Layout,
    tab: &'static str,
    types: Vec<MealType>,
    templates: Vec<DayTemplate>,
    plans: Vec<WeekPlan>,
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: crate::extract::QueryParams,
) -> Result<Response, PageError> {
    let tab = match q.get("tab") {
        Some("templates") => "templates",
        Some("plans") => "plans",
        _ => "types",
    };
    let types = app::library::meal_types(&state, user.id()).await?;
    let templates = app::library::templates(&state, user.id()).await?;
    let plans = app::library::plans(&state, user.id()).await?;
    let layout = Layout::new("Setup", "setup", Some(&user), &headers).wider();
    let had_flash = layout.flash.is_some();
    Ok(render(
        &SetupPage {
            layout,
            tab,
            types,
            templates,
            plans,
        },
        had_flash,
    ))
}

fn taken(what: &str) -> Vec<String> {
    vec![format!("You already have a {what} with this name.")]
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
    errors: Vec<String>,
}

async fn type_page(
    user: &CurrentUser,
    headers: &HeaderMap,
    page: impl FnOnce(Layout) -> TypePage,
) -> Response {
    let p = page(Layout::new("Meal type", "setup", Some(user), headers).wide());
    let invalid = !p.errors.is_empty();
    let mut resp = render(&p, false);
    if invalid {
        *resp.status_mut() = INVALID;
    }
    resp
}

pub async fn new_type(PageUser(user): PageUser, headers: HeaderMap) -> Response {
    type_page(&user, &headers, |layout| TypePage {
        layout,
        id: None,
        name: String::new(),
        description: String::new(),
        tags: String::new(),
        meal_count: 0,
        used: false,
        errors: vec![],
    })
    .await
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
    Ok(type_page(&user, &headers, |layout| TypePage {
        layout,
        id: Some(id.to_string()),
        name: t.name,
        description: t.description.unwrap_or_default(),
        tags: t.tags.join(", "),
        meal_count: t.meal_count,
        used,
        errors: vec![],
    })
    .await)
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
    let retry = |errors: Vec<String>| TypePage {
        layout: Layout::new("Meal type", "setup", Some(&user), &headers).wide(),
        id: id.map(|i| i.to_string()),
        name: name.clone(),
        description: description.clone().unwrap_or_default(),
        tags: tag_list.join(", "),
        meal_count: 0,
        used: false,
        errors,
    };
    if name.is_empty() || name.chars().count() > 255 {
        let mut resp = render(
            &retry(vec!["The name must have 1 to 255 characters.".into()]),
            false,
        );
        *resp.status_mut() = INVALID;
        return Ok(resp);
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
        .map(|_| ()),
        None => {
            app::library::create_meal_type(&state, &w, &name, description.as_deref(), &tag_list)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(redirect_with(
            "/setup?tab=types",
            "ok",
            &format!("Saved {name}."),
        )),
        Err(AppError::Conflict(_)) => {
            let mut resp = render(&retry(taken("meal type")), false);
            *resp.status_mut() = INVALID;
            Ok(resp)
        }
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
    /// Selected meal-type id per slot row (existing slots, then blank rows).
    slots: Vec<String>,
    types: Vec<(String, String)>,
    errors: Vec<String>,
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

fn with_blank_rows(mut slots: Vec<String>) -> Vec<String> {
    slots.extend(std::iter::repeat_n(String::new(), 3));
    slots
}

pub async fn new_template(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let types = type_options(&state, &user).await?;
    let page = TemplatePage {
        layout: Layout::new("New template", "setup", Some(&user), &headers).wide(),
        id: None,
        name: String::new(),
        notes: String::new(),
        max_kcal: String::new(),
        max_protein: String::new(),
        slots: with_blank_rows(vec![]),
        types,
        errors: vec![],
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
        layout: Layout::new("Edit template", "setup", Some(&user), &headers).wide(),
        id: Some(id.to_string()),
        name: t.name.clone(),
        notes: t.notes.clone().unwrap_or_default(),
        max_kcal: t
            .max_calories_kcal
            .map(|k| k.to_string())
            .unwrap_or_default(),
        max_protein: t.max_protein.map(|p| p.to_string()).unwrap_or_default(),
        slots: with_blank_rows(t.slots.iter().map(|s| s.meal_type.id.to_string()).collect()),
        types: type_options(&state, &user).await?,
        errors: vec![],
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
    let slot_types: Vec<String> = fields
        .all("slot")
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let slots: Vec<_> = slot_types
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"position": i + 1, "meal_type_id": t}))
        .collect();
    let json = Json::default()
        .set("name", fields.text("name").unwrap_or_default())
        .opt_or_null("notes", fields.text("notes"))
        .opt_or_null("max_calories_kcal", fields.text("max_calories_kcal"))
        .opt_or_null("max_protein_g", fields.text("max_protein_g"))
        .set("slots", slots);
    let retry = async |errors: Vec<String>| -> Result<Response, PageError> {
        let page = TemplatePage {
            layout: Layout::new("Day template", "setup", Some(&user), &headers).wide(),
            id: id.map(|i| i.to_string()),
            name: fields.get("name").unwrap_or_default().to_owned(),
            notes: fields.get("notes").unwrap_or_default().to_owned(),
            max_kcal: fields
                .get("max_calories_kcal")
                .unwrap_or_default()
                .to_owned(),
            max_protein: fields.get("max_protein_g").unwrap_or_default().to_owned(),
            slots: with_blank_rows(slot_types.clone()),
            types: type_options(&state, &user).await?,
            errors,
        };
        let mut resp = render(&page, false);
        *resp.status_mut() = INVALID;
        Ok(resp)
    };
    let w = user.write();
    let outcome = match id {
        None => match json.parse::<NewTemplate>() {
            Ok(t) => app::library::create_template(&state, &w, &t).await,
            Err(errors) => return retry(errors).await,
        },
        Some(id) => match json.parse::<TemplateChange>() {
            Ok(mut ch) => {
                ch.notes = fields.text("notes");
                let clear_notes = ch.notes.is_none();
                app::library::update_template(&state, &w, id, &ch, clear_notes).await
            }
            Err(errors) => return retry(errors).await,
        },
    };
    match outcome {
        Ok(_) => Ok(redirect_with(
            "/setup?tab=templates",
            "ok",
            "Template saved.",
        )),
        Err(AppError::NotFound(m)) if m.starts_with("Meal type") => {
            retry(vec!["A slot's meal type was not found.".into()]).await
        }
        Err(AppError::NotFound(_)) => Err(PageError::not_found()),
        Err(AppError::Conflict(_)) => retry(taken("day template")).await,
        Err(e) => Err(e.into()),
    }
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

#[derive(Template)]
#[template(path = "setup/plan.html")]
struct PlanPage {
    layout: Layout,
    id: Option<String>,
    name: String,
    is_default: bool,
    /// Template id per weekday (empty = none).
    days: Vec<(&'static str, String)>,
    templates: Vec<(String, String)>,
    errors: Vec<String>,
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

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
    let page = PlanPage {
        layout: Layout::new("New week plan", "setup", Some(&user), &headers).wide(),
        id: None,
        name: String::new(),
        is_default: false,
        days: WEEKDAYS.iter().map(|d| (*d, String::new())).collect(),
        templates: template_options(&state, &user).await?,
        errors: vec![],
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
    let days = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                *d,
                p.days
                    .iter()
                    .find(|x| usize::from(x.weekday) == i)
                    .map(|x| x.day_template.id.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let page = PlanPage {
        layout: Layout::new("Edit week plan", "setup", Some(&user), &headers).wide(),
        id: Some(id.to_string()),
        name: p.name,
        is_default: p.is_default,
        days,
        templates: template_options(&state, &user).await?,
        errors: vec![],
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
        .map(|i| {
            fields
                .get(&format!("day_{i}"))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 255 {
        errors.push("The name must have 1 to 255 characters.".to_owned());
    }
    let mut days = Vec::new();
    for (i, t) in picks.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        match t.parse::<DayTemplateId>() {
            Ok(tid) => days.push((i as u8, tid)),
            Err(_) => errors.push(format!("{}: unknown template.", WEEKDAYS[i])),
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
            Ok(_) => return Ok(redirect_with("/setup?tab=plans", "ok", "Week plan saved.")),
            Err(AppError::NotFound(m)) if m.starts_with("Day template") => {
                // Which weekday named it: the message carries the id.
                for (day, t) in &days {
                    if m.contains(&t.to_string()) {
                        errors.push(format!("{}: unknown template.", WEEKDAYS[*day as usize]));
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
        name,
        is_default,
        days: WEEKDAYS.iter().zip(picks).map(|(d, t)| (*d, t)).collect(),
        templates: template_options(&state, &user).await?,
        errors,
    };
    let mut resp = render(&page, false);
    *resp.status_mut() = INVALID;
    Ok(resp)
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
