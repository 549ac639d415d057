//! The grocery list (issue 11, an addition to the original's API): what the plan needs for a
//! range of days, summed and sorted into aisles, with check-offs, removals, extra items, aisle and
//! staple decisions, and a plain-text form for sharing. Every route takes the list's range as
//! `from`/`to` query parameters (default: today to the end of this week; at most 28 days).

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use mealframe_core::{
    grocery::{Category, Change, Decision, ListItem, Quantity},
    ids::GroceryExtraId,
};
use mealframe_store::plans::grocery::{AiStatus, Extra};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{params, wire};
use crate::{
    app::{
        self,
        grocery::{GroceryList, ItemChange, Options, Range, Source},
    },
    error::ApiResult,
    extract::{ApiJson, CurrentUser, FromBody, Issues, QueryParams},
    state::AppState,
};

/// The query parameters every grocery route reads.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListQuery {
    /// First day (YYYY-MM-DD); default: today in the user's time zone.
    from: Option<time::Date>,
    /// Last day, at most 27 days after `from`; default: the Sunday of `from`'s week.
    to: Option<time::Date>,
    /// Count only slots not marked yet. Default false.
    only_unmarked: Option<bool>,
    /// List pantry staples (salt, oil, water …) with everything else. Default false.
    include_staples: Option<bool>,
}

fn read_query(
    state: &AppState,
    user: &CurrentUser,
    q: &QueryParams,
) -> ApiResult<(Range, Options)> {
    let mut v = Issues::query();
    let from = q.get("from").map(|s| v.date_str("from", s));
    let to = q.get("to").map(|s| v.date_str("to", s));
    let only = q
        .get("only_unmarked")
        .map(|s| v.bool_str("only_unmarked", s));
    let staples = q
        .get("include_staples")
        .map(|s| v.bool_str("include_staples", s));
    // Absent: the default; given but unreadable: an issue (and `None`).
    let from = from.map_or(Some(None), |d| d.map(Some));
    let to = to.map_or(Some(None), |d| d.map(Some));
    let only = only.unwrap_or(Some(false));
    let staples = staples.unwrap_or(Some(false));
    let parsed = (|| Some((from?, to?, only?, staples?)))();
    let (from, to, only_unmarked, include_staples) = v.finish(parsed)?;
    let range = Range::check(user.today(state.now()), from, to).map_err(|msg| {
        let mut v = Issues::query();
        let input = q
            .get("to")
            .map_or(Value::Null, |t| Value::String(t.to_owned()));
        v.push("value_error", "to", msg, input, None);
        v.into_error()
    })?;
    Ok((
        range,
        Options {
            only_unmarked,
            include_staples,
        },
    ))
}

/// Where an item comes from.
#[derive(Serialize, ToSchema)]
pub struct SourceOut {
    #[schema(format = Date)]
    pub date: String,
    #[schema(format = Uuid)]
    pub meal_id: String,
    pub meal_name: String,
}

impl From<&Source> for SourceOut {
    fn from(s: &Source) -> Self {
        SourceOut {
            date: s.date.to_string(),
            meal_id: s.meal_id.to_string(),
            meal_name: s.meal_name.clone(),
        }
    }
}

/// One thing to buy.
#[derive(Serialize, ToSchema)]
pub struct GroceryItem {
    /// Stable key of the item (ingredient and unit), for `PUT …/items/{key}`.
    pub key: String,
    /// The ingredient key (aisle and staple decisions are stored by it).
    pub ingredient: String,
    pub name: String,
    /// Decimal string in `unit`, rounded to hundredths.
    pub quantity: String,
    /// `g`, `kg`, `ml`, `l`, `tbsp`, `tsp`, a count unit (`slice`, `can` …); null for pieces.
    pub unit: Option<String>,
    /// As printed: "1.5 kg", "5 tbsp", "6", "2 slices".
    pub amount: String,
    /// `produce`, `dairy_eggs`, `meat_fish`, `bakery`, `grains_pasta`, `canned_jarred`,
    /// `frozen`, `spices_condiments`, `drinks`, `snacks`, `other`.
    pub category: String,
    pub checked: bool,
    pub staple: bool,
    /// Checked off earlier at this smaller amount; the plan now needs more.
    pub bought: Option<String>,
    /// Since the list was last acted on: `added`, `more`, `less`; null when unchanged.
    pub change: Option<String>,
    /// The amount shown last time, with `change` `more` or `less`.
    pub previous_amount: Option<String>,
    pub sources: Vec<SourceOut>,
}

