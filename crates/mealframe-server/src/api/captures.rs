//! `POST /api/v1/captures`, `POST /api/v1/captures/{meal_id}/retry` and a meal's kept photo
//! (`GET`/`DELETE /api/v1/meals/{meal_id}/photo`) (issue 12): asynchronous
//! capture of a meal from a photo, a voice note or typed words. The answer is 202 with the new
//! meal, `processing_status: "processing"`, and a `Location` to poll (`GET /api/v1/meals/{id}`);
//! the work happens in `app::capture_queue`.
//!
//! One route, two bodies: JSON `{text, slot_id?, date?}`, or multipart with a file in `image` or
//! `audio` plus optional `slot_id` and `date` fields. A file's declared type is checked before
//! it is read, its size while it is read, and its bytes for what they really are.

use axum::{
    Json,
    extract::{FromRequest, Multipart, Path, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use mealframe_core::ids::{MealId, SlotId};
use mealframe_store::Rejection;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{meals::MealResponse, params};
use crate::{
    app::{
        self, AppError,
        capture_queue::{Input, Placement},
        error::refusal_message,
    },
    error::{ApiError, ApiResult},
    extract::{ApiJson, CurrentUser, FromBody, Issues, upload},
    state::AppState,
};

/// The largest photo or voice note accepted.
pub const MAX_CAPTURE_BYTES: usize = 10 * 1024 * 1024;
/// The longest description accepted, in characters.
const MAX_TEXT_CHARS: usize = 2000;

const IMAGE_TYPES: [&str; 6] = [
    "image/jpeg",
    "image/jpg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
];
const AUDIO_TYPES: [&str; 12] = [
    "audio/webm",
    "video/webm",
    "audio/ogg",
    "audio/opus",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/aac",
    "audio/mpeg",
    "audio/mp3",
    "audio/wav",
    "audio/x-wav",
];

/// `{text, slot_id?, date?}`: a meal described in words.
#[derive(Deserialize, ToSchema)]
pub struct CaptureTextBody {
    #[schema(value_type = String, min_length = 1, max_length = 2000)]
    pub text: Value,
    /// The slot this meal replaced: it is marked `deviated` with this meal as what was eaten.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub slot_id: Option<Value>,
    /// Without `slot_id`: add the meal to this day (of a generated week).
    #[serde(default)]
    #[schema(value_type = Option<time::Date>)]
    pub date: Option<Value>,
}

/// `multipart/form-data`: a photo in `image` (JPEG, PNG or WebP) or a voice note in `audio`
/// (WebM/Opus, Ogg, MP4/AAC, MP3 or WAV), at most 10 MB, and optional `slot_id` and `date`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CaptureUpload {
    #[schema(value_type = Option<String>, format = Binary)]
    pub image: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary)]
    pub audio: Option<Vec<u8>>,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub slot_id: Option<String>,
    #[schema(value_type = Option<time::Date>)]
    pub date: Option<String>,
}

struct TextCapture {
    text: String,
    place: Placement,
}

impl FromBody for TextCapture {
    type Raw = CaptureTextBody;
    fn parse(raw: CaptureTextBody, v: &mut Issues) -> Option<Self> {
        let text = match &raw.text {
            Value::String(s) => v.text("text", s.trim(), 1, Some(MAX_TEXT_CHARS)),
            other => {
                v.push(
                    "string_type",
                    "text",
                    "Input should be a valid string",
                    other.clone(),
                    None,
                );
                None
            }
        };
        let slot = match raw.slot_id.as_ref().filter(|s| !s.is_null()) {
            Some(s) => Some(v.uuid::<SlotId>("slot_id", s)?),
            None => None,
        };
        let date = match raw.date.as_ref().filter(|d| !d.is_null()) {
            Some(d) => Some(v.date("date", d)?),
            None => None,
        };
        Some(TextCapture {
            text: text?,
            place: Placement { slot, date },
        })
    }
}

