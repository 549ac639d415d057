//! Who is calling: session tokens (issued here), the bearer header, and Sign in with Apple.

pub mod apple;
pub mod bearer;
pub mod token;