fn item(i: &ListItem<Source>) -> GroceryItem {
    let (change, previous) = match &i.change {
        None => (None, None),
        Some(Change::Added) => (Some("added"), None),
        Some(Change::More { was }) => (Some("more"), Some(was.clone())),
        Some(Change::Less { was }) => (Some("less"), Some(was.clone())),
    };
    GroceryItem {
        key: i.key.clone(),
        ingredient: i.ingredient.clone(),
        name: i.name.clone(),
        quantity: i.display_quantity.to_string(),
        unit: i.display_unit.label(Quantity::ONE),
        amount: i.amount.clone(),
        category: i.category.slug().to_owned(),
        checked: i.checked,
        staple: i.staple,
        bought: i.bought.clone(),
        change: change.map(str::to_owned),
        previous_amount: previous,
        sources: i.sources.iter().map(SourceOut::from).collect(),
    }
}

/// A portion line the parser could not read, verbatim.
#[derive(Serialize, ToSchema)]
pub struct UnparsedLine {
    pub text: String,
    #[schema(format = Date)]
    pub date: String,
    #[schema(format = Uuid)]
    pub meal_id: String,
    pub meal_name: String,
    /// The optional AI reading of the line: `waiting` (asked, no answer yet), `failed`,
    /// `nothing_to_buy` (the model found nothing to buy in it); null when not asked.
    pub assist: Option<String>,
}

/// An item added by hand.
#[derive(Serialize, ToSchema)]
pub struct ExtraItem {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub checked: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn extra(e: &Extra) -> ExtraItem {
    ExtraItem {
        id: e.id.to_string(),
        name: e.name.clone(),
        checked: e.checked,
        created_at: wire::instant(e.created_at),
    }
}

/// An item on the list last time that the plan no longer needs.
#[derive(Serialize, ToSchema)]
pub struct GoneItem {
    pub key: String,
    pub name: String,
    pub amount: String,
}

/// The list for a range.
#[derive(Serialize, ToSchema)]
pub struct GroceryListResponse {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    /// To buy, in store order (aisle, then name).
    pub items: Vec<GroceryItem>,
    pub unparsed: Vec<UnparsedLine>,
    pub extras: Vec<ExtraItem>,
    /// Pantry staples left off the list (empty with `include_staples=true`).
    pub staples: Vec<GroceryItem>,
    /// Items removed by hand ("I have it"), restorable.
    pub removed: Vec<GroceryItem>,
    /// Items the list had when last acted on that the plan no longer needs.
    pub gone: Vec<GoneItem>,
    /// Mondays of weeks in the range that are not generated yet (not counted).
    #[schema(value_type = Vec<String>, format = Date)]
    pub missing_weeks: Vec<String>,
}

fn response(g: &GroceryList) -> GroceryListResponse {
    GroceryListResponse {
        from: g.range.from.to_string(),
        to: g.range.to.to_string(),
        items: g.list.items.iter().map(item).collect(),
        unparsed: g
            .list
            .unread
            .iter()
            .map(|u| UnparsedLine {
                text: u.text.clone(),
                date: u.source.date.to_string(),
                meal_id: u.source.meal_id.to_string(),
                meal_name: u.source.meal_name.clone(),
                assist: g.assist.get(&u.text).map(|s| {
                    match s {
                        AiStatus::Waiting => "waiting",
                        AiStatus::Failed => "failed",
                        AiStatus::Done => "nothing_to_buy",
                    }
                    .to_owned()
                }),
            })
            .collect(),
        extras: g.extras.iter().map(extra).collect(),
        staples: g.list.staples.iter().map(item).collect(),
        removed: g.list.removed.iter().map(item).collect(),
        gone: g
            .list
            .gone
            .iter()
            .map(|x| GoneItem {
                key: x.key.clone(),
                name: x.name.clone(),
                amount: x.amount.clone(),
            })
            .collect(),
        missing_weeks: g.missing_weeks.iter().map(|d| d.to_string()).collect(),
    }
}

/// The grocery list of a range of planned days: every slot's meal (reassigned and ad-hoc meals
/// as planned, nothing for a No Plan day), its portion read into ingredients, summed by
/// ingredient and unit. `format=text` answers plain text grouped by aisle, for sharing.
#[utoipa::path(get, path = "/api/v1/grocery-list", tag = "Grocery List", security(("bearer" = [])),
    params(ListQuery, ("format" = Option<String>, Query, description = "`json` (default) or `text`")),
    responses((status = 200, description = "The list; plain text with `format=text`",
                content((GroceryListResponse = "application/json"), (String = "text/plain"))),
              (status = 422)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (range, options) = read_query(&state, &user, &q)?;
    let text = match q.get("format") {
        None | Some("json") => false,
        Some("text") => true,
        Some(other) => {
            let mut v = Issues::query();
            v.one_of::<String>(
                "format",
                &Value::String(other.to_owned()),
                &["json", "text"],
            );
            return Err(v.into_error());
        }
    };
    let g = app::grocery::list(&state, user.id(), range, options).await?;
    if text {
        return Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            app::grocery::as_text(&g),
        )
            .into_response());
    }
    Ok(Json(response(&g)).into_response())
}

