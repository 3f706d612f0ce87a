use mizan_macros::client;

#[client(auth = "staff")]
pub async fn report() -> Result<u32, MizanError> {
    Ok(1)
}

fn main() {}
