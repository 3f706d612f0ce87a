//! The HTTP surface mizan adds to an axum app: `/api/mizan/call/`, the batch endpoint, the
//! manifest, view routes, and [`Mizan::layer`], the layer around the whole app.

use std::sync::{Arc, OnceLock};

use axum::{
    Json, Router,
    body::{Body, Bytes, to_bytes},
    extract::{Request, State},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use http::{HeaderValue, header, request::Parts};

use super::{
    admit::{AdmitLayer, too_large},
    auth::{AuthConfig, AuthRule, authenticate, authorize, no_such_function},
    broker::Broker,
    channel::{ChannelHub, Channels, LocalChannels},
    context::RequestContext,
    csrf::OriginPolicy,
    form_body, form_post,
    graph::Manifest,
    hub::Hub,
    limits::Limits,
    nodes, openapi,
    outcome::Outcome,
    peer::TrustedProxies,
    registry::{FunctionDef, FunctionKind, Registry},
    response::{error_response, function_response},
    socket::{self, Sockets},
    sse::{self, Inlets},
};
use crate::{
    error::MizanError,
    frames::{SOCKET_PATH, SSE_PATH},
    protocol::{
        BATCH_PATH, BatchOutcome, BatchRequest, BatchResponse, CALL_PATH, CallRequest,
        MANIFEST_PATH, MAX_BATCH_CALLS, MAX_BODY_BYTES, OPENAPI_PATH, RawArgs,
    },
};

/// Where the functions' own endpoints are, `/api/mizan/fn/<name>`.
const FUNCTION_PREFIX: &str = "/api/mizan/fn/";

/// Every path under [`FUNCTION_PREFIX`].
const FUNCTION_ENDPOINTS: &str = "/api/mizan/fn/{*name}";

/// Who may read the documents describing the served functions, `GET /api/mizan/manifest` and
/// `GET /api/mizan/openapi.json`: every function's name, kind, parameters and their types, auth
/// rule, the contexts it invalidates, and the channels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiDocs {
    /// Anyone (the default): what an edge cache or a client generator reads.
    #[default]
    Public,
    /// Signed-in staff only (by session or bearer token): others get `UNAUTHORIZED` (anonymous)
    /// or `FORBIDDEN`, and the answer is never stored by a shared cache.
    Staff,
    /// Nobody: both paths answer `NOT_FOUND`. The export commands still write them.
    Off,
}

/// mizan's server half: the registry, auth configuration, cross-site policy and open sockets.
#[derive(Clone)]
pub struct Mizan {
    registry: Arc<Registry>,
    admit: AdmitLayer,
    sockets: Arc<Sockets>,
    api_docs: ApiDocs,
}

impl Mizan {
    /// mizan over these functions, users and origins. Functions switched off in `registry`
    /// ([`Registry::switch_off`]) are refused on every path as functions that do not exist.
    pub fn new(registry: Registry, mut auth: AuthConfig, origins: OriginPolicy) -> Self {
        auth.switched_off = registry.switched_off().collect();
        let registry = Arc::new(registry);
        let origins = Arc::new(origins);
        let hub = Hub::default();
        Self {
            admit: AdmitLayer::new(Arc::clone(&origins), Arc::new(auth), hub.clone()),
            sockets: Arc::new(Sockets {
                registry: Arc::clone(&registry),
                hub,
                origins,
                channels: ChannelHub::new(Channels::default(), LocalChannels::default()),
                limits: Limits::default(),
                param_kinds: Arc::default(),
            }),
            registry,
            api_docs: ApiDocs::default(),
        }
    }

    /// The same, serving the manifest and the OpenAPI document to `access` (by default
    /// [`ApiDocs::Public`]).
    #[must_use]
    pub fn with_api_docs(mut self, access: ApiDocs) -> Self {
        self.api_docs = access;
        self
    }