/// The image format the bytes really are; HEIC is refused with a way out (vision models do not
/// read it; the web app converts photos to JPEG on the phone).
fn sniff_image(bytes: &[u8]) -> ApiResult<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && [b"heic", b"heix", b"mif1", b"msf1", b"heif"]
            .contains(&&bytes[8..12].try_into().unwrap_or([0u8; 4]))
    {
        Err(ApiError::detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "HEIC photos are not supported: send a JPEG, PNG or WebP (the web app converts photos for you).",
        ))
    } else {
        Err(ApiError::bad_request(
            "The image is not a valid JPEG, PNG or WebP file.",
        ))
    }
}

/// Whether the bytes are one of the accepted recording containers.
fn is_audio(bytes: &[u8]) -> bool {
    let at = |range: std::ops::Range<usize>, tag: &[u8]| bytes.get(range).is_some_and(|b| b == tag);
    bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) // WebM / Matroska
        || bytes.starts_with(b"OggS")
        || (bytes.starts_with(b"RIFF") && at(8..12, b"WAVE"))
        || at(4..8, b"ftyp") // MP4 / M4A
        || bytes.starts_with(b"ID3")
        || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) // MPEG audio frame
}

/// Read a multipart capture: exactly one of `image` and `audio`, and the optional fields.
async fn read_upload(mut multipart: Multipart) -> ApiResult<(Input, Placement)> {
    let map = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request(format!("Malformed multipart body: {}", e.body_text()))
        }
    };
    let mut input: Option<Input> = None;
    let mut issues = Issues::body();
    let mut place = Placement::default();
    while let Some(mut field) = multipart.next_field().await.map_err(map)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "image" | "audio" => {
                if input.is_some() {
                    return Err(ApiError::bad_request(
                        "Send one photo or one voice note per capture.",
                    ));
                }
                let declared = field.content_type().map(upload::essence);
                let allowed: &[&str] = if name == "image" {
                    &IMAGE_TYPES
                } else {
                    &AUDIO_TYPES
                };
                if !declared.as_deref().is_some_and(|d| allowed.contains(&d)) {
                    return Err(ApiError::detail(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        format!(
                            "Invalid file type for {name}: {}. Expected {}.",
                            declared.as_deref().unwrap_or("unknown"),
                            if name == "image" {
                                "JPEG, PNG or WebP"
                            } else {
                                "WebM, Ogg, MP4, MP3 or WAV audio"
                            }
                        ),
                    ));
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(map)? {
                    if bytes.len() + chunk.len() > MAX_CAPTURE_BYTES {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if bytes.is_empty() {
                    return Err(ApiError::bad_request(format!("The {name} file is empty.")));
                }
                input = Some(if name == "image" {
                    let mime = sniff_image(&bytes)?;
                    Input::Image { bytes, mime }
                } else {
                    if !is_audio(&bytes) {
                        return Err(ApiError::bad_request(
                            "The audio is not a WebM, Ogg, MP4, MP3 or WAV recording.",
                        ));
                    }
                    Input::Audio {
                        bytes,
                        mime: declared.unwrap_or_default(),
                    }
                });
            }
            "slot_id" | "date" => {
                let text = small_text(field).await.map_err(map)?;
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                if name == "slot_id" {
                    place.slot = issues.uuid_str::<SlotId>("slot_id", text);
                } else {
                    place.date = issues.date_str("date", text);
                }
            }
            // Unknown fields are ignored, as in a JSON body.
            _ => {}
        }
    }
    if !issues.is_empty() {
        return Err(issues.into_error());
    }
    let Some(input) = input else {
        let mut v = Issues::body();
        v.missing("image", &Value::Null);
        return Err(v.into_error());
    };
    Ok((input, place))
}

/// A form field's text, at most 1 KiB (ids and dates).
async fn small_text(
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<String, axum::extract::multipart::MultipartError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > 1024 {
            break;
        }
    }
    bytes.truncate(1024);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn too_large() -> ApiError {
    ApiError::detail(
        StatusCode::PAYLOAD_TOO_LARGE,
        "File too large. Maximum size is 10MB.",
    )
}

fn accepted(m: &mealframe_store::library::meals::Meal) -> Response {
    let location = format!("/api/v1/meals/{}", m.id);
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(super::meals::response(m)),
    )
        .into_response()
}

