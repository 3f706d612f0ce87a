//! What both macros share, the crate's bottom layer (like serde_derive's `internals`).
//!
//! One error context ([`Ctxt`]), one parser of `auth` ([`auth`]) and one of `affects`
//! ([`affects`]), one generator of the registry entry ([`registry`]), and the runtime's paths the
//! generated code names ([`paths`]). Layers: `ctxt` ← `auth`, `affects`; `auth` ← `registry`;
//! `paths` stands alone. Nothing here imports `client` or `form`.

pub mod affects;
pub mod auth;
pub mod ctxt;
pub mod paths;
pub mod registry;

pub use ctxt::Ctxt;
