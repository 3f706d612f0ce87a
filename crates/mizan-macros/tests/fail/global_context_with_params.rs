use mizan_macros::client;

#[client(context = global)]
pub async fn user_profile(user_id: i64) -> Result<i64, MizanError> {
    Ok(user_id)
}

fn main() {}

/// The error type the signature names: the function is re-emitted after the error, so it resolves.
pub struct MizanError;
