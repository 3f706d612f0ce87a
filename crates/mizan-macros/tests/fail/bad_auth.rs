use mizan_macros::client;

#[client(auth = "staff")]
pub async fn report() -> Result<u32, MizanError> {
    Ok(1)
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
