//! Small functions that show the call path itself: echo, and a deliberate panic (off unless the
//! server turns it on).

use mizan::{MizanError, client};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest text `echo` accepts.
pub const ECHO_MAX_CHARS: u64 = 200;

/// What `echo` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EchoOutput {
    /// The text sent, unchanged.
    pub message: String,
}

/// Answers with the text it was given (at most 200 characters). Also callable over the socket.
#[client(websocket)]
pub async fn echo(
    /// Any text up to 200 characters.
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    text: String,
) -> Result<EchoOutput, MizanError> {
    Ok(EchoOutput { message: text })
}

/// Panics on purpose: shows that a panic becomes `INTERNAL_ERROR` and the server keeps serving.
/// The example's server switches it off (it answers `NOT_FOUND`, like a function that does not
/// exist, and is in neither document) unless started with the panic demo on ([`DemoOptions`]).
#[client]
pub async fn crash_test() -> Result<(), MizanError> {
    panic!("crash_test panicked on purpose")
}

/// What the example's server turns on for demonstrations and tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoOptions {
    /// Serve [`crash_test`] (`MIZAN_DEMO_PANIC=1`); off by default, so a release build does not
    /// offer a public way to make it log panics.
    pub panic_demo: bool,
    /// How long a rename by someone who is not staff waits before it runs
    /// (`MIZAN_DEMO_SLOW_RENAMES_MS`); none by default. It lets a person, or a browser test,
    /// watch an optimistic patch while its call is pending; staff renames are not slowed, so a
    /// second client can change the same profile meanwhile.
    pub slow_renames: Option<std::time::Duration>,
}
