//! The Setup pages: meal types, day templates (ordered slots, soft limits) and week plans (with the
//! default). Forms post to these handlers, which reuse the JSON API's parsers and store functions.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
};
use mealframe_core::ids::{DayTemplateId, MealTypeId, WeekPlanId};
use mealframe_store::{
    Rejection, StoreError,
    library::{
        day_templates::{self, DayTemplate, NewTemplate, TemplateChange},
        meal_types::{self, MealType},
        week_plans::{self, WeekPlan},
    },
};
use serde_json::json;

use super::{
    forms::{Fields, INVALID, Json},
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{extract::CurrentUser, state::AppState};

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
    let mut r = state.db.reader().await?;
    let types = meal_types::list(&mut r.conn(), user.id()).await?;
    let templates = day_templates::list(&mut r.conn(), user.id()).await?;
    let plans = week_plans::list(&mut r.conn(), user.id()).await?;
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

fn taken(e: StoreError, what: &str) -> Result<Vec<String>, PageError> {
    if e.is_unique_violation() {
        Ok(vec![format!("You already have a {what} with this name.")])
    } else {
        Err(e.into())
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
    let mut r = state.db.reader().await?;
    let list = meal_types::list(&mut r.conn(), user.id()).await?;
    let t = list
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(PageError::not_found)?;
    let used = meal_types::used_by_templates(&mut r.conn(), user.id(), id).await?;
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
    let mut tx = state.begin_for(&user.write()).await?;
    let now = state.now();
    let result = match id {
        Some(id) => meal_types::update(
            &mut tx.conn(),
            user.id(),
            id,
            Some(&name),
            Some(description.as_deref().unwrap_or("")),
            Some(&tag_list),
            now,
        )
        .await
        .map(|o| o.is_some()),
        None => meal_types::insert(
            &mut tx.conn(),
            user.id(),
            &name,
            description.as_deref(),
            &tag_list,
            now,
        )
        .await
        .map(|_| true),
    };
    match result {
        Ok(true) => {
            tx.commit().await?;
            Ok(redirect_with(
                "/setup?tab=types",
                "ok",
                &format!("Saved {name}."),
            ))
        }
        Ok(false) => Err(PageError::not_found()),
        Err(e) => {
            let errors = taken(e, "meal type")?;
            let mut resp = render(&retry(errors), false);
            *resp.status_mut() = INVALID;
            Ok(resp)
        }
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
    let mut tx = state.begin_for(&user.write()).await?;
    if meal_types::used_by_templates(&mut tx.conn(), user.id(), id).await? {
        return Ok(redirect_with(
            "/setup?tab=types",
            "error",
            "This meal type is used by a day template; remove it from the template first.",
        ));
    }
    if !meal_types::delete(&mut tx.conn(), user.id(), id).await? {
        return Err(PageError::not_found());
    }
    tx.commit().await?;
    Ok(redirect_with(
        "/setup?tab=types",
        "ok",
        "Meal type deleted.",
    ))
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
    let mut r = state.db.reader().await?;
    Ok(meal_types::names(&mut r.conn(), user.id())
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
    let t = {
        let mut r = state.db.reader().await?;
        day_templates::get(&mut r.conn(), user.id(), id)
            .await?
            .ok_or_else(PageError::not_found)?
    };
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
    let now = state.now();
    let mut tx = state.begin_for(&user.write()).await?;
    let outcome = match id {
        None => match json.parse::<NewTemplate>() {
            Ok(t) => day_templates::insert(&mut tx.conn(), user.id(), &t, now)
                .await
                .map(|_| ()),
            Err(errors) => return retry(errors).await,
        },
        Some(id) => match json.parse::<TemplateChange>() {
            Ok(mut ch) => {
                ch.notes = fields.text("notes");
                let r = day_templates::update(&mut tx.conn(), user.id(), id, &ch, now).await;
                if fields.text("notes").is_none() {
                    mealframe_store::library::day_templates::clear_notes(
                        &mut tx.conn(),
                        user.id(),
                        id,
                    )
                    .await?;
                }
                r.and_then(|o| o.map(|_| ()).ok_or(StoreError::NotFound))
            }
            Err(errors) => return retry(errors).await,
        },
    };
    match outcome {
        Ok(()) => {
            tx.commit().await?;
            Ok(redirect_with(
                "/setup?tab=templates",
                "ok",
                "Template saved.",
            ))
        }
        Err(StoreError::NotFound) => Err(PageError::not_found()),
        Err(StoreError::Rejected(Rejection::MealTypeNotFound(_))) => {
            retry(vec!["A slot's meal type was not found.".into()]).await
        }
        Err(e) => retry(taken(e, "day template")?).await,
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
    let mut tx = state.begin_for(&user.write()).await?;
    if day_templates::used_by_week_plans(&mut tx.conn(), user.id(), id).await? {
        return Ok(redirect_with(
            "/setup?tab=templates",
            "error",
            "This template is used by a week plan; change the plan first.",
        ));
    }
    if !day_templates::delete(&mut tx.conn(), user.id(), id).await? {
        return Err(PageError::not_found());
    }
    tx.commit().await?;
    Ok(redirect_with(
        "/setup?tab=templates",
        "ok",
        "Template deleted.",
    ))
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
    let mut r = state.db.reader().await?;
    Ok(day_templates::list(&mut r.conn(), user.id())
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
    let p = {
        let mut r = state.db.reader().await?;
        week_plans::get(&mut r.conn(), user.id(), id)
            .await?
            .ok_or_else(PageError::not_found)?
    };
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
    let now = state.now();
    let mut tx = state.begin_for(&user.write()).await?;
    for (i, t) in picks.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        match t.parse::<DayTemplateId>() {
            Ok(tid) if day_templates::exists(&mut tx.conn(), user.id(), tid).await? => {
                days.push((i as u8, tid))
            }
            _ => errors.push(format!("{}: unknown template.", WEEKDAYS[i])),
        }
    }
    if !errors.is_empty() {
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
        return Ok(resp);
    }
    match id {
        None => {
            week_plans::insert(&mut tx.conn(), user.id(), &name, is_default, &days, now).await?;
        }
        Some(id) => {
            week_plans::update(
                &mut tx.conn(),
                user.id(),
                id,
                Some(&name),
                Some(is_default),
                Some(&days),
                now,
            )
            .await?
            .ok_or_else(PageError::not_found)?;
        }
    }
    tx.commit().await?;
    Ok(redirect_with("/setup?tab=plans", "ok", "Week plan saved."))
}

pub async fn set_default_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let id: WeekPlanId = id.parse().map_err(|_| PageError::not_found())?;
    let mut tx = state.begin_for(&user.write()).await?;
    week_plans::set_default(&mut tx.conn(), user.id(), id, state.now())
        .await?
        .ok_or_else(PageError::not_found)?;
    tx.commit().await?;
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
    let mut tx = state.begin_for(&user.write()).await?;
    if !week_plans::delete(&mut tx.conn(), user.id(), id).await? {
        return Err(PageError::not_found());
    }
    tx.commit().await?;
    Ok(redirect_with(
        "/setup?tab=plans",
        "ok",
        "Week plan deleted.",
    ))
}
