use mizan_macros::client;

#[client]
pub async fn echo(text: &str) -> Result<String, MizanError> {
    Ok(text.to_owned())
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
