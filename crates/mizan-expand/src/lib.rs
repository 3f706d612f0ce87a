//! Expansion logic of mizan's procedural macros. `mizan-macros` only forwards tokens here, so
//! every rule of the expansion is a plain function with unit tests.
//!
//! Layers: [`internals`] (the error context, the `auth` and `affects` options, the registry
//! entry, the runtime's paths) ← [`client`] (`#[client]`), [`form`] (`#[derive(Form)]`); the two
//! macros do not import each other.

pub mod client;
pub mod form;
pub mod internals;

#[cfg(test)]
mod expansion_text;
