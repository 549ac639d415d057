//! Install ids and feature names.

use std::fmt;

use super::text;

/// A client-chosen install id: 8–128 code points (the iOS app sends its vendor UUID).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstallId(String);

impl InstallId {
    pub fn parse(s: &str) -> Option<InstallId> {
        (text::within(s, 8, 128) && text::storable(s)).then(|| InstallId(s.to_owned()))
    }

    /// Ids inside a verified session token are trusted as issued.
    pub fn from_token(s: String) -> InstallId {
        InstallId(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 12 hex digits of SHA-256, for log lines that must not carry the id itself.
    pub fn log_hash(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        hex::encode(&digest[..6])
    }
}

impl fmt::Debug for InstallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstallId({})", self.log_hash())
    }
}

/// The five AI features, by the key their usage is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    Breakdown,
    Braindump,
    Decide,
    ExecFunction,
    Draft,
}

impl Feature {
    /// Features whose calls fill the shared quota pool.
    pub const POOL: [Feature; 3] = [Feature::Breakdown, Feature::Braindump, Feature::Decide];

    pub const ALL: [Feature; 5] = [
        Feature::Breakdown,
        Feature::Braindump,
        Feature::Decide,
        Feature::ExecFunction,
        Feature::Draft,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Feature::Breakdown => "breakdown",
            Feature::Braindump => "braindump",
            Feature::Decide => "decide",
            Feature::ExecFunction => "execfunction",
            Feature::Draft => "draft",
        }
    }

    pub fn counts_toward_pool(self) -> bool {
        Feature::POOL.contains(&self)
    }
}

/// A feature name as sent to `/v1/usage/reconcile`: any 1–64 code points (not limited to the
/// five known keys, as in the original).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureName(String);

impl FeatureName {
    pub fn parse(s: &str) -> Option<FeatureName> {
        (text::within(s, 1, 64) && text::storable(s)).then(|| FeatureName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// One of the five keys the app counts under (always accepted by reconcile).
    pub fn is_known(&self) -> bool {
        Feature::ALL.iter().any(|f| f.key() == self.0)
    }
}

impl From<Feature> for FeatureName {
    fn from(f: Feature) -> Self {
        FeatureName(f.key().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_ids_are_8_to_128_code_points() {
        assert!(InstallId::parse("1234567").is_none());
        assert!(InstallId::parse("12345678").is_some());
        assert!(InstallId::parse(&"é".repeat(128)).is_some());
        assert!(InstallId::parse(&"é".repeat(129)).is_none());
        assert!(InstallId::parse("install\0-12345").is_none());
        assert!(FeatureName::parse("a\0").is_none());
    }

    #[test]
    fn the_pool_is_breakdown_braindump_and_decide() {
        assert!(Feature::Decide.counts_toward_pool());
        assert!(!Feature::Draft.counts_toward_pool());
        assert!(!Feature::ExecFunction.counts_toward_pool());
    }

    #[test]
    fn the_five_feature_keys_are_known_names() {
        assert!(FeatureName::parse("execfunction").unwrap().is_known());
        assert!(!FeatureName::parse("Breakdown").unwrap().is_known());
    }

    #[test]
    fn debug_output_hides_the_install_id() {
        let id = InstallId::parse("install-12345").unwrap();
        assert!(!format!("{id:?}").contains("install-12345"));
    }
}