/// `{checked?, removed?}` — at least one.
#[derive(Deserialize, ToSchema)]
pub struct ItemBody {
    #[serde(default)]
    pub checked: Option<Value>,
    #[serde(default)]
    pub removed: Option<Value>,
}

impl FromBody for ItemChange {
    type Raw = ItemBody;
    fn parse(raw: ItemBody, v: &mut Issues) -> Option<Self> {
        let flag = |v: &mut Issues, name: &str, value: &Option<Value>| match value {
            None | Some(Value::Null) => Some(None),
            Some(Value::Bool(b)) => Some(Some(*b)),
            Some(other) => {
                v.push(
                    "bool_type",
                    name,
                    "Input should be a valid boolean",
                    other.clone(),
                    None,
                );
                None
            }
        };
        let checked = flag(v, "checked", &raw.checked);
        let removed = flag(v, "removed", &raw.removed);
        let (checked, removed) = (checked?, removed?);
        if checked.is_none() && removed.is_none() {
            v.push(
                "missing",
                "checked",
                "Give checked or removed",
                Value::Null,
                None,
            );
            return None;
        }
        Some(ItemChange { checked, removed })
    }
}

/// Check off or uncheck an item, or remove or restore it. A check-off covers the amount the plan
/// needs now; if a later change to the plan needs more, the item is unchecked again with
/// `bought` saying what was covered. Answers the whole list.
#[utoipa::path(put, path = "/api/v1/grocery-list/items/{key}", tag = "Grocery List", security(("bearer" = [])),
    params(("key" = String, Path, description = "An item's `key`"), ListQuery), request_body = ItemBody,
    responses((status = 200, body = GroceryListResponse), (status = 404, description = "Not on this list"), (status = 422)))]
pub async fn put_item(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
    Path(key): Path<String>,
    ApiJson(change): ApiJson<ItemChange>,
) -> ApiResult<Json<GroceryListResponse>> {
    let (range, options) = read_query(&state, &user, &q)?;
    let g = app::grocery::change_item(&state, &user.write(), range, options, &key, change).await?;
    Ok(Json(response(&g)))
}

/// `{name}`
#[derive(Deserialize, ToSchema)]
pub struct ExtraBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

impl FromBody for ExtraBody {
    type Raw = ExtraBody;
    fn parse(raw: ExtraBody, v: &mut Issues) -> Option<Self> {
        v.text(
            "name",
            raw.name.trim(),
            1,
            Some(app::grocery::MAX_EXTRA_NAME),
        )?;
        Some(raw)
    }
}

/// Add something to buy that is not in the plan.
#[utoipa::path(post, path = "/api/v1/grocery-list/extras", tag = "Grocery List", security(("bearer" = [])),
    params(ListQuery), request_body = ExtraBody,
    responses((status = 201, body = ExtraItem), (status = 422)))]
pub async fn add_extra(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
    ApiJson(body): ApiJson<ExtraBody>,
) -> ApiResult<Response> {
    let (range, _) = read_query(&state, &user, &q)?;
    let e = app::grocery::add_extra(&state, &user.write(), range, &body.name).await?;
    Ok((StatusCode::CREATED, Json(extra(&e))).into_response())
}

/// `{checked}`
#[derive(Deserialize, ToSchema)]
pub struct ExtraCheck {
    pub checked: bool,
}

impl FromBody for ExtraCheck {
    type Raw = ExtraCheck;
    fn parse(raw: ExtraCheck, _: &mut Issues) -> Option<Self> {
        Some(raw)
    }
}

