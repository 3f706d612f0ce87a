use mizan_macros::client;

#[client(context = shared)]
pub async fn current_user() -> Result<u32, MizanError> {
    Ok(1)
}

fn main() {}
