use mizan_macros::client;

#[client(cache)]
pub async fn echo(text: String) -> Result<String, MizanError> {
    Ok(text)
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
