//! The one-call server for the common case: a Leptos app's pages and server functions, mizan's
//! routes and layer, optional users and sessions, app state as request extensions and Leptos
//! context, served with `TCP_NODELAY` and a graceful shutdown.
//!
//! Everything it does is plain axum underneath ([`Site::into_router`] gives the router), so an
//! app that outgrows it keeps its parts: see the server functions guide.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{Router, extract::Request, response::Response};
use http::Extensions;
use leptos::{
    config::LeptosOptions,
    prelude::{IntoView, provide_context},
};
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
    generate_route_list_with_exclusions,
};
use tower::{Layer, Service, ServiceBuilder};
use tower_http::trace::TraceLayer;

use super::{
    auth::{AuthConfig, JwtKeys},
    broker::Broker,
    channel::{ChannelHub, Channels, DuplicateChannel, LocalChannels},
    client_app::{ClientApp, ClientAppError},
    csrf::OriginPolicy,
    hub::Hub,
    limits::Limits,
    listen::{BoundListener, ListenError, shutdown_signal},
    passwords::{SignInGuard, SignInLimits},
    peer::TrustedProxies,
    registry::{Registry, RegistryError},
    response_rules::FrameAncestors,
    routes::{ApiDocs, Mizan},
    sessions::{SessionCookieError, SessionLayer},
    site_key::{SiteKey, SiteKeyError},
    user::UserStore,
};

