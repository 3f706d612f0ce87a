use mizan_macros::client;

#[client]
pub async fn echo<T>(value: T) -> Result<T, MizanError> {
    Ok(value)
}

fn main() {}
