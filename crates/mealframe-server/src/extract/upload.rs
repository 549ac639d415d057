//! Reading one file out of a multipart upload without holding more than the limit in memory: the
//! part's declared type is checked before its bytes are read, and reading stops at the limit.

use axum::{
    extract::{Multipart, multipart::MultipartRejection},
    http::StatusCode,
};
use serde_json::Value;
use utoipa::ToSchema;

use mealframe_core::csv_meals::{self, CsvFileError};

use crate::{
    config::Config,
    error::{ApiError, ApiResult},
    extract::Issues,
};

// The multipart bodies of the upload routes, for the OpenAPI document.
/// `multipart/form-data` with the CSV file in the field `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CsvUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// `multipart/form-data` with a JPEG or PNG photo (at most 10 MB) in the field `image`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PhotoUpload {
    #[schema(value_type = String, format = Binary)]
    pub image: Vec<u8>,
}

/// The named part's declared content type and bytes.
pub struct Upload {
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// What an upload route accepts.
pub struct PartRules<'a> {
    /// The form field's name.
    pub name: &'a str,
    /// Most bytes accepted; more is a 413 with `too_large`.
    pub limit: usize,
    pub too_large: &'a str,
    /// Checks the declared content type before anything is read.
    pub accept: &'a (dyn Fn(Option<&str>) -> ApiResult<()> + Sync),
}

/// Read the part `rules.name`: 422 when the body is not multipart or has no such part.
pub async fn read_part(
    multipart: Result<Multipart, MultipartRejection>,
    rules: PartRules<'_>,
) -> ApiResult<Upload> {
    let missing = || {
        let mut v = Issues::body();
        v.missing(rules.name, &Value::Null);
        v.into_error()
    };
    let mut multipart = multipart.map_err(|_| missing())?;
    let map = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::detail(StatusCode::PAYLOAD_TOO_LARGE, rules.too_large.to_owned())
        } else {
            ApiError::bad_request(format!("Malformed multipart body: {}", e.body_text()))
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(map)? {
        if field.name() != Some(rules.name) {
            continue;
        }
        let content_type = field.content_type().map(str::to_owned);
        (rules.accept)(content_type.as_deref())?;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(map)? {
            if bytes.len() + chunk.len() > rules.limit {
                return Err(ApiError::detail(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    rules.too_large.to_owned(),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Upload {
            content_type,
            bytes,
        });
    }
    Err(missing())
}

/// The part of a content type before any parameters, lower-cased (`Image/PNG; q=1` → `image/png`).
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

const CSV_TYPES: [&str; 4] = [
    "text/csv",
    "text/plain",
    "application/vnd.ms-excel",
    "application/octet-stream",
];

/// The CSV file of a meal import (field `file`), checked and decoded (the API's import route
/// and the import page).
pub async fn csv_file(
    config: &Config,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<String> {
    let limit = config.max_upload_bytes;
    let too_large = format!(
        "File too large. Maximum size is {} MB.",
        limit.div_ceil(1024 * 1024)
    );
    let accept = |content_type: Option<&str>| match content_type {
        Some(ct) if !CSV_TYPES.contains(&essence(ct).as_str()) => Err(ApiError::bad_request(
            format!("Invalid file type: {ct}. Expected CSV file."),
        )),
        _ => Ok(()),
    };
    let upload = read_part(
        multipart,
        PartRules {
            name: "file",
            limit,
            too_large: &too_large,
            accept: &accept,
        },
    )
    .await?;
    let text = csv_meals::decode(&upload.bytes).map_err(|e| match e {
        CsvFileError::Encoding => {
            ApiError::bad_request("File encoding error. Please save the file as UTF-8.")
        }
        CsvFileError::Empty => ApiError::bad_request("CSV file is empty."),
    })?;
    Ok(text.to_owned())
}