    /// The same with these per-client limits (by default [`Limits::default`]). Call it before
    /// serving: it starts a new hub.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        let hub = self.sockets.hub.relimited(limits);
        self.admit = self.admit.with_hub(hub.clone());
        self.sockets = Arc::new(Sockets {
            registry: Arc::clone(&self.sockets.registry),
            hub,
            origins: Arc::clone(&self.sockets.origins),
            channels: self.sockets.channels.clone(),
            limits,
            param_kinds: Arc::clone(&self.sockets.param_kinds),
        });
        self
    }

    /// The same, believing the `X-Forwarded-For` and `X-Forwarded-Proto` headers of these
    /// proxies (by default none): see [`Peer`](super::Peer).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.admit = self.admit.with_trusted_proxies(proxies);
        self
    }

    /// The same, letting pages be framed by `ancestors` only (by default
    /// [`FrameAncestors::same_origin`](super::FrameAncestors::same_origin)).
    #[must_use]
    pub fn with_frame_ancestors(mut self, ancestors: &super::FrameAncestors) -> Self {
        self.admit = self.admit.with_frame_ancestors(ancestors);
        self
    }

    /// The same, signing the cookies it hands the browser (the no-JavaScript form's outcome)
    /// with `key`, and marking them `Secure` when `secure` (pass the session cookie's setting).
    /// By default: a random key of this process, and not `Secure`.
    #[must_use]
    pub fn with_signed_cookies(mut self, key: super::SiteKey, secure: bool) -> Self {
        self.admit = self.admit.with_secret_key(key).with_secure_cookies(secure);
        self
    }

    /// The same with these channels (by default none): their groups carried by the hub's layer.
    pub fn with_channels(mut self, channels: ChannelHub) -> Self {
        self.sockets = Arc::new(Sockets {
            registry: Arc::clone(&self.sockets.registry),
            hub: self.sockets.hub.clone(),
            origins: Arc::clone(&self.sockets.origins),
            channels: channels.relaying_as(&self.sockets.channels),
            limits: self.sockets.limits,
            param_kinds: Arc::clone(&self.sockets.param_kinds),
        });
        self
    }

    /// The same as one node of several, linked to the others through `broker`: pushed
    /// invalidations, channel messages, ended sessions and changed users reach the sockets of
    /// every node. Call it once, inside a tokio runtime (it starts the tasks that publish and
    /// subscribe), after [`with_limits`](Self::with_limits) and
    /// [`with_channels`](Self::with_channels), which replace what it links; without it a server
    /// is a node on its own.
    #[must_use]
    pub fn with_broker(self, broker: Arc<dyn Broker>) -> Self {
        nodes::link(broker, &self.sockets.hub, &self.sockets.channels);
        self
    }

    /// The open sockets of this server.
    pub fn hub(&self) -> &Hub {
        &self.sockets.hub
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The own endpoints of the functions switched off ([`Registry::switch_off`]), to leave out
    /// of the server function routes leptos_axum registers: pass them to
    /// `leptos_axum::generate_route_list_with_exclusions` when assembling a router by hand
    /// ([`Site`](super::Site) does). Left in, their routes would answer a wrong method with
    /// `405` and an `Allow` header, and a body that does not decode with their own error, where a
    /// function that does not exist answers `404 NOT_FOUND` to everything.
    pub fn switched_off_endpoints(&self) -> Vec<String> {
        self.registry
            .switched_off()
            .map(|name| format!("{FUNCTION_PREFIX}{name}"))
            .collect()
    }

    /// The registry, shared (for routes of the app's own that run functions).
    pub fn shared_registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }

    /// `POST /api/mizan/call/`, `POST /api/mizan/batch/`, `GET /api/mizan/manifest`,
    /// `GET /api/mizan/openapi.json` (both as [`ApiDocs`] allows), the socket
    /// `GET /api/mizan/ws/`, its fallback `GET`/`POST /api/mizan/sse/`, and each view
    /// function's `POST /api/mizan/fn/<name>`. (Data functions' own endpoints are server_fn
    /// routes, registered by `leptos_routes`.)
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let access = self.api_docs;
        let mut router = Router::new()
            .route(CALL_PATH, post(call))
            .route(BATCH_PATH, post(batch))
            .route(MANIFEST_PATH, {
                let sockets = Arc::clone(&self.sockets);
                get(
                    move |State(registry): State<Arc<Registry>>, request: Request| async move {
                        if let Err(refusal) = api_docs_refusal(access, request).await {
                            return error_response(&refusal);
                        }
                        private_if_staff(
                            access,
                            manifest(registry, Arc::clone(&sockets.channels.channels)),
                        )
                    },
                )
            })
            .route(SOCKET_PATH, {
                let sockets = Arc::clone(&self.sockets);
                get(move |upgrade, request| socket::upgrade(Arc::clone(&sockets), upgrade, request))
            })
            .route(SSE_PATH, {
                let (sockets, inlets) = (Arc::clone(&self.sockets), Arc::new(Inlets::default()));
                let posted = Arc::clone(&inlets);
                get(move |request| sse::open(Arc::clone(&sockets), Arc::clone(&inlets), request))
                    .post(move |request| sse::post(Arc::clone(&posted), request))
            })
            .route(OPENAPI_PATH, {
                let document = Arc::new(OnceLock::new());
                let channels = Arc::clone(&self.sockets.channels.channels);
                get(
                    move |State(registry): State<Arc<Registry>>, request: Request| {
                        let (channels, document) = (Arc::clone(&channels), Arc::clone(&document));
                        async move {
                            if let Err(refusal) = api_docs_refusal(access, request).await {
                                return error_response(&refusal);
                            }
                            private_if_staff(access, openapi_document(registry, channels, document))
                        }
                    },
                )
            });
        // An endpoint no function serves (none has the name, or it is switched off) answers as
        // `/api/mizan/call/` does for that name, not with the app's HTML fallback. Every
        // function's own route is more specific, so it wins over this one: a switched-off
        // function's route must not be registered at all (see `switched_off_endpoints`).
        router = router.route(
            FUNCTION_ENDPOINTS,
            any(|request: Request| async move {
                let path = request.uri().path();
                let name = path.strip_prefix(FUNCTION_PREFIX).unwrap_or(path);
                error_response(&no_such_function(name))
            }),
        );
        for def in self
            .registry
            .iter()
            .filter(|d| d.kind == FunctionKind::View || d.form.is_some())
        {
            router = router.route(
                def.endpoint,
                post(move |request: Request| async move {
                    if def.form.is_some() && form_post::is_navigation(request.headers()) {
                        form_post::answer(def, request).await
                    } else {
                        view(def, request).await
                    }
                }),
            );
        }
        router.with_state(self.registry.clone())
    }

    /// mizan's layer, for every route of the app: the cross-site guard, one body limit
    /// ([`MAX_BODY_BYTES`]) for every extractor (server_fn's endpoints read theirs through it),
    /// and the auth configuration handlers read.
    ///
    /// Put it innermost in the one `tower::ServiceBuilder` that holds the app's other layers
    /// (sessions outside it), and apply that builder with a single `Router::layer` call: axum
    /// boxes every route once per `layer` call and clones the whole chain of boxes on every
    /// request, which on a small call costs more than mizan's own work.
    ///
    /// ```
    /// # #[derive(Clone)] struct Pool;
    /// # fn app(mizan: mizan::server::Mizan, router: axum::Router, pool: Pool) -> axum::Router {
    /// let sessions = mizan::server::SessionLayer::new(tower_sessions::MemoryStore::default());
    /// router.layer(
    ///     tower::ServiceBuilder::new()
    ///         .layer(sessions)
    ///         .layer(axum::Extension(pool))
    ///         .layer(mizan.layer()),
    /// )
    /// # }
    /// ```
    pub fn layer(&self) -> AdmitLayer {
        self.admit.clone()
    }

    /// `router` with [`Mizan::layer`] on every route: for an app with no layers of its own.
    pub fn wrap<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        router.layer(self.layer())
    }
}

