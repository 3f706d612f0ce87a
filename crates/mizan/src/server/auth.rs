//! Authentication (session or bearer JWT), the authorization rules functions declare, and
//! password hashing.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
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

/// Claims of the bearer tokens mizan issues and accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a decimal string (JWT's `sub` is a string).
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

/// HS256 keys for bearer tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    /// Keys from a shared secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A token for `user_id` valid for `ttl`.
    pub fn issue(&self, user_id: i64, ttl: Duration) -> Result<String, MizanError> {
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(ttl)
            .as_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(
            |error| {
                tracing::error!(%error, "cannot sign a bearer token");
                MizanError::internal()
            },
        )
    }

    /// The user id in a valid, unexpired HS256 token.
    pub fn verify(&self, token: &str) -> Result<i64, MizanError> {
        self.claims(token)?
            .sub
            .parse()
            .map_err(|_| MizanError::unauthorized("invalid bearer token: `sub` is not a user id"))
    }

    /// The claims of a valid, unexpired HS256 token.
    pub fn claims(&self, token: &str) -> Result<Claims, MizanError> {
        let validation = Validation::new(Algorithm::HS256);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| MizanError::unauthorized(format!("invalid bearer token: {error}")))
    }
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
}

impl AuthConfig {
    /// Users from `users` (if any), bearer tokens checked with `jwt` (if any).
    pub fn new(users: Option<Arc<dyn UserStore>>, jwt: Option<JwtKeys>) -> Self {
        Self { users, jwt }
    }

    /// Users loaded from `store`, no bearer tokens.
    pub fn with_users(store: impl UserStore) -> Self {
        Self::new(Some(Arc::new(store)), None)
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
            let id = session
                .get::<i64>(SESSION_USER_KEY)
                .await
                .map_err(|error| {
                    tracing::error!(%error, "cannot read the session");
                    MizanError::internal()
                })?;
            match id {
                Some(id) => users.load_user(id).await?,
                None => None,
            }
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
    Some(UNIX_EPOCH + Duration::from_secs(claims.exp))
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

/// An Argon2id hash of `password` in PHC string form, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, MizanError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            tracing::error!(%error, "cannot hash a password");
            MizanError::internal()
        })
}

/// Whether `password` matches a PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_verify_only_with_their_secret_and_before_expiry() {
        let keys = JwtKeys::from_secret(b"one secret");
        let token = keys.issue(7, Duration::from_secs(60)).expect("issue");
        assert_eq!(keys.verify(&token).expect("valid"), 7);
        let other = JwtKeys::from_secret(b"another secret");
        assert!(other.verify(&token).expect_err("wrong key").is_auth_error());
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: "7".into(),
                exp: 1,
            },
            &EncodingKey::from_secret(b"one secret"),
        )
        .expect("encode");
        assert!(keys.verify(&expired).is_err());
    }
}
