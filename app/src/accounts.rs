//! Accounts of the example app: sign-in by session or bearer token, and the functions showing
//! each auth rule (`auth`, `auth = staff`, a custom check).

#[cfg(feature = "ssr")]
use mizan::server::{AuthMethod, RequestContext};
use mizan::{MizanError, client};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::users::{self, AppUser};

/// The signed-in user as the pages see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Me {
    /// Email address (the login name).
    pub email: String,
    /// Whether staff-only functions are open to this user.
    pub is_staff: bool,
}

/// What only staff may read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StaffReport {
    /// Number of user accounts.
    pub users: i64,
    /// Number of greetings recorded by the home page.
    pub greetings: i64,
}

/// How the current call was authenticated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionInfo {
    /// The user's id.
    pub user_id: i64,
    /// Always `session`: [`session_only`] refuses everything else.
    pub method: String,
}

/// Signs in with email and password. On success the session gets a new id (against session
/// fixation) and holds the user; wrong credentials are `UNAUTHORIZED` whichever part was wrong.
#[client(affects = [crate::profiles::current_user])]
pub async fn login(
    ctx: RequestContext,
    /// The account's email address.
    #[validate(email(message = "must be an email address"))]
    email: String,
    /// The password (at most 128 characters, as sign-up allows).
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    password: String,
) -> Result<Me, MizanError> {
    match check_password(&ctx, &email, &password).await? {
        Some((id, me)) => {
            ctx.sign_in(id).await?;
            Ok(me)
        }
        None => Err(wrong_password()),
    }
}

/// The account whose email and password these are (its id, and what the pages see of it), or
/// `None` for an unknown email or a wrong password alike; `RATE_LIMITED` (unchecked) after too
/// many failed sign-ins for this email or from this address (mizan's sign-in guard, which
/// verifies off the async workers). What [`login`] and the log-in form
/// (`crate::forms::LogInForm`) sign in with.
#[cfg(feature = "ssr")]
pub(crate) async fn check_password(
    ctx: &RequestContext,
    email: &str,
    password: &str,
) -> Result<Option<(i64, Me)>, MizanError> {
    let pool = ctx.require::<sqlx::AnyPool>()?;
    let email = email.trim().to_lowercase();
    // is_staff: 0 or 1 (see `AppUser`).
    let row: Option<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, email, password_hash, is_staff FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&pool)
            .await
            .map_err(users::db_error)?;
    // Verify unknown emails too, against a hash whose password nobody knows, and count their
    // failures alike: neither the timing, nor a refusal, nor a password that is right for some
    // account (a demo account's is published) reveals which emails have accounts.
    let hash = match &row {
        Some((_, _, hash, _)) => hash.as_str(),
        None => mizan::server::unknown_account_hash().await?,
    };
    let verified = ctx.check_password(&email, password, hash).await?;
    Ok(match row {
        Some((id, email, _, is_staff)) if verified => Some((
            id,
            Me {
                email,
                is_staff: is_staff != 0,
            },
        )),
        _ => None,
    })
}

/// The answer to a wrong email or password: one message for both, under no field, so that it
/// does not tell which emails have accounts.
#[cfg(feature = "ssr")]
pub(crate) fn wrong_password() -> MizanError {
    MizanError::unauthorized("wrong email or password")
}

/// Signs out: the session is deleted and its cookie expired.
#[client(affects = [crate::profiles::current_user])]
pub async fn logout(ctx: RequestContext) -> Result<(), MizanError> {
    ctx.sign_out().await
}

/// Signs out and redirects to `/`: a view function, usable from a plain HTML form.
#[client(view, affects = [crate::profiles::current_user])]
pub async fn logout_redirect(ctx: RequestContext) -> Result<axum::response::Response, MizanError> {
    use axum::response::IntoResponse;
    ctx.sign_out().await?;
    Ok(axum::response::Redirect::to("/").into_response())
}

/// The signed-in user; `UNAUTHORIZED` for anonymous callers.
#[client(auth)]
pub async fn whoami(ctx: RequestContext) -> Result<Me, MizanError> {
    let user = ctx.user_as::<AppUser>().ok_or_else(MizanError::internal)?;
    Ok(Me {
        email: user.email.clone(),
        is_staff: user.is_staff,
    })
}

/// Counts for staff; `FORBIDDEN` for other users, `UNAUTHORIZED` for anonymous callers.
#[client(auth = staff)]
pub async fn staff_report(ctx: RequestContext) -> Result<StaffReport, MizanError> {
    let pool = ctx.require::<sqlx::AnyPool>()?;
    let (users, greetings): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM greetings)")
            .fetch_one(&pool)
            .await
            .map_err(users::db_error)?;
    Ok(StaffReport { users, greetings })
}

/// Session details; allowed only to users signed in through the browser session (a custom
/// `auth = path` check), so a bearer token gets `FORBIDDEN`.
#[client(auth = require_session)]
pub async fn session_only(ctx: RequestContext) -> Result<SessionInfo, MizanError> {
    Ok(SessionInfo {
        user_id: ctx.user_id().ok_or_else(MizanError::internal)?,
        method: "session".into(),
    })
}

/// The custom check of [`session_only`]: a signed-in user, through the session cookie.
#[cfg(feature = "ssr")]
pub async fn require_session(ctx: &RequestContext) -> Result<(), MizanError> {
    match ctx.auth_method() {
        AuthMethod::Session => Ok(()),
        AuthMethod::Bearer => Err(MizanError::forbidden("this needs a browser session")),
        // Anonymous, and any way of signing in a later mizan adds: not a browser session.
        _ => Err(MizanError::unauthorized("sign in to do this")),
    }
}