async fn call(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let call = match read_json::<CallRequest>(body).await {
        Ok(call) => call,
        Err(error) => return error_response(&error),
    };
    let Some(def) = registry.get(&call.function) else {
        return error_response(&no_such_function(&call.function));
    };
    run(def, parts, call.args).await
}

/// Several reads in one request (what the client runtime sends when contexts refetch together):
/// each call runs the whole pipeline as the same user, concurrently, and fails on its own.
async fn batch(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let batch = match read_json::<BatchRequest>(body).await {
        Ok(batch) => batch,
        Err(error) => return error_response(&error),
    };
    if batch.calls.len() > MAX_BATCH_CALLS {
        return error_response(&MizanError::bad_request(format!(
            "a batch carries at most {MAX_BATCH_CALLS} calls, not {}",
            batch.calls.len()
        )));
    }
    let ctx = RequestContext::from_parts(parts);
    // One user resolution for the whole batch; every call's context copies it.
    if let Err(error) = authenticate(&ctx).await {
        return error_response(&error);
    }
    let calls = batch.calls.into_iter().map(|call| {
        let ctx = ctx.for_nested_call();
        let registry = &registry;
        async move {
            let def = match registry.get(&call.function) {
                Some(def) if matches!(def.kind, FunctionKind::Query | FunctionKind::Context) => def,
                Some(_) => {
                    return Err(MizanError::bad_request(format!(
                        "`{}` changes data or answers with a page; only queries and contexts \
                         are batched",
                        call.function
                    )));
                }
                None => return Err(no_such_function(&call.function)),
            };
            (def.invoke)(ctx, call.args).await
        }
    });
    let results = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|result| match result.and_then(Outcome::into_envelope) {
            Ok(envelope) => BatchOutcome::Ok(envelope),
            Err(error) => BatchOutcome::Err { error },
        })
        .collect();
    let mut response = Json(BatchResponse { results }).into_response();
    // The calls ran as the caller: no cache may keep their answers.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// Why `request` may not read the documents under `access`, if it may not.
