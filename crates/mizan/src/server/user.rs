//! Who is calling: the app's user type as mizan sees it, how it is loaded, how it proved itself.

use std::{any::Any, sync::Arc};

use futures::future::BoxFuture;

use crate::error::MizanError;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_KEY: &str = "mizan.user_id";

/// The app's user, as mizan needs to see it. Downcast with
/// [`RequestContext::user_as`](super::RequestContext::user_as).
pub trait MizanUser: Any + Send + Sync {
    /// The user's id, as stored in the session and in a token's `sub`.
    fn id(&self) -> i64;
    /// Whether `#[client(auth = staff)]` functions are open to this user.
    fn is_staff(&self) -> bool;
}

/// What [`UserStore::load_user`] answers: the user, `None` when there is none (any more).
pub type LoadUser<'a> = BoxFuture<'a, Result<Option<Arc<dyn MizanUser>>, MizanError>>;

/// Loads users by id for the session and bearer-token paths.
pub trait UserStore: Send + Sync + 'static {
    /// The user with this id, or `None` when there is none (any more).
    fn load_user(&self, id: i64) -> LoadUser<'_>;
}

/// How the current user proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Nobody is signed in.
    Anonymous,
    /// The session cookie.
    Session,
    /// An `Authorization: Bearer` JWT.
    Bearer,
}
