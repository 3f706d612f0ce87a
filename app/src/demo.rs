//! Small functions that show the call path itself: echo, and a deliberate panic.

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

/// Answers with the text it was given (at most 200 characters).
#[client]
pub async fn echo(
    /// Any text up to 200 characters.
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    text: String,
) -> Result<EchoOutput, MizanError> {
    Ok(EchoOutput { message: text })
}

/// Panics on purpose: shows that a panic becomes `INTERNAL_ERROR` and the server keeps serving.
#[client]
pub async fn crash_test() -> Result<(), MizanError> {
    panic!("crash_test panicked on purpose")
}