async fn api_docs_refusal(access: ApiDocs, request: Request) -> Result<(), MizanError> {
    match access {
        ApiDocs::Public => Ok(()),
        ApiDocs::Off => Err(MizanError::not_found(
            "this server does not publish its functions' descriptions",
        )),
        ApiDocs::Staff => {
            let ctx = RequestContext::from_parts(request.into_parts().0);
            authenticate(&ctx).await?;
            authorize(&AuthRule::Staff, &ctx).await
        }
    }
}

/// A document served to staff only must not be stored by a cache shared with others.
fn private_if_staff(access: ApiDocs, mut response: Response) -> Response {
    if access == ApiDocs::Staff {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}

/// The Edge manifest of the functions this server serves.
fn manifest(registry: Arc<Registry>, channels: Arc<Channels>) -> Response {
    Json(Manifest::of(&registry).with_channels(channels.iter().map(|def| def.name))).into_response()
}

/// The OpenAPI document of the functions this server serves, made on the first request: the
/// functions never change while the server runs.
fn openapi_document(
    registry: Arc<Registry>,
    channels: Arc<Channels>,
    document: Arc<OnceLock<Option<Bytes>>>,
) -> Response {
    let made = document.get_or_init(|| {
        let json = openapi::document(&registry, &channels).map_err(|error| error.to_string());
        match json.and_then(|json| serde_json::to_vec(&json).map_err(|error| error.to_string())) {
            Ok(bytes) => Some(Bytes::from(bytes)),
            Err(error) => {
                tracing::error!(%error, "cannot describe the functions as OpenAPI");
                None
            }
        }
    });
    match made {
        Some(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes.clone(),
        )
            .into_response(),
        None => error_response(&MizanError::internal()),
    }
}

async fn view(def: &'static FunctionDef, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let args = match read_view_args(def, &parts, body).await {
        Ok(args) => args,
        Err(error) => return error_response(&error),
    };
    run(def, parts, args).await
}

async fn run(def: &'static FunctionDef, parts: Parts, args: RawArgs) -> Response {
    let result = (def.invoke)(RequestContext::from_parts(parts), args).await;
    function_response(def, result)
}

async fn read_bytes(body: Body) -> Result<Bytes, MizanError> {
    to_bytes(body, MAX_BODY_BYTES).await.map_err(|error| {
        let over_limit = std::error::Error::source(&error)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if over_limit {
            too_large()
        } else {
            MizanError::bad_request("the request body could not be read")
        }
    })
}