/// Why a [`Site`] could not be built or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// The `#[client]` functions linked into the binary do not register together.
    #[error("the #[client] functions do not register together")]
    Registry(#[from] RegistryError),
    /// Two channels have one name.
    #[error("the channels do not register together")]
    Channels(#[from] DuplicateChannel),
    /// A client app cannot be mounted where it was asked to be.
    #[error("cannot serve the client app")]
    ClientApp(#[from] ClientAppError),
    /// The server could not bind its address or failed while serving.
    #[error("the server could not serve")]
    Listen(#[from] ListenError),
    /// The session cookie is configured in a way browsers refuse.
    #[error("the session layer is misconfigured")]
    Sessions(#[from] SessionCookieError),
    /// The secret given to [`Site::secret_key`] cannot be the site's key (too short).
    #[error("the site's secret key is unusable")]
    SecretKey(#[from] SiteKeyError),
    /// A [`Site::broker`] was set, but the router was built outside a tokio runtime, where the
    /// tasks linking it to the other nodes cannot start.
    #[error("a site with a broker must be built inside a tokio runtime")]
    NoRuntime,
}

/// Puts Leptos context into every page render and server function.
type Provider = Arc<dyn Fn() + Send + Sync>;

/// A Leptos site served with mizan: build it with the app's options, root component and shell,
/// add what the app needs, then [`serve`](Site::serve).
///
/// ```no_run
/// # use leptos::prelude::*;
/// # #[component] fn App() -> impl IntoView { view! { <p>"hi"</p> } }
/// # fn shell(options: LeptosOptions) -> impl IntoView { view! { <App/> } }
/// # #[derive(Clone)] struct Pool;
/// # async fn run(pool: Pool) -> Result<(), Box<dyn std::error::Error>> {
/// let options = get_configuration(None)?.leptos_options;
/// mizan::server::Site::new(options, App, shell)
///     .state(pool) // a request extension for #[client] functions, Leptos context for pages
///     .serve()
///     .await?;
/// # Ok(()) }
/// ```
pub struct Site<IV> {
    options: LeptosOptions,
    shell: fn(LeptosOptions) -> IV,
    route_list: Box<dyn FnOnce() -> Vec<AxumRouteListing> + Send>,
    extensions: Extensions,
    providers: Vec<Provider>,
    users: Option<Arc<dyn UserStore>>,
    jwt: Option<JwtKeys>,
    trusted_origins: Vec<String>,
    site_origin: Option<String>,
    proxies: TrustedProxies,
    limits: Limits,
    sign_in_limits: SignInLimits,
    sessions: Option<SessionLayer>,
    routes: Option<Router<LeptosOptions>>,
    client_apps: Vec<ClientApp>,
    trace: Option<bool>,
    switched_off: Vec<String>,
    api_docs: ApiDocs,
    secret_key: Option<Vec<u8>>,
    frame_ancestors: FrameAncestors,
    broker: Option<Arc<dyn Broker>>,
}

impl<IV: IntoView + 'static> Site<IV> {
    /// A site rendering `app`'s routes inside `shell`, with Leptos' `options` (from
    /// `get_configuration`: cargo-leptos' values, overridden by every `LEPTOS_*` variable).
    pub fn new<AppView: IntoView + 'static>(
        options: LeptosOptions,
        app: impl Fn() -> AppView + Clone + Send + 'static,
        shell: fn(LeptosOptions) -> IV,
    ) -> Self {
        Self {
            options,
            shell,
            route_list: Box::new(move || generate_route_list(app)),
            extensions: Extensions::new(),
            providers: Vec::new(),
            users: None,
            jwt: None,
            trusted_origins: Vec::new(),
            site_origin: None,
            proxies: TrustedProxies::default(),
            limits: Limits::default(),
            sign_in_limits: SignInLimits::default(),
            sessions: None,
            routes: None,
            client_apps: Vec::new(),
            trace: None,
            switched_off: Vec::new(),
            api_docs: ApiDocs::default(),
            secret_key: None,
            frame_ancestors: FrameAncestors::default(),
            broker: None,
        }
    }

    /// App state (a database pool, a client): a request extension for `#[client]` functions
    /// (`ctx.require::<T>()`) and Leptos context for pages and `#[server]` functions
    /// (`use_context::<T>()`). Call once per type.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value.clone());
        self.providers
            .push(Arc::new(move || provide_context(value.clone())));
        self
    }

    /// Where signed-in users are loaded from. Without one, every caller is anonymous and
    /// functions with an `auth` rule answer `UNAUTHORIZED`.
    pub fn users(mut self, store: impl UserStore) -> Self {
        self.users = Some(Arc::new(store));
        self
    }

    /// Accept `Authorization: Bearer` tokens signed with these keys.
    pub fn bearer_tokens(mut self, keys: JwtKeys) -> Self {
        self.jwt = Some(keys);
        self
    }

    /// Does not serve these `#[client]` functions (see [`Registry::switch_off`]): they are not
    /// in the manifest or the OpenAPI document, and every call of them answers as a call of a
    /// function that does not exist. A name that is no linked function's stops the site at
    /// start. Adds to the names of earlier calls.
    pub fn switch_off(mut self, names: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.switched_off
            .extend(names.into_iter().map(|name| name.as_ref().to_owned()));
        self
    }

    /// Who may read `GET /api/mizan/manifest` and `GET /api/mizan/openapi.json` (by default
    /// anyone: [`ApiDocs::Public`]).
    pub fn api_docs(mut self, access: ApiDocs) -> Self {
        self.api_docs = access;
        self
    }

    /// Origins besides the site's own allowed to send state-changing requests.
    pub fn trusted_origins(mut self, origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.trusted_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// The site's origin as visitors reach it (`https://app.example.com`): state-changing
    /// requests and sockets must come from it (or a trusted origin), scheme, host and port
    /// alike. Without it, the origin is the request's `Host` with the scheme the client used
    /// (`http`, or what a trusted proxy forwards).
    pub fn site_origin(mut self, origin: impl Into<String>) -> Self {
        self.site_origin = Some(origin.into());
        self
    }

    /// The reverse proxies in front of the server (addresses or networks): their
    /// `X-Forwarded-For` and `X-Forwarded-Proto` say the client's address (what per-address
    /// limits count) and scheme. Nobody else's are believed.
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Per-client limits in place of [`Limits::default`]: open sockets per session and per
    /// address, the header-read timeout, how often a socket's identity is checked again.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How many failed sign-ins [`RequestContext::check_password`](super::RequestContext::check_password)
    /// allows per account and per client address, and for how long, in place of
    /// [`SignInLimits::default`] (5 per account and 50 per address in 15 minutes).
    pub fn sign_in_limits(mut self, limits: SignInLimits) -> Self {
        self.sign_in_limits = limits;
        self
    }

    /// The site's secret key, at least [`MIN_SITE_KEY_BYTES`](super::MIN_SITE_KEY_BYTES) long (a
    /// shorter one stops the site at start with [`SiteError::SecretKey`]): it signs the outcome a
    /// form posted without JavaScript carries back to its page in a cookie, so a forged one is
    /// never shown. Give every node the same key and keep it across restarts. Without one, a
    /// random key of the process is used (and logged once): an outcome does not survive a
    /// restart or reach another node.
    pub fn secret_key(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret_key = Some(secret.as_ref().to_vec());
        self
    }

    /// Who may show the site's pages in a frame (by default only the site itself:
    /// [`FrameAncestors::same_origin`]). A response that sets its own `Content-Security-Policy`
    /// or `X-Frame-Options` keeps it.
    pub fn frame_ancestors(mut self, ancestors: FrameAncestors) -> Self {
        self.frame_ancestors = ancestors;
        self
    }

    /// Sessions (needed to sign users in through the browser).
    pub fn sessions(mut self, layer: SessionLayer) -> Self {
        self.sessions = Some(layer);
        self
    }

    /// The app's own axum routes, served beside its pages (they pass the same layers).
    pub fn routes(mut self, routes: Router<LeptosOptions>) -> Self {
        self.routes = Some(routes);
        self
    }

    /// The app's routes as already listed (listing renders the app in Leptos' route-discovery
    /// mode; a process building many sites, such as a test suite, lists them once).
    pub fn route_list(mut self, list: Vec<AxumRouteListing>) -> Self {
        self.route_list = Box::new(move || list);
        self
    }

    /// Whether to log each request (tower-http's trace layer). By default it is on only when
    /// the global `tracing` filter lets its events through (`tower_http=debug`): otherwise it
    /// would cost every request time and log nothing.
    pub fn request_log(mut self, on: bool) -> Self {
        self.trace = Some(on);
        self
    }

    /// A client-side app built by another toolchain (a React app), served under its path with
    /// the visitor's global contexts in its page (see [`ClientApp`]).
    pub fn client_app(mut self, app: ClientApp) -> Self {
        self.client_apps.push(app);
        self
    }

    /// The whole app as an axum router, ready for `axum::serve` or tests.
    pub fn into_router(self) -> Result<Router, SiteError> {
        self.into_parts().map(|(router, _)| router)
    }

    /// Runs the site as one node of several behind a load balancer, linked to the others through
    /// `broker` (by default none: a node on its own). A call's pushed invalidations, channel
    /// messages, a sign-out and a changed user then reach the sockets open on every node. The
    /// nodes must share their sessions' store, their database and their
    /// [secret key](Site::secret_key).
    pub fn broker(mut self, broker: impl Broker) -> Self {
        self.broker = Some(Arc::new(broker));
        self
    }

    /// The router, and the hub of its open sockets (closed at shutdown).
    fn into_parts(self) -> Result<(Router, Hub), SiteError> {
        if self.broker.is_some() && tokio::runtime::Handle::try_current().is_err() {
            return Err(SiteError::NoRuntime);
        }
        if let Some(sessions) = &self.sessions {
            sessions.check()?;
        }
        let key = match &self.secret_key {
            Some(secret) => SiteKey::new(secret)?,
            None => {
                tracing::warn!(
                    "no secret key set (Site::secret_key): a random one signs the outcomes of \
                     forms posted without JavaScript, so they do not survive a restart or reach \
                     another node"
                );
                SiteKey::random()
            }
        };
        // The flash cookie is `Secure` whenever the session cookie is.
        let secure_cookies = self.sessions.as_ref().is_some_and(SessionLayer::is_secure);
        let origins = OriginPolicy::new(self.trusted_origins);
        let origins = match self.site_origin {
            Some(site) => origins.with_site_origin(site),
            None => origins,
        };
        let mizan = Mizan::new(
            Registry::collect()?.switch_off(&self.switched_off)?,
            AuthConfig::new(self.users, self.jwt),
            origins,
        )
        .with_limits(self.limits)
        .with_trusted_proxies(self.proxies)
        .with_channels(ChannelHub::new(
            Channels::collect()?,
            LocalChannels::default(),
        ))
        .with_api_docs(self.api_docs)
        .with_signed_cookies(key, secure_cookies)
        .with_frame_ancestors(&self.frame_ancestors);
        let mizan = match self.broker {
            Some(broker) => mizan.with_broker(broker),
            None => mizan,
        };
        let providers: Arc<[Provider]> = self.providers.into();
        let context = move || {
            for provide in providers.iter() {
                provide();
            }
        };
        let shell = self.shell;
        let options = self.options;
        let mut router = Router::new().merge(mizan.routes());
        if let Some(routes) = self.routes {
            router = router.merge(routes);
        }
        for app in &self.client_apps {
            if !app.is_built() {
                tracing::warn!(
                    mount = app.mount(),
                    "the client app is not built: its pages answer 404 until it is"
                );
            }
            router = router.merge(app.routes(mizan.shared_registry())?);
        }
        // A switched-off function's server_fn route is left out, so that its endpoint reaches
        // the catch-all and answers every method and body exactly as a missing function's.
        let mut route_list = (self.route_list)();
        route_list.extend(exclusions(mizan.switched_off_endpoints()));
        let router = router
            .leptos_routes_with_context(&options, route_list, context.clone(), {
                let options = options.clone();
                move || shell(options.clone())
            })
            .fallback(file_and_error_handler_with_context(context, shell));
        // One `layer` call for the whole stack: axum boxes every route once per call and clones
        // the chain of boxes on every request.
        // The site's sign-ins share one count of failures, handed to every request with the state.
        let mut extensions = self.extensions;
        extensions.insert(SignInGuard::new(self.sign_in_limits));
        let router = router.layer(
            ServiceBuilder::new()
                .option_layer(self.sessions)
                .layer(StateLayer(Arc::new(extensions)))
                .layer(mizan.layer()),
        );
        let trace = self.trace.unwrap_or_else(
            || tracing::enabled!(target: "tower_http::trace::on_response", tracing::Level::DEBUG),
        );
        // The trace changes the response body's type, so it cannot share the builder above.
        let router = if trace {
            router.layer(TraceLayer::new_for_http())
        } else {
            router
        };
        Ok((router.with_state(options), mizan.hub().clone()))
    }

    /// Binds the options' `site_addr` and serves until Ctrl-C or SIGTERM, letting in-flight
    /// requests finish. Logs the address it listens on (to stderr when the app set up no
    /// `tracing` subscriber).
    pub async fn serve(self) -> Result<(), SiteError> {
        let addr: SocketAddr = self.options.site_addr;
        warn_if_unbuilt(&self.options);
        let limits = self.limits;
        let (router, hub) = self.into_parts()?;
        let bound = BoundListener::bind(addr).await?.with_limits(limits);
        tracing::info!(addr = %bound.local_addr(), "listening on http://{}", bound.local_addr());
        // An app that set up no logging still learns where it listens (port 0 included).
        if !tracing::dispatcher::has_been_set() {
            eprintln!("listening on http://{}", bound.local_addr());
        }
        // Open sockets and event streams never finish by themselves: close them (clients
        // reconnect to the next server) so the in-flight requests can.
        let shutdown = async move {
            shutdown_signal().await;
            hub.close_all();
        };
        bound.serve(router, shutdown).await?;
        Ok(())
    }
}

/// A page whose bundle is not where the options say never hydrates, silently: say so at start.
fn warn_if_unbuilt(options: &LeptosOptions) {
    let bundle = std::path::Path::new(options.site_root.as_ref())
        .join(options.site_pkg_dir.as_ref())
        .join(format!("{}.js", options.output_name));
    if !bundle.exists() {
        tracing::warn!(
            bundle = %bundle.display(),
            "the site's script bundle is missing: pages will render but never hydrate. Build \
             with `cargo leptos build` (or run `cargo leptos watch`), or set LEPTOS_SITE_ROOT \
             and LEPTOS_OUTPUT_NAME to where it is"
        );
    }
}

/// Listings that keep `leptos_routes` from registering the server function routes at `paths`.
/// leptos_axum makes them only in `generate_route_list_with_exclusions`: listed for an app with
/// no routes, that is one stand-in page (with a method) and the exclusions (with none), kept.
fn exclusions(paths: Vec<String>) -> Vec<AxumRouteListing> {
    if paths.is_empty() {
        return Vec::new();
    }
    generate_route_list_with_exclusions(|| (), Some(paths))
        .into_iter()
        .filter(|listing| listing.methods().next().is_none())
        .collect()
}

/// Adds the app's state to every request, all at once.
#[derive(Clone)]
struct StateLayer(Arc<Extensions>);

impl<S> Layer<S> for StateLayer {
    type Service = AddState<S>;

    fn layer(&self, inner: S) -> AddState<S> {
        AddState {
            inner,
            state: Arc::clone(&self.0),
        }
    }
}

/// The service of [`StateLayer`].
#[derive(Clone)]
struct AddState<S> {
    inner: S,
    state: Arc<Extensions>,
}

impl<S> Service<Request> for AddState<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> S::Future {
        request.extensions_mut().extend((*self.state).clone());
        self.inner.call(request)
    }
}
