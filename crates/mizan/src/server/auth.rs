//! Authentication (session or bearer JWT) and the authorization rules functions declare.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{
    context::RequestContext,
    user::{AuthMethod, MizanUser, SESSION_USER_KEY, UserStore},
};
use crate::error::MizanError;

/// A custom authorization check: allow (`Ok`) or refuse with the error to answer.
pub type CheckFn = fn(&RequestContext) -> BoxFuture<'static, Result<(), MizanError>>;

/// Who may call a function.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum AuthRule {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in user (`#[client(auth)]`).
    SignedIn,
    /// A signed-in staff user (`#[client(auth = staff)]`).
    Staff,
    /// A function of the request context (`#[client(auth = path::to::check)]`).
    Check {
        /// The check's path as written, for the manifest.
        name: &'static str,
        /// The check.
        check: CheckFn,
    },
}

impl AuthRule {
    /// The rule as the manifest and docs spell it: `none`, `user`, `staff` or the check's path.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Public => "none",
            Self::SignedIn => "user",
            Self::Staff => "staff",
            Self::Check { name, .. } => name,
        }
    }
}

impl std::fmt::Debug for AuthRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The shortest HS256 secret [`JwtKeys::from_secret`] accepts: RFC 7518 asks for a key at least
/// as long as the hash (256 bits); a shorter one can be guessed offline from any token seen.
pub const MIN_SECRET_BYTES: usize = 32;

/// The longest lifetime a bearer token may have unless [`JwtKeys::max_lifetime`] says otherwise:
/// a token cannot be revoked, so a leaked one is good for at most this long.
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The clock skew tolerated between the issuer of a token and this server, in seconds
/// (jsonwebtoken's default, for `exp` and `nbf`, and for a lifetime measured from now).
const LEEWAY_SECS: u64 = 60;

/// Claims of the bearer tokens mizan issues and accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a decimal string (JWT's `sub` is a string).
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// When the token was issued, seconds since the Unix epoch; written by [`JwtKeys::issue`].
    /// Without it, a token's lifetime is counted from when it is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not valid before, seconds since the Unix epoch; checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The issuer; required to equal [`JwtKeys::issuer`] when the keys name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience; required to include [`JwtKeys::audience`] when the keys name one, and
    /// refused when they name none (the token is meant for another service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// A token's `aud` claim: one audience or several (RFC 7519 allows both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "api"`.
    One(String),
    /// `"aud": ["api", "admin"]`.
    Many(Vec<String>),
}

/// Why bearer-token keys cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtKeyError {
    /// The secret is shorter than [`MIN_SECRET_BYTES`].
    #[error(
        "the bearer-token secret is {length} bytes long; it must be at least {MIN_SECRET_BYTES} \
         bytes of random data (e.g. the output of `openssl rand -base64 48`)"
    )]
    SecretTooShort {
        /// The secret's length in bytes.
        length: usize,
    },
}

/// Why [`JwtKeys::issue`] made no token. A `#[client]` function's `?` turns it into
/// `INTERNAL_ERROR` (logged): it is the server's mistake, not the caller's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The lifetime asked for is longer than the keys' [`JwtKeys::max_lifetime`]: such a token
    /// would be refused by these very keys.
    #[error("a bearer token may live at most {max:?}, not {ttl:?}")]
    LifetimeTooLong {
        /// The lifetime asked for.
        ttl: Duration,
        /// The keys' maximum.
        max: Duration,
    },
    /// jsonwebtoken could not sign the claims.
    #[error("cannot sign a bearer token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

impl From<TokenError> for MizanError {
    fn from(error: TokenError) -> Self {
        tracing::error!(error = %crate::error::error_chain(&error), "cannot issue a bearer token");
        MizanError::internal()
    }
}