async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, MizanError> {
    let bytes = read_bytes(body).await?;
    serde_json::from_slice(&bytes).map_err(|error| {
        MizanError::bad_request(format!("the request body is not a valid call: {error}"))
    })
}

/// A view is often posted by a plain HTML form: accept an empty body, JSON, or form fields.
async fn read_view_args(
    def: &FunctionDef,
    parts: &Parts,
    body: Body,
) -> Result<RawArgs, MizanError> {
    let bytes = read_bytes(body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(RawArgs::empty());
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_body::arguments(def, form_body::fields(&bytes)?);
    }
    #[derive(serde::Deserialize)]
    struct ViewBody {
        #[serde(default)]
        args: RawArgs,
    }
    serde_json::from_slice::<ViewBody>(&bytes)
        .map(|body| body.args)
        .map_err(|error| MizanError::bad_request(format!("the request body is not valid: {error}")))
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use axum::body::Body;
    use http::{Request as HttpRequest, StatusCode, header};
    use tower::ServiceExt;

    use super::{ApiDocs, Mizan};
    use crate::{
        protocol::{MANIFEST_PATH, OPENAPI_PATH},
        server::{AuthConfig, JwtKeys, LoadUser, MizanUser, OriginPolicy, Registry, UserStore},
    };

    const SECRET: &[u8] = b"a test secret of thirty-two bytes";

    /// User 1 is staff, user 2 is not.
    struct Staffed;

    struct User(i64);

    impl MizanUser for User {
        fn id(&self) -> i64 {
            self.0
        }

        fn is_staff(&self) -> bool {
            self.0 == 1
        }
    }

    impl UserStore for Staffed {
        fn load_user(&self, id: i64) -> LoadUser<'_> {
            Box::pin(async move { Ok(Some(Arc::new(User(id)) as Arc<dyn MizanUser>)) })
        }
    }

    fn router(access: ApiDocs) -> axum::Router {
        let keys = JwtKeys::from_secret(SECRET).expect("keys");
        let mizan = Mizan::new(
            Registry::from_defs([]).expect("empty"),
            AuthConfig::new(Some(Arc::new(Staffed)), Some(keys)),
            OriginPolicy::new(Vec::<String>::new()),
        )
        .with_api_docs(access);
        mizan.wrap(mizan.routes())
    }

    /// Status and `Cache-Control` of `GET path`, as user `as_user` (by bearer token) or anonymous.
    async fn get(router: &axum::Router, path: &str, as_user: Option<i64>) -> (StatusCode, String) {
        let mut request = HttpRequest::get(path);
        if let Some(id) = as_user {
            let keys = JwtKeys::from_secret(SECRET).expect("keys");
            let token = keys.issue(id, Duration::from_secs(60)).expect("token");
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = router
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let cache = response
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), cache)
    }

    #[tokio::test]
    async fn the_documents_are_public_by_default() {
        let router = router(ApiDocs::default());
        for path in [MANIFEST_PATH, OPENAPI_PATH] {
            assert_eq!(get(&router, path, None).await.0, StatusCode::OK, "{path}");
        }
    }

    #[tokio::test]
    async fn staff_only_documents_refuse_others_and_are_never_shared_by_a_cache() {
        let router = router(ApiDocs::Staff);
        for path in [MANIFEST_PATH, OPENAPI_PATH] {
            assert_eq!(get(&router, path, None).await.0, StatusCode::UNAUTHORIZED);
            assert_eq!(get(&router, path, Some(2)).await.0, StatusCode::FORBIDDEN);
            assert_eq!(
                get(&router, path, Some(1)).await,
                (StatusCode::OK, "private, no-store".to_owned()),
                "{path}"
            );
        }
    }

    #[tokio::test]
    async fn documents_switched_off_are_not_found_even_for_staff() {
        let router = router(ApiDocs::Off);
        for path in [MANIFEST_PATH, OPENAPI_PATH] {
            assert_eq!(get(&router, path, Some(1)).await.0, StatusCode::NOT_FOUND);
        }
    }
}
