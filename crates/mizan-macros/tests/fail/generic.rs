use mizan_macros::client;

#[client]
pub async fn echo<T>(value: T) -> Result<T, MizanError> {
    Ok(value)
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
