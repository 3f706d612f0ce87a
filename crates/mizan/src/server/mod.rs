//! The server side of mizan (feature `ssr`).
//!
//! Its modules form layers, each importing only the ones before it in this list (the README's
//! module table says each one's job): `limits`, `peer`, `passwords`, `user`, `csrf`, `broker`,
//! `hub`, `context`, `auth`, `outcome`, `registry`, `watch`, `graph`, `pipeline`, `channel`,
//! `nodes`, `openapi`, `hydration`, `response`, `endpoint`, `forms`, `form_body`, `site_key`,
//! `response_rules`, `admit`, `form_post`, [`sessions`], `socket`, `sse`, `client_app`,
//! `routes`, `listen`, [`export`], `site`.
//!
//! What an app names is re-exported here; the modules stay the crate's own, except those whose
//! own items an app or a tool calls by path: [`export`] (a binary's `export` command),
//! [`openapi`] and [`graph`] (the documents, for tools), [`sessions`] (the tower-sessions types
//! an app names). Settings files, a database pool and logging set-up are an app's own choice
//! (the `mizan-platform` crate offers the example app's).

pub(crate) mod admit;
pub(crate) mod auth;
pub(crate) mod broker;
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
pub(crate) mod limits;
pub(crate) mod listen;
pub(crate) mod nodes;
pub mod openapi;
pub(crate) mod outcome;
pub(crate) mod passwords;
pub(crate) mod peer;
pub(crate) mod pipeline;
pub(crate) mod registry;
pub(crate) mod response;
pub(crate) mod response_rules;
pub(crate) mod routes;
pub mod sessions;
pub(crate) mod site;
pub(crate) mod site_key;
pub(crate) mod socket;
pub(crate) mod sse;
pub(crate) mod user;
pub(crate) mod watch;

pub use auth::{
    Audience, AuthConfig, AuthRule, CheckFn, Claims, DEFAULT_MAX_TOKEN_LIFETIME, JwtKeyError,
    JwtKeys, MIN_SECRET_BYTES, TokenError,
};
pub use broker::{
    Broker, BrokerError, Event, INBOX_CAPACITY, InProcessBroker, Inbox, OUTBOX_CAPACITY, Recipients,
};
pub use channel::{
    Channel, ChannelDef, ChannelHub, ChannelLayer, ChannelRef, Channels, DuplicateChannel,
    LocalChannels, Member,
};
pub use client_app::{ClientApp, ClientAppError};
pub use context::RequestContext;
pub use csrf::OriginPolicy;
pub use forms::FormHandler;
pub use graph::{CachePolicy, Edge, Manifest};
pub use limits::Limits;
pub use listen::{BoundListener, ListenError, serve, shutdown_signal};
pub use outcome::{Data, Outcome, Output, View};
pub use passwords::{
    PASSWORD_WAITERS_PER_THREAD, PasswordPoolStarted, SignInGuard, SignInLimits, hash_password,
    password_threads, set_password_threads, unknown_account_hash, verify_password,
};
pub use peer::{Peer, ProxyListError, TrustedProxies};
pub use registry::{
    ContextScope, FunctionDef, FunctionKind, FunctionRef, ParamDef, Registry, RegistryError,
};
pub use response_rules::{FrameAncestors, InvalidFrameAncestor};
pub use routes::{ApiDocs, Mizan};
pub use sessions::{SessionCookieError, SessionLayer};
pub use site::{Site, SiteError};
pub use site_key::{MIN_SITE_KEY_BYTES, SiteKey, SiteKeyError};
pub use user::{AuthMethod, LoadUser, MizanUser, UserStore};
