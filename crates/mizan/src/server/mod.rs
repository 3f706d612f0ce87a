//! The server side of mizan (feature `ssr`).
//!
//! Its modules form layers, each importing only the ones above it in this list:
//!
//! - [`hub`]: the open sockets, what each watches, pushed keys coalesced per socket;
//! - [`user`]: the app's user as mizan sees it ([`MizanUser`], [`UserStore`], [`AuthMethod`]);
//! - [`context`]: the [`RequestContext`] a function receives;
//! - [`auth`]: authentication (session, bearer JWT), the [`AuthRule`]s, password hashing;
//! - [`outcome`]: what a successful call produces ([`Outcome`], [`Data`], [`View`]);
//! - [`registry`]: every `#[client]` function's definition ([`FunctionDef`], [`Registry`]);
//! - [`forms`]: what a valid form submission does ([`FormHandler`]);
//! - [`graph`]: the invalidation graph, scoped keys and the Edge [`Manifest`];
//! - `pipeline`: the one pipeline every call runs (admit → decode → validate → run → keys);
//! - [`channel`]: typed channels ([`Channel`]), their registry and the [`ChannelLayer`] carrying
//!   their groups (in-process: [`LocalChannels`]);
//! - [`openapi`]: functions and channels as an OpenAPI 3.1 document (schemas, error envelope,
//!   `x-mizan`, `x-mizan-channels`);
//! - [`hydration`]: context values in a page's JSON data block (for the React app's page);
//! - [`response`]: pipeline results as HTTP answers (envelope, error status, headers);
//! - `endpoint`: the entry points generated code calls (own endpoint, in-process calls);
//! - [`admit`]: the layer every request passes (cross-site guard, body limit, auth configuration,
//!   the hub);
//! - [`sessions`]: the session layer (tower-sessions' sessions, free for requests without one);
//! - [`listen`]: binding, `TCP_NODELAY`, serving, graceful shutdown;
//! - [`client_app`]: a client-side app (the React app) served with its visitor's contexts;
//! - `socket`: `/api/mizan/ws/` (origin check, rpc through the pipeline, watches, pushes);
//! - `sse`: the socket's fallback, `/api/mizan/sse/` (Server-Sent Events down, posts up);
//! - [`routes`]: the HTTP surface ([`Mizan`]: `/api/mizan/call/`, batch, manifest, OpenAPI,
//!   views);
//! - [`export`]: what a binary exports without serving (`export manifest`, `export openapi`);
//! - [`site`]: the one-call server ([`Site`]): pages, routes, layers, state, listener.
//!
//! Beside them, with no dependency on the layers: [`csrf`] (the cross-site policy). Settings
//! files, a database pool and logging set-up are an app's own choice (the `mizan-platform` crate
//! offers the example app's).

pub mod admit;
pub mod auth;
pub mod channel;
pub mod client_app;
pub mod context;
pub mod csrf;
pub(crate) mod endpoint;
pub mod export;
pub(crate) mod form_body;
pub(crate) mod form_post;
pub mod forms;
pub mod graph;
pub mod hub;
pub mod hydration;
pub mod listen;
pub mod openapi;
pub mod outcome;
pub(crate) mod pipeline;
pub mod registry;
pub mod response;
pub mod routes;
pub mod sessions;
pub mod site;
pub(crate) mod socket;
pub(crate) mod sse;
pub mod user;

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
