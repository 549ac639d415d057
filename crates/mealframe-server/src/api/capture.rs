//! `POST /api/v1/meals/ai-capture` (§4.15): a meal photo in, a suggested meal out. Nothing is
//! saved but the call's token count and estimated cost; the client then creates the meal.
//!
//! Order: the part's declared type (before reading), the size (while reading, so an oversized
//! upload is never held in memory), emptiness, the bytes really being JPEG or PNG, the model being
//! configured, the per-user rate, then the model call. The photo and the model's answer are never
//! logged or stored.

use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::StatusCode,
};
use mealframe_core::{
    capture::{IdentifiedItem, Suggestion},
    tenths::Tenths,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    app::{self, capture::CaptureError},
    error::{ApiError, ApiResult},
    extract::{CurrentUser, upload},
    state::AppState,
};

/// The largest photo accepted (10 MiB, as the original).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/jpg", "image/png"];

#[derive(Serialize, ToSchema)]
pub struct IdentifiedItemResponse {
    pub name: String,
    pub estimated_quantity: String,
}

/// The model's suggestion; macros are JSON numbers (one decimal), not strings.
#[derive(Serialize, ToSchema)]
pub struct AiCaptureResponse {
    pub meal_name: String,
    pub portion_description: String,
    pub calories_kcal: Option<i32>,
    pub protein_g: Option<f64>,
    pub carbs_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub saturated_fat_g: Option<f64>,
    pub fiber_g: Option<f64>,
    pub confidence_score: f64,
    pub identified_items: Vec<IdentifiedItemResponse>,
    pub suggested_meal_type: Option<String>,
    /// The model that answered (`gpt-4o` unless configured otherwise).
    pub ai_model_version: String,
}

fn response(s: Suggestion, model: &str) -> AiCaptureResponse {
    let g = |v: Option<Tenths>| v.map(Tenths::as_f64);
    AiCaptureResponse {
        meal_name: s.meal_name,
        portion_description: s.portion_description,
        calories_kcal: s.calories_kcal,
        protein_g: g(s.protein_g),
        carbs_g: g(s.carbs_g),
        sugar_g: g(s.sugar_g),
        fat_g: g(s.fat_g),
        saturated_fat_g: g(s.saturated_fat_g),
        fiber_g: g(s.fiber_g),
        confidence_score: s.confidence_score,
        identified_items: s
            .identified_items
            .into_iter()
            .map(
                |IdentifiedItem {
                     name,
                     estimated_quantity,
                 }| IdentifiedItemResponse {
                    name,
                    estimated_quantity,
                },
            )
            .collect(),
        suggested_meal_type: s.suggested_meal_type,
        ai_model_version: model.to_owned(),
    }
}

/// The image format the bytes really are, whatever the upload claimed.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Analyse a meal photo (multipart field `image`, JPEG or PNG up to 10 MB).
#[utoipa::path(post, path = "/api/v1/meals/ai-capture", tag = "Meals", security(("bearer" = [])),
    request_body(content = crate::extract::upload::PhotoUpload, content_type = "multipart/form-data", description = "field `image`: a JPEG or PNG photo"),
    responses((status = 200, body = AiCaptureResponse),
        (status = 400, description = "Not an image, empty, or no food recognised"),
        (status = 413, description = "Larger than 10 MB"), (status = 422, description = "No `image` field"),
        (status = 429, description = "Too many captures"), (status = 502, description = "The model failed"),
        (status = 503, description = "AI capture is not configured"), (status = 504, description = "The model took too long")))]
pub async fn ai_capture(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<AiCaptureResponse>> {
    let accept = |content_type: Option<&str>| {
        let ok = content_type.is_some_and(|ct| IMAGE_TYPES.contains(&upload::essence(ct).as_str()));
        if ok {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "Invalid file type: {}. Expected JPEG or PNG.",
                content_type.unwrap_or("unknown")
            )))
        }
    };
    let image = upload::read_part(
        multipart,
        upload::PartRules {
            name: "image",
            limit: MAX_IMAGE_BYTES,
            too_large: "Image too large. Maximum size is 10MB.",
            accept: &accept,
        },
    )
    .await?
    .bytes;
    if image.is_empty() {
        return Err(ApiError::bad_request("Image file is empty."));
    }
    let mime = sniff(&image)
        .ok_or_else(|| ApiError::bad_request("Image file is not a valid JPEG or PNG."))?;
    let analysed =
        app::capture::analyse_photo(&state, &user.user, &user.write(), image, mime).await;
    match analysed {
        Ok(suggestion) => Ok(Json(response(suggestion, &state.config.ai_capture.model))),
        Err(CaptureError::NotConfigured) => Err(ApiError::detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "OPENAI_API_KEY is not configured",
        )),
        Err(CaptureError::Timeout) => Err(ApiError::detail(
            StatusCode::GATEWAY_TIMEOUT,
            "Analysis took too long. Please try again.",
        )),
        Err(CaptureError::Failed | CaptureError::Unreachable) => Err(ApiError::detail(
            StatusCode::BAD_GATEWAY,
            "Could not analyze image. Please try again.",
        )),
        Err(CaptureError::NoFood(message)) => Err(ApiError::bad_request(message)),
        Err(CaptureError::App(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_tells_jpeg_from_png_from_anything_else() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }
}
