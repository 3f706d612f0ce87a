use mizan_macros::client;

#[client(context = global, public, auth)]
pub async fn site_settings() -> Result<u32, MizanError> {
    Ok(1)
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