/// Capture a meal to be estimated in the background: a photo or voice note (multipart), or a
/// description (JSON). Answers at once with the meal, `processing`.
#[utoipa::path(post, path = "/api/v1/captures", tag = "Meals", security(("bearer" = [])),
    request_body(content(
        (CaptureTextBody = "application/json"),
        (CaptureUpload = "multipart/form-data"),
    )),
    responses((status = 202, body = MealResponse, description = "Queued; poll the meal in `Location`"),
        (status = 400, description = "Empty, or not the image or audio it claims to be"),
        (status = 404, description = "The slot, or the week of the date, was not found"),
        (status = 413, description = "Larger than 10 MB"), (status = 415, description = "A file type that is not accepted"),
        (status = 422, description = "Invalid fields"),
        (status = 429, description = "Too many captures (per hour, or this month)"),
        (status = 503, description = "AI capture (or, for audio, speech to text) is not configured")))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    req: Request,
) -> ApiResult<Response> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| upload::essence(ct) == "multipart/form-data");
    let (input, place) = if is_multipart {
        let multipart = Multipart::from_request(req, &state)
            .await
            .map_err(|_| ApiError::bad_request("Malformed multipart body"))?;
        read_upload(multipart).await?
    } else {
        let ApiJson(t) = ApiJson::<TextCapture>::from_request(req, &state).await?;
        (Input::Text(t.text), t.place)
    };
    let meal = app::capture_queue::submit(&state, &user.user, &user.write(), input, place)
        .await
        .map_err(|e| match e {
            // A slot, or the week of a date, that is not there (this is a Meals route: flat
            // `{"detail": "…"}` errors).
            AppError::Refused(
                r
                @ (Rejection::SlotNotFound(_) | Rejection::NoWeek(_) | Rejection::MealNotFound(_)),
            ) => ApiError::not_found(refusal_message(&r)),
            other => other.into(),
        })?;
    Ok(accepted(&meal))
}

/// Queue a failed capture again (202); 409 when it is not failed.
#[utoipa::path(post, path = "/api/v1/captures/{meal_id}/retry", tag = "Meals", security(("bearer" = [])),
    params(("meal_id" = uuid::Uuid, Path)),
    responses((status = 202, body = MealResponse), (status = 404, description = "No capture of yours with this meal"),
        (status = 409, description = "The capture is not failed")))]
pub async fn retry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: MealId = params::id("meal_id", &id)?;
    let meal = app::capture_queue::retry(&state, &user.write(), id).await?;
    Ok(accepted(&meal))
}

/// The photo a capture kept (only its owner gets it).
#[utoipa::path(get, path = "/api/v1/meals/{meal_id}/photo", tag = "Meals", security(("bearer" = [])),
    params(("meal_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The photo (JPEG, PNG or WebP)", content_type = "image/jpeg", body = Vec<u8>),
        (status = 404, description = "No such meal of yours, or it has no photo")))]
pub async fn photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: MealId = params::id("meal_id", &id)?;
    let (bytes, mime) = app::meal_photos::photo(&state, user.id(), id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            // Personal: never in a shared cache.
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// Remove the photo a capture kept; the meal stays.
#[utoipa::path(delete, path = "/api/v1/meals/{meal_id}/photo", tag = "Meals", security(("bearer" = [])),
    params(("meal_id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "No such meal of yours, or it has no photo")))]
pub async fn delete_photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: MealId = params::id("meal_id", &id)?;
    app::meal_photos::delete_photo(&state, &user.write(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_by_their_bytes_and_heic_gets_a_way_out() {
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            "image/jpeg"
        );
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...").unwrap(), "image/png");
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), "image/webp");
        let heic = sniff_image(b"\0\0\0\x18ftypheic\0\0").unwrap_err();
        assert_eq!(heic.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            sniff_image(b"GIF89a").unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn recordings_are_told_by_their_container() {
        assert!(is_audio(&[0x1A, 0x45, 0xDF, 0xA3, 1]));
        assert!(is_audio(b"OggS\0"));
        assert!(is_audio(b"RIFF\0\0\0\0WAVEfmt "));
        assert!(is_audio(b"\0\0\0\x20ftypM4A "));
        assert!(is_audio(b"ID3\x04"));
        assert!(!is_audio(b"RIFF\0\0\0\0WEBP"));
        assert!(!is_audio(b"hello"));
    }
}
