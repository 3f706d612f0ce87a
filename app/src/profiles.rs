//! Profiles of the example app: the contexts pages render (`current_user`, `user_profile`, the
//! staff's `user_directory`) and the mutation that changes them (`update_name`), scoped by its own
//! arguments.

#[cfg(feature = "ssr")]
use mizan::server::RequestContext;
use mizan::{MizanError, client};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::users::{AppUser, db_error};

/// A user's id. Arguments of this alias scope `user_profile` (an `i64`) like `i64` itself: scoping
/// compares types, not their spelling.
pub type UserId = i64;

/// What anyone may see about the site, the same for every visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteStats {
    /// How many accounts exist.
    pub accounts: i64,
}

/// Who is looking at the page (anonymous visitors too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CurrentUser {
    /// Whether someone is signed in.
    pub is_authenticated: bool,
    /// Their email address, when signed in.
    pub email: Option<String>,
    /// Their display name, when signed in.
    pub name: Option<String>,
    /// Whether they are staff.
    pub is_staff: bool,
}

/// A user's profile: what anyone may see, and the email address for its owner and staff only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserProfile {
    /// The user's id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
    /// Email address: only for the user themselves and for staff, `null` for everyone else.
    pub email: Option<String>,
}

/// The visitor, for the site header: rendered with every page, refreshed by sign-in, sign-out and
/// renames of oneself. `per_user`: each visitor's value is their own, so a call's keys for it
/// reach only the caller's own tabs (and a user renamed by staff has theirs refetched).
#[client(context = global, per_user)]
pub async fn current_user(ctx: RequestContext) -> Result<CurrentUser, MizanError> {
    Ok(match ctx.user_as::<AppUser>() {
        Some(user) => CurrentUser {
            is_authenticated: true,
            email: Some(user.email.clone()),
            name: Some(user.name.clone()),
            is_staff: user.is_staff,
        },
        None => CurrentUser {
            is_authenticated: false,
            email: None,
            name: None,
            is_staff: false,
        },
    })
}

/// The site's public numbers for the home page. The same for every visitor, so declared `public`:
/// the manifest allows edge caches to share it, and it runs without the visitor's identity (it
/// could not read the user even by mistake).
#[client(context = global, public)]
pub async fn site_stats(ctx: RequestContext) -> Result<SiteStats, MizanError> {
    let pool = ctx.require::<sqlx::AnyPool>()?;
    let (accounts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&pool)
        .await
        .map_err(db_error)?;
    Ok(SiteStats { accounts })
}

/// One user's profile; `NOT_FOUND` when there is no such user.
#[client(context = local)]
pub async fn user_profile(ctx: RequestContext, user_id: i64) -> Result<UserProfile, MizanError> {
    // The email only for that user and staff: the answer depends on who asks, as a context that
    // is not `public` may (no shared cache keeps it, and pushes carry keys only, so each tab
    // refetches it as itself).
    let pool = ctx.require::<sqlx::AnyPool>()?;
    load_profile(&pool, user_id, is_self_or_staff(&ctx, user_id)).await
}

/// Whether the caller is the user `user_id` or staff: who may see that user's email and rename
/// them.
#[cfg(feature = "ssr")]
fn is_self_or_staff(ctx: &RequestContext, user_id: i64) -> bool {
    ctx.user()
        .is_some_and(|user| user.id() == user_id || user.is_staff())
}

/// One line of the staff's user directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DirectoryEntry {
    /// The user's id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
}

/// Every user by name, for staff only (`UNAUTHORIZED` / `FORBIDDEN` otherwise): a context some
/// visitors may not read, so they may not watch it either, and renames never push its key to them.
#[client(context = global, auth = staff)]
pub async fn user_directory(ctx: RequestContext) -> Result<Vec<DirectoryEntry>, MizanError> {
    let pool = ctx.require::<sqlx::AnyPool>()?;
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM users ORDER BY id")
        .fetch_all(&pool)
        .await
        .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name)| DirectoryEntry { user_id, name })
        .collect())
}

/// Renames a user. People may rename themselves, staff anyone (`FORBIDDEN` otherwise). Refreshes
/// that user's profile (only that one: `user_id` scopes the key), the header and the directory.
#[client(auth, affects = [user_profile, current_user, user_directory])]
pub async fn update_name(
    ctx: RequestContext,
    /// Whose name.
    user_id: UserId,
    /// The new name.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    name: String,
) -> Result<UserProfile, MizanError> {
    // The demo's slow renames (off unless the server turns them on), before any check: a refused
    // rename is as slow as one that goes through.
    let slowed = ctx
        .extension::<crate::demo::DemoOptions>()
        .and_then(|demo| demo.slow_renames);
    if let Some(delay) = slowed
        && !ctx.user().is_some_and(|user| user.is_staff())
    {
        tokio::time::sleep(delay).await;
    }
    if !is_self_or_staff(&ctx, user_id) {
        return Err(MizanError::forbidden("you may rename only yourself"));
    }
    let pool = ctx.require::<sqlx::AnyPool>()?;
    let changed = sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name.trim())
        .bind(user_id)
        .execute(&pool)
        .await
        .map_err(db_error)?
        .rows_affected();
    if changed == 0 {
        return Err(MizanError::not_found(format!("no user with id {user_id}")));
    }
    // Their open sockets act under the old name (chat messages carry it): they reconnect.
    ctx.user_changed(user_id);
    load_profile(&pool, user_id, true).await
}

/// Renames the signed-in user. It has no `user_id` argument, so nothing scopes its `affects`:
/// every `user_profile` instance refreshes (the server cannot tell which one shows this user).
#[client(auth, affects = [user_profile, current_user, user_directory])]
pub async fn update_my_name(
    ctx: RequestContext,
    /// The new name.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    name: String,
) -> Result<UserProfile, MizanError> {
    let user_id = ctx.user_id().ok_or_else(MizanError::internal)?;
    update_name(user_id, name).await
}

/// The rename form without JavaScript: a view function that renames, then redirects back to the
/// profile. Same rule and same scoped invalidation as [`update_name`], on the view path.
#[client(view, auth, affects = [user_profile, current_user, user_directory])]
pub async fn rename_form(
    /// Whose name.
    user_id: UserId,
    /// The new name.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    name: String,
) -> Result<axum::response::Response, MizanError> {
    use axum::response::IntoResponse;
    update_name(user_id, name).await?;
    Ok(axum::response::Redirect::to(&format!("/users/{user_id}")).into_response())
}

/// The profile of `user_id`, with its email when `with_email` (the caller may see it).
#[cfg(feature = "ssr")]
async fn load_profile(
    pool: &sqlx::AnyPool,
    user_id: i64,
    with_email: bool,
) -> Result<UserProfile, MizanError> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    row.map(|(user_id, name, email)| UserProfile {
        user_id,
        name,
        email: with_email.then_some(email),
    })
    .ok_or_else(|| MizanError::not_found(format!("no user with id {user_id}")))
}
