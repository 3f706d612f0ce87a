use mizan_macros::client;

#[client(context = shared)]
pub async fn current_user() -> Result<u32, MizanError> {
    Ok(1)
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
