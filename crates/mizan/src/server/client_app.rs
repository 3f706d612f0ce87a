//! A client-side app built by another toolchain (a React app built by Vite) served by the Rust
//! server under a path: its files as they are, and its `index.html` with the global contexts'
//! values for this visitor in the hydration block, so its first render makes no request and no
//! Node server is needed.

use std::{path::PathBuf, sync::Arc};

use axum::{
    Router,
    extract::Request,
    response::{IntoResponse, Response},
    routing::get,
};
use http::{HeaderValue, header, request::Parts};
use tower_http::services::ServeDir;

use super::{
    auth::authenticate,
    context::RequestContext,
    hydration::HydrationPayload,
    registry::{ContextScope, Registry},
    response::error_response,
};
use crate::{error::MizanError, protocol::RawArgs};

/// Why a client app cannot be mounted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientAppError {
    /// The path is not one a client app can have.
    #[error(
        "a client app's path must start with `/`, name a segment and not end with `/` (like \
         `/react`), not `{mount}`"
    )]
    Mount {
        /// The path given.
        mount: String,
    },
}

/// A built client-side app and where it is served.
#[derive(Debug, Clone)]
pub struct ClientApp {
    mount: String,
    dir: PathBuf,
}

struct Served {
    mount: String,
    index: PathBuf,
    registry: Arc<Registry>,
}

impl ClientApp {
    /// The app built into `dir` (its `index.html` and assets), served under `mount` (`/react`):
    /// build it with that base path (Vite: `base: '/react/'`).
    pub fn new(mount: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            mount: mount.into(),
            dir: dir.into(),
        }
    }

    /// Where it is served.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// Whether the built app is there (its `index.html`).
    pub fn is_built(&self) -> bool {
        self.dir.join("index.html").is_file()
    }

    /// Its routes: files under `mount` are served as they are, and every other path under it
    /// (`mount` itself, the app's own routes) answers the page with the visitor's contexts.
    pub fn routes<S: Clone + Send + Sync + 'static>(
        &self,
        registry: Arc<Registry>,
    ) -> Result<Router<S>, ClientAppError> {
        let mount = self.mount.as_str();
        let valid = mount.starts_with('/')
            && mount.len() > 1
            && !mount.ends_with('/')
            && !mount.contains(['*', '{', '}']);
        if !valid {
            return Err(ClientAppError::Mount {
                mount: mount.to_owned(),
            });
        }
        let served = Arc::new(Served {
            mount: mount.to_owned(),
            index: self.dir.join("index.html"),
            registry,
        });
        let page = get(move |request: Request| page(Arc::clone(&served), request));
        let files = ServeDir::new(&self.dir)
            // The directory's own index.html would skip the contexts: the page handler serves it.
            .append_index_html_on_directories(false)
            .fallback(page);
        Ok(Router::new().nest_service(mount, files))
    }
}

/// The app's page (any path under the mount that is not a file).
async fn page(served: Arc<Served>, request: Request) -> Response {
    // A missing asset is a 404, not the page: a script tag given HTML fails confusingly. A
    // browser navigating asks for HTML, so an app route with a dot (`/users/jane.doe`) is a page.
    let last = request.uri().path().rsplit('/').next().unwrap_or_default();
    let navigating = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if last.contains('.') && !navigating {
        return error_response(&MizanError::not_found(format!(
            "no file `{last}` in the app at {}/",
            served.mount
        )));
    }
    let html = match tokio::fs::read_to_string(&served.index).await {
        Ok(html) => html,
        Err(error) => {
            tracing::warn!(
                %error,
                index = %served.index.display(),
                "the client app is not built: build it (e.g. `npm run build`) into this directory"
            );
            return error_response(&MizanError::not_found(format!(
                "the app at {}/ is not built",
                served.mount
            )));
        }
    };
    let (parts, _) = request.into_parts();
    let payload = global_contexts(&served.registry, parts).await;
    let script = match payload.to_script() {
        Ok(script) => script,
        Err(error) => {
            tracing::error!(%error, "cannot write the hydration payload");
            String::new()
        }
    };
    let mut response = inject(&html, &script).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page carries this visitor's data: no shared cache may keep it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// The values of every global context this visitor may read, run as the request's user. One
/// the visitor may not read (or that fails) is left out: the page fetches it and shows why. A
/// refused bearer token leaves only the `public` contexts, which run without identity.
pub async fn global_contexts(registry: &Registry, parts: Parts) -> HydrationPayload {
    let mut payload = HydrationPayload::new();
    let ctx = RequestContext::from_parts(parts);
    let identified = authenticate(&ctx).await.is_ok();
    let runs = registry
        .iter()
        .filter(|def| def.context == Some(ContextScope::Global) && (identified || def.public))
        .map(|def| {
            let ctx = ctx.for_nested_call();
            async move {
                let answer = (def.invoke)(ctx, RawArgs::empty()).await;
                (def.name, answer.and_then(|outcome| outcome.into_envelope()))
            }
        });
    for (name, answer) in futures::future::join_all(runs).await {
        if let Ok(envelope) = answer {
            payload.insert(name.to_owned(), envelope.result);
        }
    }
    payload
}

/// `html` with `script` at the end of its `<head>`; without one, before its `<body>`, else after
/// its doctype (a script before the doctype would put the page in quirks mode).
fn inject(html: &str, script: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let after_doctype = || {
        if lower.starts_with("<!doctype") {
            lower.find('>').map_or(0, |end| end + 1)
        } else {
            0
        }
    };
    let at = lower
        .find("</head>")
        .or_else(|| lower.find("<body"))
        .unwrap_or_else(after_doctype);
    let mut page = String::with_capacity(html.len() + script.len());
    page.push_str(&html[..at]);
    page.push_str(script);
    page.push_str(&html[at..]);
    page
}

#[cfg(test)]
mod tests {
    use super::{ClientApp, ClientAppError, inject};
    use crate::server::registry::Registry;

    #[test]
    fn the_script_goes_at_the_end_of_the_head() {
        let page = inject(
            "<html><HEAD><title>t</title></HEAD><body></body></html>",
            "<s/>",
        );
        assert_eq!(
            page,
            "<html><HEAD><title>t</title><s/></HEAD><body></body></html>"
        );
        assert_eq!(inject("<p>no head</p>", "<s/>"), "<s/><p>no head</p>");
        assert_eq!(
            inject("<!DOCTYPE html><body><p>x</p></body>", "<s/>"),
            "<!DOCTYPE html><s/><body><p>x</p></body>"
        );
        assert_eq!(
            inject("<!doctype html><p>x</p>", "<s/>"),
            "<!doctype html><s/><p>x</p>"
        );
    }

    #[test]
    fn a_mount_must_be_a_path_below_the_root() {
        let registry = || std::sync::Arc::new(Registry::from_defs([]).expect("empty"));
        for mount in ["", "/", "react", "/react/", "/{x}"] {
            let error = ClientApp::new(mount, "dist")
                .routes::<()>(registry())
                .expect_err(mount);
            assert_eq!(
                error,
                ClientAppError::Mount {
                    mount: mount.to_owned()
                }
            );
        }
        assert!(
            ClientApp::new("/app/react", "dist")
                .routes::<()>(registry())
                .is_ok()
        );
    }
}
