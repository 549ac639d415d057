//! Where the photos of captured meals are kept (issue 12): a directory under the data dir by
//! default, or an S3-compatible bucket (AWS, MinIO, Garage, R2…) so that several instances see
//! the same photos. Both behind `object_store`'s one interface; this module only names keys and
//! maps errors. A photo's key is `{user}/{meal}.{ext}`, so a user's photos share a prefix and a
//! repeated store of the same meal's photo replaces it.

use std::sync::Arc;

use mealframe_core::ids::{MealId, UserId};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path};

use crate::config::PhotoStoreConfig;

#[derive(Debug, thiserror::Error)]
#[error("photo store: {0}")]
pub struct PhotoError(String);

impl From<object_store::Error> for PhotoError {
    fn from(e: object_store::Error) -> Self {
        PhotoError(e.to_string())
    }
}

#[derive(Clone)]
pub struct Photos {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Photos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photos({})", self.store)
    }
}

/// The file extension of an accepted photo type.
fn extension(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "jpg",
    }
}

/// The type of a stored photo, from its key.
pub fn mime_of(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

impl Photos {
    pub fn from_config(config: &PhotoStoreConfig) -> Result<Photos, String> {
        let store: Arc<dyn ObjectStore> = match config {
            PhotoStoreConfig::Directory(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("photo directory {}: {e}", dir.display()))?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir)
                        .map_err(|e| format!("photo directory {}: {e}", dir.display()))?,
                )
            }
            PhotoStoreConfig::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    // Single deletes: every S3-compatible server has them, not all have the
                    // bulk `DeleteObjects`.
                    .with_disable_bulk_delete(true);
                if let Some(e) = endpoint {
                    b = b
                        .with_endpoint(e)
                        .with_allow_http(e.starts_with("http://"))
                        // Path-style addressing, which self-hosted servers expect.
                        .with_virtual_hosted_style_request(false);
                }
                if let (Some(id), Some(secret)) = (access_key_id, secret_access_key) {
                    b = b.with_access_key_id(id).with_secret_access_key(secret);
                }
                Arc::new(b.build().map_err(|e| format!("S3 photo store: {e}"))?)
            }
        };
        Ok(Photos { store })
    }

    /// The key of a meal's photo.
    pub fn key(user: UserId, meal: MealId, mime: &str) -> String {
        format!("{}/{}.{}", user.uuid(), meal.uuid(), extension(mime))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), PhotoError> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The photo, or `None` when it is not there.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PhotoError> {
        match self.store.get(&Path::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Remove a photo; one that is not there is fine.
    pub async fn delete(&self, key: &str) -> Result<(), PhotoError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Remove photos after the rows naming them are gone; a failure is logged (the photo is
    /// unreachable through the app either way).
    pub async fn delete_all(&self, keys: &[String]) {
        for k in keys {
            if let Err(e) = self.delete(k).await {
                tracing::warn!(error = %e, "a deleted meal's photo could not be removed from the store");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_group_a_users_photos_and_carry_their_type() {
        let (u, m) = (UserId(uuid::Uuid::nil()), MealId(uuid::Uuid::max()));
        let k = Photos::key(u, m, "image/png");
        assert!(k.starts_with("00000000-0000-0000-0000-000000000000/ffffffff"));
        assert_eq!(mime_of(&k), "image/png");
        assert_eq!(mime_of(&Photos::key(u, m, "image/jpeg")), "image/jpeg");
        assert_eq!(mime_of(&Photos::key(u, m, "image/webp")), "image/webp");
    }
}
