//! Loading a service's settings: built-in defaults, then an optional TOML file, then environment
//! variables `PREFIX_NAME` (case-insensitive; `__` separates nested keys).

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Serialize, de::DeserializeOwned};

/// Load `T` for a service whose variables start with `prefix` (e.g. `"MEALFRAME_"`). The TOML
/// file named by `{prefix}CONFIG`, if that variable is set, sits between defaults and environment.
pub fn load<T>(prefix: &str) -> Result<T, Box<figment::Error>>
where
    T: Default + Serialize + DeserializeOwned,
{
    figment::<T>(prefix).extract().map_err(Box::new)
}

/// The figment behind [`load`], for callers that want to add providers (tests, CLI flags).
pub fn figment<T: Default + Serialize>(prefix: &str) -> Figment {
    let mut f = Figment::from(Serialized::defaults(T::default()));
    if let Ok(path) = std::env::var(format!("{prefix}CONFIG")) {
        f = f.merge(Toml::file_exact(path));
    }
    f.merge(Env::prefixed(prefix).split("__").ignore(&["config"]))
}
