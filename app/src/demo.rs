//! Small functions that show the call path itself: echo, and a deliberate panic (off unless the
//! server turns it on).

#[cfg(feature = "ssr")]
use mizan::server::RequestContext;
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
/// Answers `NOT_FOUND`, like a function that does not exist, unless the server was started with
/// the panic demo on ([`DemoOptions`]).
#[client(auth = panic_demo_enabled)]
pub async fn crash_test() -> Result<(), MizanError> {
    panic!("crash_test panicked on purpose")
}

/// What the example's server turns on for demonstrations and tests; a request extension.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoOptions {
    /// Serve [`crash_test`] (`MIZAN_DEMO_PANIC=1`); off by default, so a release build does not
    /// offer a public way to make it log panics.
    pub panic_demo: bool,
}

/// The check of [`crash_test`]: only when the panic demo is on.
#[cfg(feature = "ssr")]
pub async fn panic_demo_enabled(ctx: &RequestContext) -> Result<(), MizanError> {
    match ctx.extension::<DemoOptions>() {
        Some(options) if options.panic_demo => Ok(()),
        _ => Err(MizanError::not_found("no function named `crash_test`")),
    }
}
