//! The planning rules: how weeks are filled and how adherence is judged. Pure functions over
//! plain data; the store loads the data, calls these, and writes the results.

pub mod adherence;
pub mod calendar;
pub mod completion;
pub mod generation;
pub mod macros;
pub mod round_robin;
pub mod stats;
pub mod streak;
