//! The server side of mizan (feature `ssr`).
//!
//! Its modules form layers, each importing only the ones before it in this list (the README's
//! module table says each one's job): `user`, `csrf`, `hub`, `context`, `auth`, `outcome`,
//! `registry`, `graph`, `pipeline`, `channel`, `openapi`, `hydration`, `response`, `endpoint`,
//! `forms`, `form_body`, `admit`, `form_post`, [`sessions`], `socket`, `sse`, `client_app`,
//! `routes`, `listen`, [`export`], `site`.
//!
//! What an app names is re-exported here; the modules stay the crate's own, except those whose
//! own items an app or a tool calls by path: [`export`] (a binary's `export` command),
//! [`openapi`] and [`graph`] (the documents, for tools), [`sessions`] (the tower-sessions types
//! an app names). Settings files, a database pool and logging set-up are an app's own choice
//! (the `mizan-platform` crate offers the example app's).

pub(crate) mod admit;
pub(crate) mod auth;
pub(crate) mod channel;
pub(crate) mod client_app;
pub(crate) mod context;
pub(crate) mod csrf;
pub(crate) mod endpoint;
pub mod export;
pub(crate) mod form_body;
pub(crate) mod form_post;
pub(crate) mod forms;
pub mod graph;
pub(crate) mod hub;
pub(crate) mod hydration;
pub(crate) mod listen;
pub mod openapi;
pub(crate) mod outcome;
pub(crate) mod pipeline;
pub(crate) mod registry;
pub(crate) mod response;
pub(crate) mod routes;
pub mod sessions;
pub(crate) mod site;
pub(crate) mod socket;
pub(crate) mod sse;
pub(crate) mod user;

pub use auth::{AuthConfig, AuthRule, CheckFn, JwtKeys, hash_password, verify_password};
pub use channel::{
    Channel, ChannelDef, ChannelHub, ChannelLayer, ChannelRef, Channels, DuplicateChannel,
    LocalChannels, Member,
};
pub use client_app::{ClientApp, ClientAppError};
pub use context::RequestContext;
pub use csrf::OriginPolicy;
pub use forms::FormHandler;
pub use graph::{CachePolicy, Edge, Manifest};
pub use listen::{BoundListener, ListenError, serve, shutdown_signal};
pub use outcome::{Data, Outcome, Output, View};
pub use registry::{
    ContextScope, FunctionDef, FunctionKind, FunctionRef, ParamDef, Registry, RegistryError,
};
pub use routes::Mizan;
pub use sessions::SessionLayer;
pub use site::{Site, SiteError};
pub use user::{AuthMethod, LoadUser, MizanUser, UserStore};
