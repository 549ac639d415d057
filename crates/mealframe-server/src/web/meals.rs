//! The Meals library pages: a dense list searched over name and portion, filtered by type and
//! source, sorted and paginated (the server renders every state; `static/meals.js` only refreshes
//! it as you type); create, edit, delete with all seven nutrients and notes, returning to the list
//! as it was left; CSV import with its report; CSV export (the API route, which the session cookie
//! authenticates).

use askama::Template;
use axum::{
    extract::{Multipart, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use mealframe_core::ids::{MealId, MealTypeId};
use mealframe_store::library::meals::{Filter, Meal, MealChange, NewMeal, Order};

use super::{
    forms::{Fields, INVALID, Json},
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{
    app::{
        self, AppError,
        meals::{Emptied, Imported},
    },
    extract::{CurrentUser, QueryParams, upload},
    state::AppState,
};

const PAGE_SIZE: u32 = 20;

/// One row of the dense library list: what is needed to recognise a meal at a glance.
pub struct Row {
    pub meal: Meal,
    /// The first letter of the name, shown when the meal has no kept photo.
    pub initial: String,
    pub kcal: Option<i32>,
    /// Protein without a needless `.0` ("32.5", "18").
    pub protein: Option<String>,
    /// The edit page, carrying the list as it is now so that the form returns to it.
    pub edit_href: String,
}

#[derive(Template)]
#[template(path = "meals/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    total: i64,
    q: String,
    type_id: String,
    source: String,
    sort: String,
    page: u32,
    pages: u32,
    types: Vec<(String, String)>,
    /// `?back=…` for links to the meal forms (empty when the list is unfiltered).
    back_query: String,
    prev_href: String,
    next_href: String,
    filtered: bool,
    empty_library: bool,
    script: String,
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A macro value without a needless decimal: 22.0 → "22", 12.5 → "12.5".
fn short(t: mealframe_core::tenths::Tenths) -> String {
    let text = t.to_string();
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// The list's address with only the parameters that differ from the defaults, e.g.
/// `/meals?q=egg&sort=newest&page=2`; plain `/meals` for the unfiltered first page.
fn list_href(search: &str, type_id: &str, source: &str, sort: &str, page: u32) -> String {
    let mut parts = Vec::new();
    for (key, value) in [("q", search), ("type", type_id), ("source", source)] {
        if !value.is_empty() {
            parts.push(format!("{key}={}", enc(value)));
        }
    }
    if sort != "name" {
        parts.push(format!("sort={}", enc(sort)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/meals".to_owned()
    } else {
        format!("/meals?{}", parts.join("&"))
    }
}

/// Where a meal form goes back to: the list as the user left it. Only the Meals list itself is
/// accepted (`/meals` or `/meals?…`, visible ASCII only), so the parameter can never send the
/// browser to another site or page, nor break the `Location` header.
pub fn return_to(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if (p == "/meals" || p.starts_with("/meals?"))
                && p.len() <= 1000
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            p.to_owned()
        }
        _ => "/meals".to_owned(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: QueryParams,
) -> Result<Response, PageError> {
    let search = q.non_empty("q").unwrap_or_default().trim().to_owned();
    let type_id = q.non_empty("type").unwrap_or_default().to_owned();
    let source = q.non_empty("source").unwrap_or_default().to_owned();
    let sort = q.non_empty("sort").unwrap_or("name").to_owned();
    let page: u32 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let order = match sort.as_str() {
        "newest" => Order::Newest,
        "calories_asc" => Order::CaloriesAsc,
        "calories_desc" => Order::CaloriesDesc,
        _ => Order::Name,
    };
    let filter = Filter {
        search: (!search.is_empty()).then_some(search.as_str()),
        search_portion: true,
        meal_type: type_id.parse::<MealTypeId>().ok(),
        source: (!source.is_empty()).then_some(source.as_str()),
    };
    let found = app::meals::list(&state, &user.user, &filter, order, page, PAGE_SIZE).await?;
    let (items, total) = (&found.0, found.1);
    let types = app::library::meal_type_names(&state, user.id()).await?;
    let filtered = filter.search.is_some() || filter.meal_type.is_some() || filter.source.is_some();
    let empty_library = total == 0 && !filtered;
    let pages = (total as u32).div_ceil(PAGE_SIZE);
    let href = |p: u32| list_href(&search, &type_id, &source, &sort, p);
    let here = href(page);
    let back_query = if here == "/meals" {
        String::new()
    } else {
        format!("?back={}", enc(&here))
    };
    let layout = Layout::new("Meals", "meals", Some(&user), &headers).wider();
    let had_flash = layout.flash.is_some();
    let page_view = ListPage {
        layout,
        rows: items
            .iter()
            .map(|m| Row {
                initial: m
                    .name
                    .trim()
                    .chars()
                    .next()
                    .map(|c| c.to_uppercase().collect())
                    .unwrap_or_default(),
                kcal: m.macros.calories_kcal,
                protein: m.macros.protein.map(short),
                edit_href: format!("/meals/{}/edit{back_query}", m.id),
                meal: m.clone(),
            })
            .collect(),
        total,
        prev_href: href(page.saturating_sub(1).max(1)),
        next_href: href(page + 1),
        q: search.clone(),
        type_id: type_id.clone(),
        source: source.clone(),
        sort: sort.clone(),
        page,
        pages,
        types: types
            .into_iter()
            .map(|(id, n)| (id.to_string(), n))
            .collect(),
        back_query,
        filtered,
        empty_library,
        script: super::assets::url("meals.js"),
    };
    Ok(render(&page_view, had_flash))
}

/// The editable fields of a meal form.
#[derive(Default, Clone)]
pub struct MealForm {
    pub name: String,
    pub portion: String,
    pub nutrients: [String; 7],
    pub notes: String,
    pub types: Vec<String>,
}

pub const NUTRIENT_FIELDS: [(&str, &str); 7] = [
    ("calories_kcal", "Calories (kcal)"),
    ("protein_g", "Protein (g)"),
    ("carbs_g", "Carbs (g)"),
    ("sugar_g", "Sugar (g)"),
    ("fat_g", "Fat (g)"),
    ("saturated_fat_g", "Sat. fat (g)"),
    ("fiber_g", "Fiber (g)"),
];

impl MealForm {
    fn from_meal(m: &Meal) -> MealForm {
        let d = |v: Option<mealframe_core::tenths::Tenths>| {
            v.map(|t| t.to_string()).unwrap_or_default()
        };
        MealForm {
            name: m.name.clone(),
            portion: m.portion_description.clone(),
            nutrients: [
                m.macros
                    .calories_kcal
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
                d(m.macros.protein),
                d(m.macros.carbs),
                d(m.macros.sugar),
                d(m.macros.fat),
                d(m.macros.saturated_fat),
                d(m.macros.fiber),
            ],
            notes: m.notes.clone().unwrap_or_default(),
            types: m.meal_types.iter().map(|t| t.id.to_string()).collect(),
        }
    }

    fn from_fields(f: &Fields) -> MealForm {
        MealForm {
            name: f.get("name").unwrap_or_default().to_owned(),
            portion: f.get("portion_description").unwrap_or_default().to_owned(),
            nutrients: NUTRIENT_FIELDS.map(|(k, _)| f.get(k).unwrap_or_default().to_owned()),
            notes: f.get("notes").unwrap_or_default().to_owned(),
            types: f.all("meal_type_ids"),
        }
    }

    fn json(&self, update: bool) -> Json {
        let mut j = Json::default()
            .set("name", self.name.trim())
            .set("portion_description", self.portion.trim());
        for (i, (key, _)) in NUTRIENT_FIELDS.iter().enumerate() {
            let v = self.nutrients[i].trim();
            j = if update {
                j.opt_or_null(key, (!v.is_empty()).then(|| v.to_owned()))
            } else {
                j.opt(key, (!v.is_empty()).then(|| v.to_owned()))
            };
        }
        j.opt(
            "notes",
            (!self.notes.trim().is_empty()).then(|| self.notes.trim().to_owned()),
        )
        .set("meal_type_ids", serde_json::json!(self.types))
    }
}

#[derive(Template)]
#[template(path = "meals/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<String>,
    form: MealForm,
    errors: Vec<String>,
    types: Vec<(String, String)>,
    fields: [(&'static str, &'static str); 7],
    /// The list to return to (validated by [`return_to`]).
    back: String,
    /// A captured meal's kept photo (its URL).
    photo: Option<String>,
    /// A capture still being estimated, or why it failed (with a retry).
    processing: Option<String>,
    failed: Option<String>,
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

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    id: Option<String>,
    form: MealForm,
    errors: Vec<String>,
    back: String,
) -> Result<Response, PageError> {
    let title = if id.is_some() {
        "Edit meal"
    } else {
        "New meal"
    };
    let status_invalid = !errors.is_empty();
    let meal = match id.as_deref().and_then(|i| i.parse::<MealId>().ok()) {
        Some(mid) => Some(app::meals::get(state, user.id(), mid).await?),
        None => None,
    };
    let page = FormPage {
        photo: meal
            .as_ref()
            .filter(|m| m.photo_key.is_some())
            .map(|m| format!("/api/v1/meals/{}/photo", m.id)),
        processing: meal
            .as_ref()
            .filter(|m| m.processing_status == "processing")
            .map(|_| "Being estimated — the values below fill in by themselves; what you save now is kept.".to_owned()),
        failed: meal
            .as_ref()
            .filter(|m| m.processing_status == "failed")
            .map(|m| m.processing_error.clone().unwrap_or_default()),
        layout: Layout::new(title, "meals", Some(user), headers).wide(),
        id,
        form,
        errors,
        types: type_options(state, user).await?,
        fields: NUTRIENT_FIELDS,
        back,
    };
    let mut resp = render(&page, false);
    if status_invalid {
        *resp.status_mut() = INVALID;
    }
    Ok(resp)
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: QueryParams,
) -> Result<Response, PageError> {
    let back = return_to(q.get("back"));
    form_page(
        &state,
        &user,
        &headers,
        None,
        MealForm::default(),
        vec![],
        back,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let back = return_to(fields.get("back"));
    let form = MealForm::from_fields(&fields);
    let parsed: NewMeal = match form.json(false).parse() {
        Ok(m) => m,
        Err(errors) => return form_page(&state, &user, &headers, None, form, errors, back).await,
    };
    match app::meals::create(&state, &user.write(), &parsed).await {
        Ok(_) => {}
        Err(e @ AppError::NotFound(_)) => {
            let errors = vec![PageError::from(e).message];
            return form_page(&state, &user, &headers, None, form, errors, back).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(redirect_with(
        &back,
        "ok",
        &format!("Added {}.", parsed.name),
    ))
}

async fn owned(state: &AppState, user: &CurrentUser, id: &str) -> Result<Meal, PageError> {
    let id: MealId = id.parse().map_err(|_| PageError::not_found())?;
    match app::meals::get(state, user.id(), id).await {
        Err(AppError::NotFound(_)) => Err(PageError::not_found()),
        other => Ok(other?),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: QueryParams,
) -> Result<Response, PageError> {
    let meal = owned(&state, &user, &id).await?;
    form_page(
        &state,
        &user,
        &headers,
        Some(id),
        MealForm::from_meal(&meal),
        vec![],
        return_to(q.get("back")),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let meal = owned(&state, &user, &id).await?;
    let back = return_to(fields.get("back"));
    let form = MealForm::from_fields(&fields);
    let change: MealChange = match form.json(true).parse() {
        Ok(c) => c,
        Err(errors) => {
            return form_page(&state, &user, &headers, Some(id), form, errors, back).await;
        }
    };
    // A field emptied in the form clears the value (the JSON API keeps null as "unchanged").
    let emptied = Emptied {
        nutrients: NUTRIENT_FIELDS
            .iter()
            .enumerate()
            .filter(|(i, _)| form.nutrients[*i].trim().is_empty())
            .map(|(_, (k, _))| *k)
            .collect(),
        notes: form.notes.trim().is_empty(),
    };
    match app::meals::update(&state, &user.write(), meal.id, &change, &emptied).await {
        Ok(_) => Ok(redirect_with(&back, "ok", "Meal saved.")),
        Err(e @ AppError::NotFound(_)) => {
            let errors = vec![PageError::from(e).message];
            form_page(&state, &user, &headers, Some(id), form, errors, back).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let meal = owned(&state, &user, &id).await?;
    app::meals::delete(&state, &user.write(), meal.id).await?;
    Ok(redirect_with(
        &return_to(fields.get("back")),
        "ok",
        &format!("Deleted {}.", meal.name),
    ))
}

#[derive(Template)]
#[template(path = "meals/import.html")]
struct ImportPage {
    layout: Layout,
    report: Option<Imported>,
    error: Option<String>,
}

pub async fn import_form(PageUser(user): PageUser, headers: HeaderMap) -> Response {
    render(
        &ImportPage {
            layout: Layout::new("Import meals", "meals", Some(&user), &headers).wide(),
            report: None,
            error: None,
        },
        false,
    )
}

pub async fn import(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    let outcome = match upload::csv_file(&state.config, Ok(multipart)).await {
        Ok(text) => app::meals::import_csv(&state, &user.write(), &text)
            .await
            .map_err(PageError::from),
        Err(e) => Err(PageError::from(e)),
    };
    let layout = Layout::new("Import meals", "meals", Some(&user), &headers).wide();
    match outcome {
        Ok(report) => render(
            &ImportPage {
                layout,
                report: Some(report),
                error: None,
            },
            false,
        ),
        Err(e) => {
            let status = e.status;
            let mut resp = render(
                &ImportPage {
                    layout,
                    report: None,
                    error: Some(e.message),
                },
                false,
            );
            *resp.status_mut() = status;
            resp
        }
    }
}

/// Estimate a failed capture again.
pub async fn retry_capture(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let meal = owned(&state, &user, &id).await?;
    app::capture_queue::retry(&state, &user.write(), meal.id).await?;
    Ok(redirect_with(
        &format!(
            "/meals/{}/edit?back={}",
            meal.id,
            enc(&return_to(fields.get("back")))
        ),
        "ok",
        "Estimating again.",
    ))
}