/// HS256 keys for bearer tokens, and the rules a token must meet: a signature by the secret, an
/// `exp` in the future, an `nbf` (when present) in the past, the issuer and audience when the
/// keys name them, and a lifetime no longer than [`max_lifetime`](Self::max_lifetime).
///
/// ```
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// let keys = mizan::server::JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef")?
///     .issuer("https://auth.example.com")
///     .audience("example-api")
///     .max_lifetime(Duration::from_secs(3600));
/// let token = keys.issue(7, Duration::from_secs(900))?;
/// assert_eq!(keys.verify(&token)?, 7);
/// # Ok(()) }
/// # run().unwrap();
/// ```
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: Option<String>,
    audience: Option<String>,
    max_lifetime: Duration,
}

impl std::fmt::Debug for JwtKeys {
    // The keys are the secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys from a shared secret of at least [`MIN_SECRET_BYTES`] bytes; no issuer or audience
    /// required; tokens live at most [`DEFAULT_MAX_TOKEN_LIFETIME`].
    pub fn from_secret(secret: &[u8]) -> Result<Self, JwtKeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(JwtKeyError::SecretTooShort {
                length: secret.len(),
            });
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer: None,
            audience: None,
            max_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
        })
    }

    /// Tokens must carry this `iss`, and [`issue`](Self::issue) writes it.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Tokens must carry this audience in `aud`, and [`issue`](Self::issue) writes it.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The longest a token may live: `exp - iat`, or `exp` minus now for a token without `iat`
    /// (default [`DEFAULT_MAX_TOKEN_LIFETIME`]). Longer tokens are refused, and not issued.
    #[must_use]
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// A token for `user_id` valid for `ttl` from now (at most [`max_lifetime`](Self::max_lifetime)),
    /// with `iat`, and the keys' issuer and audience when they name them.
    pub fn issue(&self, user_id: i64, ttl: Duration) -> Result<String, TokenError> {
        if ttl > self.max_lifetime {
            return Err(TokenError::LifetimeTooLong {
                ttl,
                max: self.max_lifetime,
            });
        }
        let now = now_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            exp: now.saturating_add(ttl.as_secs()),
            iat: Some(now),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(TokenError::Sign)
    }

    /// The user id in a valid token (see [`claims`](Self::claims)).
    pub fn verify(&self, token: &str) -> Result<i64, MizanError> {
        self.claims(token)?
            .sub
            .parse()
            .map_err(|_| MizanError::unauthorized("invalid bearer token: `sub` is not a user id"))
    }

    /// The claims of a token that meets every rule of these keys (see [`JwtKeys`]); an
    /// `UNAUTHORIZED` naming the rule it breaks otherwise.
    pub fn claims(&self, token: &str) -> Result<Claims, MizanError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| MizanError::unauthorized(format!("invalid bearer token: {error}")))?;
        self.check_lifetime(&claims, now_secs())?;
        Ok(claims)
    }

    /// Refuses a token that lives longer than the maximum. Counted from `iat` when it is not in
    /// the future (a future `iat` must not stretch the window), else from `now`, with the
    /// clock-skew leeway.
    fn check_lifetime(&self, claims: &Claims, now: u64) -> Result<(), MizanError> {
        let (start, leeway) = match claims.iat {
            Some(iat) if iat <= now => (iat, 0),
            _ => (now, LEEWAY_SECS),
        };
        let lifetime = claims.exp.saturating_sub(start);
        let max = self.max_lifetime.as_secs().saturating_add(leeway);
        if lifetime > max {
            return Err(MizanError::unauthorized(format!(
                "invalid bearer token: it lives {lifetime} s, longer than the {} s this server \
                 accepts",
                self.max_lifetime.as_secs()
            )));
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch (0 for a clock set before it).
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// What authentication needs from the app; handed to every request (as `Arc<AuthConfig>`) by the
/// admit layer. The default has no users: every caller is anonymous, which suits an app without
/// accounts.
#[derive(Clone, Default)]
pub struct AuthConfig {
    /// Loads users; `None`: nobody signs in.
    pub users: Option<Arc<dyn UserStore>>,
    /// Bearer-token keys; `None` refuses every bearer token.
    pub jwt: Option<JwtKeys>,
    /// The functions switched off in the served registry
    /// ([`Registry::switch_off`](super::Registry::switch_off)), set by
    /// [`Mizan::new`](super::Mizan::new): their own endpoints and in-process calls, which do not
    /// look in the registry, refuse them as functions that do not exist.
    pub(crate) switched_off: Arc<[&'static str]>,
}

impl AuthConfig {
    /// Users from `users` (if any), bearer tokens checked with `jwt` (if any).
    pub fn new(users: Option<Arc<dyn UserStore>>, jwt: Option<JwtKeys>) -> Self {
        Self {
            users,
            jwt,
            switched_off: Arc::from([]),
        }
    }

    /// Users loaded from `store`, no bearer tokens.
    pub fn with_users(store: impl UserStore) -> Self {
        Self::new(Some(Arc::new(store)), None)
    }
}

/// The answer to a call of a function that does not exist, on every transport.
pub(crate) fn no_such_function(name: &str) -> MizanError {
    MizanError::not_found(format!("no function named `{name}`"))
}

/// Refuses a call of a function switched off on this server exactly as a call of a function
/// that does not exist: the same `NOT_FOUND`, before anything else about the caller is looked at.
pub(crate) fn refuse_switched_off(name: &str, ctx: &RequestContext) -> Result<(), MizanError> {
    let switched_off = ctx
        .extension_ref::<Arc<AuthConfig>>()
        .is_some_and(|config| config.switched_off.contains(&name));
    if switched_off {
        Err(no_such_function(name))
    } else {
        Ok(())
    }
}

/// Resolves the caller: a bearer token if one is sent, else the session's user, else anonymous.
pub(crate) async fn authenticate(ctx: &RequestContext) -> Result<(), MizanError> {
    if ctx.is_authenticated_resolved() {
        return Ok(());
    }
    let config = ctx.extension_ref::<Arc<AuthConfig>>();
    if let Some(token) = bearer_token(ctx)? {
        let Some(config) = config else {
            return Err(MizanError::unauthorized(
                "bearer tokens are not accepted here",
            ));
        };
        let Some(keys) = &config.jwt else {
            return Err(MizanError::unauthorized(
                "bearer tokens are not enabled on this server",
            ));
        };
        let user_id = keys.verify(token)?;
        let Some(users) = &config.users else {
            return Err(MizanError::unauthorized("nobody signs in on this server"));
        };
        let user = users
            .load_user(user_id)
            .await?
            .ok_or_else(|| MizanError::unauthorized("the token's user does not exist"))?;
        ctx.set_user(AuthMethod::Bearer, Some(user));
        return Ok(());
    }
    let users = config.and_then(|config| config.users.as_ref());
    let session_user = match (users, ctx.session()) {
        // A request without a session cookie has no session record to read: anonymous, without
        // touching the store (most public calls and page loads).
        (Some(users), Some(session)) if session.id().is_some() => {
            session_user(users.as_ref(), session).await?
        }
        _ => None,
    };
    match session_user {
        Some(user) => ctx.set_user(AuthMethod::Session, Some(user)),
        None => ctx.set_user(AuthMethod::Anonymous, None),
    }
    Ok(())
}

/// When the credentials of a caller authenticated by a bearer token end (its `exp`); `None` for
/// other callers. A socket lives longer than a call: it closes then.
pub(crate) fn bearer_expiry(ctx: &RequestContext) -> Option<SystemTime> {
    if ctx.auth_method() != AuthMethod::Bearer {
        return None;
    }
    let token = bearer_token(ctx).ok().flatten()?;
    let keys = ctx.extension_ref::<Arc<AuthConfig>>()?.jwt.as_ref()?;
    let claims = keys.claims(token).ok()?;
    // A far-off `exp` (a long `max_lifetime`) must not overflow the clock.
    UNIX_EPOCH.checked_add(Duration::from_secs(claims.exp))
}

/// Who the credentials of `ctx` name now, read again from the stores: the session (removed or
/// expired elsewhere, or holding another user) and the user (deleted, renamed, with other
/// rights). A socket asks this now and then. `None` when there is nothing to read again (no
/// user store, a visitor without a session) or a store cannot answer: that is no change, and
/// the socket asks again next time.
pub(crate) async fn current_user(ctx: &RequestContext) -> Option<Option<Arc<dyn MizanUser>>> {
    let users = ctx
        .extension_ref::<Arc<AuthConfig>>()
        .and_then(|config| config.users.as_ref())?;
    let loaded = match (ctx.auth_method(), ctx.user_id()) {
        (AuthMethod::Bearer, Some(id)) => users.load_user(id).await,
        (AuthMethod::Bearer, None) => return None,
        _ => {
            // A visitor without a session stays who they are until a request gives them one.
            let session = ctx.session().filter(|session| session.id().is_some())?;
            if let Err(error) = session.load().await {
                tracing::warn!(%error, "cannot read a socket's session again");
                return None;
            }
            session_user(users.as_ref(), session).await
        }
    };
    loaded.ok()
}

/// The user `session` holds, loaded from `users`; `None` for a session without one.
async fn session_user(
    users: &dyn UserStore,
    session: &tower_sessions::Session,
) -> Result<Option<Arc<dyn MizanUser>>, MizanError> {
    let id = session
        .get::<i64>(SESSION_USER_KEY)
        .await
        .map_err(|error| {
            tracing::error!(%error, "cannot read the session");
            MizanError::internal()
        })?;
    match id {
        Some(id) => users.load_user(id).await,
        None => Ok(None),
    }
}

fn bearer_token(ctx: &RequestContext) -> Result<Option<&str>, MizanError> {
    let Some(value) = ctx.headers().get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| MizanError::unauthorized("the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(MizanError::unauthorized(
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}

/// Applies a function's rule to the authenticated caller.
pub(crate) async fn authorize(rule: &AuthRule, ctx: &RequestContext) -> Result<(), MizanError> {
    match rule {
        AuthRule::Public => Ok(()),
        AuthRule::SignedIn => require_user(ctx).map(|_| ()),
        AuthRule::Staff => {
            if require_user(ctx)?.is_staff() {
                Ok(())
            } else {
                Err(MizanError::forbidden("staff only"))
            }
        }
        AuthRule::Check { check, .. } => check(ctx).await,
    }
}

fn require_user(ctx: &RequestContext) -> Result<&Arc<dyn MizanUser>, MizanError> {
    ctx.user()
        .ok_or_else(|| MizanError::unauthorized("sign in to do this"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"one secret of thirty-two bytes!!";

    fn keys() -> JwtKeys {
        JwtKeys::from_secret(SECRET).expect("long enough")
    }

    /// A token with exactly these claims, signed with [`SECRET`].
    fn signed(claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET),
        )
        .expect("encode")
    }

    #[test]
    fn tokens_verify_only_with_their_secret_and_before_expiry() {
        let keys = keys();
        let token = keys.issue(7, Duration::from_secs(60)).expect("issue");
        assert_eq!(keys.verify(&token).expect("valid"), 7);
        let other = JwtKeys::from_secret(b"another secret of 32 bytes, too!").expect("keys");
        assert!(other.verify(&token).expect_err("wrong key").is_auth_error());
        let expired = signed(&serde_json::json!({"sub": "7", "exp": 1}));
        assert!(keys.verify(&expired).is_err());
    }

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused_with_its_length() {
        let error = JwtKeys::from_secret(b"test-secret-for-bearer-tokens").expect_err("29 bytes");
        assert_eq!(error, JwtKeyError::SecretTooShort { length: 29 });
        let text = error.to_string();
        assert!(
            text.contains("29 bytes") && text.contains("at least 32"),
            "{text}"
        );
        assert!(JwtKeys::from_secret(&[7; 32]).is_ok());
    }

    #[test]
    fn a_token_not_yet_valid_is_refused() {
        let now = now_secs();
        let early = signed(&serde_json::json!({"sub": "7", "exp": now + 600, "nbf": now + 300}));
        let error = keys().verify(&early).expect_err("nbf in five minutes");
        assert!(error.is_auth_error(), "{error:?}");
        let ready = signed(&serde_json::json!({"sub": "7", "exp": now + 600, "nbf": now - 1}));
        assert_eq!(keys().verify(&ready).expect("nbf passed"), 7);
    }

    #[test]
    fn issuer_and_audience_are_written_and_required_when_the_keys_name_them() {
        let strict = keys().issuer("https://auth.example.com").audience("api");
        let token = strict.issue(7, Duration::from_secs(60)).expect("issue");
        let claims = strict.claims(&token).expect("valid");
        assert_eq!(claims.iss.as_deref(), Some("https://auth.example.com"));
        assert_eq!(claims.aud, Some(Audience::One("api".into())));
        assert!(claims.iat.is_some(), "issue writes iat");

        let exp = now_secs() + 60;
        for refused in [
            serde_json::json!({"sub": "7", "exp": exp}),
            serde_json::json!({"sub": "7", "exp": exp, "iss": "https://auth.example.com"}),
            serde_json::json!({"sub": "7", "exp": exp, "aud": "api"}),
            serde_json::json!({"sub": "7", "exp": exp, "iss": "https://evil.example", "aud": "api"}),
            serde_json::json!({"sub": "7", "exp": exp, "iss": "https://auth.example.com", "aud": "other"}),
        ] {
            assert!(strict.verify(&signed(&refused)).is_err(), "{refused}");
        }
        let listed = serde_json::json!(
            {"sub": "7", "exp": exp, "iss": "https://auth.example.com", "aud": ["other", "api"]}
        );
        assert_eq!(strict.verify(&signed(&listed)).expect("api is listed"), 7);
        // Keys naming no audience refuse a token meant for one: it is another service's.
        let aimed = signed(&serde_json::json!({"sub": "7", "exp": exp, "aud": "api"}));
        assert!(keys().verify(&aimed).is_err());
    }

    #[test]
    fn a_token_living_longer_than_the_maximum_is_refused_and_not_issued() {
        let now = now_secs();
        let day = DEFAULT_MAX_TOKEN_LIFETIME.as_secs();
        let keys = keys();
        let long = signed(&serde_json::json!({"sub": "7", "iat": now, "exp": now + day + 1}));
        assert!(keys.verify(&long).is_err(), "a day and a second from iat");
        let year = signed(&serde_json::json!({"sub": "7", "exp": now + 365 * day}));
        assert!(keys.verify(&year).is_err(), "a year from now, without iat");
        // A future iat does not stretch the window: the lifetime counts from now.
        let postdated = signed(
            &serde_json::json!({"sub": "7", "iat": now + 300 * day, "exp": now + 301 * day}),
        );
        assert!(keys.verify(&postdated).is_err());
        let day_long = signed(&serde_json::json!({"sub": "7", "iat": now, "exp": now + day}));
        assert_eq!(keys.verify(&day_long).expect("exactly the maximum"), 7);

        let short = keys.clone().max_lifetime(Duration::from_secs(60));
        assert!(
            short.verify(&day_long).is_err(),
            "a configured maximum applies"
        );
        let error = short
            .issue(7, Duration::from_secs(61))
            .expect_err("over the maximum");
        assert!(
            matches!(error, TokenError::LifetimeTooLong { .. }),
            "{error:?}"
        );
        assert_eq!(MizanError::from(error).code.as_str(), "INTERNAL_ERROR");
        assert!(short.issue(7, Duration::from_secs(60)).is_ok());
    }
}