/// Check or uncheck an extra item.
#[utoipa::path(put, path = "/api/v1/grocery-list/extras/{extra_id}", tag = "Grocery List", security(("bearer" = [])),
    params(("extra_id" = uuid::Uuid, Path), ListQuery), request_body = ExtraCheck,
    responses((status = 200, body = ExtraItem), (status = 404), (status = 422)))]
pub async fn check_extra(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExtraCheck>,
) -> ApiResult<Json<ExtraItem>> {
    let id: GroceryExtraId = params::id("extra_id", &id)?;
    let (range, _) = read_query(&state, &user, &q)?;
    let e = app::grocery::check_extra(&state, &user.write(), range, id, body.checked).await?;
    Ok(Json(extra(&e)))
}

/// Delete an extra item.
#[utoipa::path(delete, path = "/api/v1/grocery-list/extras/{extra_id}", tag = "Grocery List", security(("bearer" = [])),
    params(("extra_id" = uuid::Uuid, Path), ListQuery), responses((status = 204), (status = 404), (status = 422)))]
pub async fn delete_extra(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: GroceryExtraId = params::id("extra_id", &id)?;
    let (range, _) = read_query(&state, &user, &q)?;
    app::grocery::delete_extra(&state, &user.write(), range, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{category?, staple?}` — null (or absent) puts it back to the built-in rule.
#[derive(Deserialize, ToSchema)]
pub struct IngredientBody {
    /// A category slug (see `GroceryItem.category`).
    #[serde(default)]
    pub category: Option<Value>,
    #[serde(default)]
    pub staple: Option<Value>,
}

impl FromBody for Decision {
    type Raw = IngredientBody;
    fn parse(raw: IngredientBody, v: &mut Issues) -> Option<Self> {
        let slugs: Vec<&str> = Category::ALL.iter().map(|c| c.slug()).collect();
        let category = match raw.category {
            None | Some(Value::Null) => Some(None),
            Some(c) => v
                .one_of::<String>("category", &c, &slugs)
                .map(|s| Category::from_slug(&s)),
        };
        let staple = match raw.staple {
            None | Some(Value::Null) => Some(None),
            Some(Value::Bool(b)) => Some(Some(b)),
            Some(other) => {
                v.push(
                    "bool_type",
                    "staple",
                    "Input should be a valid boolean",
                    other,
                    None,
                );
                None
            }
        };
        Some(Decision {
            category: category?,
            staple: staple?,
        })
    }
}

/// An ingredient's aisle and staple setting.
#[derive(Serialize, ToSchema)]
pub struct IngredientResponse {
    pub ingredient: String,
    pub category: Option<String>,
    pub staple: Option<bool>,
}

/// Move an ingredient to another aisle, or make it a pantry staple (kept at home, left off the
/// list) or not, for every list of this user.
#[utoipa::path(put, path = "/api/v1/grocery-list/ingredients/{ingredient}", tag = "Grocery List", security(("bearer" = [])),
    params(("ingredient" = String, Path, description = "An item's `ingredient`")), request_body = IngredientBody,
    responses((status = 200, body = IngredientResponse), (status = 422)))]
pub async fn put_ingredient(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(ingredient): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<Json<IngredientResponse>> {
    let key = app::grocery::ingredient_key(&ingredient).map_err(|msg| {
        let mut v = Issues::path();
        v.push(
            "value_error",
            "ingredient",
            msg,
            Value::String(ingredient.clone()),
            None,
        );
        v.into_error()
    })?;
    let d = app::grocery::decide(&state, &user.write(), &key, decision).await?;
    Ok(Json(IngredientResponse {
        ingredient: key,
        category: d.category.map(|c| c.slug().to_owned()),
        staple: d.staple,
    }))
}

/// The changes were seen: the list as shown now is what the next changes are compared with.
#[utoipa::path(post, path = "/api/v1/grocery-list/seen", tag = "Grocery List", security(("bearer" = [])),
    params(ListQuery), responses((status = 200, body = GroceryListResponse), (status = 422)))]
pub async fn seen(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
) -> ApiResult<Json<GroceryListResponse>> {
    let (range, options) = read_query(&state, &user, &q)?;
    let g = app::grocery::mark_seen(&state, &user.write(), range, options).await?;
    Ok(Json(response(&g)))
}
