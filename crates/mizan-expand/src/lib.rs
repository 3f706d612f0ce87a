//! Expansion logic of mizan's procedural macros. `mizan-macros` only forwards tokens here, so
//! every rule of the expansion is a plain function with unit tests.

pub mod client;
pub mod form;

#[cfg(test)]
mod expansion_text;
