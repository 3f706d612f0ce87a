//! The example's forms: a contact form that stores its messages, a sign-up form whose "already
//! registered" error only the server can know, a log-in form that goes home once signed in, and a
//! password change confirmed by a second field. One struct each: the server's rules, the
//! browser's, and the schema both frontends render from.

use mizan::Form;
#[cfg(feature = "ssr")]
use mizan::{
    MizanError,
    server::{FormHandler, RequestContext, SignInGuard},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[cfg(feature = "ssr")]
use crate::users::db_error;

/// A message to the site's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate, Form)]
#[form(
    title = "Contact us",
    submit_label = "Send",
    success_message = "Thank you: your message was sent.",
    live_validation,
    output = ContactSent
)]
pub struct ContactForm {
    /// Who writes.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[field(label = "Your name")]
    pub name: String,
    /// Where to answer.
    #[validate(email(message = "must be an email address"))]
    #[field(label = "Your email")]
    pub email: String,
    /// What it is about: a text held to its choices (by the server and in both browsers, as a
    /// select's value always is).
    #[field(widget = select, choices = [("general", "General"), ("billing", "Billing"), ("feedback", "Feedback")])]
    pub topic: String,
    /// The message.
    #[validate(length(min = 1, max = 2000, message = "must be 1 to 2000 characters"))]
    #[field(widget = textarea, help = "At most 2000 characters.")]
    pub message: String,
}

/// A new contact form: empty, about `general`.
impl Default for ContactForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            email: String::new(),
            topic: "general".to_owned(),
            message: String::new(),
        }
    }
}

/// A stored contact message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContactSent {
    /// The message's id.
    pub id: i64,
}

#[cfg(feature = "ssr")]
impl FormHandler for ContactForm {
    async fn on_submit_success(self, ctx: RequestContext) -> Result<ContactSent, MizanError> {
        let pool = ctx.require::<sqlx::AnyPool>()?;
        let id = sqlx::query_scalar(
            "INSERT INTO contact_messages (name, email, topic, message) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(self.name.trim())
        .bind(self.email.trim())
        .bind(self.topic.as_str())
        .bind(&self.message)
        .fetch_one(&pool)
        .await
        .map_err(db_error)?;
        Ok(ContactSent { id })
    }
}

/// A new account; the visitor is signed in as it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, Validate, Form)]
#[form(
    title = "Create an account",
    submit_label = "Sign up",
    success_message = "Welcome: you are signed in.",
    output = SignedUp,
    affects = [crate::profiles::current_user, crate::profiles::site_stats, crate::profiles::user_directory]
)]
pub struct SignUpForm {
    /// Display name.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub name: String,
    /// Email address, the account's login.
    #[validate(email(message = "must be an email address"))]
    pub email: String,
    /// At least 8 characters.
    #[validate(length(min = 8, max = 128, message = "must be 8 to 128 characters"))]
    #[field(widget = password)]
    pub password: String,
}

/// The account just created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SignedUp {
    /// Its user id.
    pub user_id: i64,
}

#[cfg(feature = "ssr")]
impl FormHandler for SignUpForm {
    async fn on_submit_success(self, ctx: RequestContext) -> Result<SignedUp, MizanError> {
        let pool = ctx.require::<sqlx::AnyPool>()?;
        let email = self.email.trim().to_lowercase();
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&pool)
            .await
            .map_err(db_error)?;
        if taken.is_some() {
            return Err(MizanError::invalid_field("email", "is already registered"));
        }
        // Anyone may sign up and each costs a hash: at most so many per client address.
        let hash = ctx
            .require::<SignInGuard>()?
            .hash_for_sign_up(ctx.peer().map(|peer| peer.addr()), &self.password)
            .await?;
        let inserted = sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&email)
        .bind(self.name.trim())
        .bind(hash)
        .fetch_one(&pool)
        .await;
        let user_id = match inserted {
            Ok(id) => id,
            // Registered between the check and the insert: the same answer.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Err(MizanError::invalid_field("email", "is already registered"));
            }
            Err(error) => return Err(db_error(error)),
        };
        ctx.sign_in(user_id).await?;
        Ok(SignedUp { user_id })
    }
}

/// Signs in with email and password, then goes to the home page (with or without JavaScript).
/// Signing in changes who every per-user context answers for: `current_user` and the staff's
/// `user_directory`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, Validate, Form)]
#[form(
    title = "Log in",
    submit_label = "Log in",
    redirect = "/",
    affects = [crate::profiles::current_user, crate::profiles::user_directory]
)]
pub struct LogInForm {
    /// The account's email address.
    #[validate(email(message = "must be an email address"))]
    pub email: String,
    /// Its password (at most 128 characters, as sign-up allows).
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    #[field(widget = password)]
    pub password: String,
}

#[cfg(feature = "ssr")]
impl FormHandler for LogInForm {
    async fn on_submit_success(self, ctx: RequestContext) -> Result<(), MizanError> {
        match crate::accounts::check_password(&ctx, &self.email, &self.password).await? {
            Some((user_id, _)) => ctx.sign_in(user_id).await,
            None => Err(crate::accounts::wrong_password()),
        }
    }
}

/// A new password for the signed-in user, typed twice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, Validate, Form)]
#[form(
    auth,
    title = "Change your password",
    submit_label = "Change password",
    success_message = "Your password was changed."
)]
pub struct ChangePasswordForm {
    /// The new password.
    #[validate(length(min = 8, max = 128, message = "must be 8 to 128 characters"))]
    #[field(widget = password, label = "New password")]
    pub password: String,
    /// The same again: a typing mistake would lock the user out.
    #[validate(must_match(other = "password", message = "does not match the new password"))]
    #[field(widget = password, label = "New password again")]
    pub confirmation: String,
}

#[cfg(feature = "ssr")]
impl FormHandler for ChangePasswordForm {
    async fn on_submit_success(self, ctx: RequestContext) -> Result<(), MizanError> {
        // `auth`: only a signed-in visitor gets here.
        let user_id = ctx.user_id().ok_or_else(MizanError::internal)?;
        let hash = mizan::server::hash_password(&self.password).await?;
        let pool = ctx.require::<sqlx::AnyPool>()?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
