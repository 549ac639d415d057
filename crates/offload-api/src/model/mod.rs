//! Domain values parsed once at the edge, so the rest of the code cannot hold an invalid one.

pub mod ids;
pub mod text;
