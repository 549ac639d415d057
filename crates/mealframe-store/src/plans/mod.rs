//! Generated weeks: their views, how they are created and changed, and the bulk reads behind
//! "today", streaks and stats.

pub mod facts;
pub mod grocery;
pub mod ops;
pub mod rotation;
pub mod views;
pub mod writes;
