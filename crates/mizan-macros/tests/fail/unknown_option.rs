use mizan_macros::client;

#[client(cache)]
pub async fn echo(text: String) -> Result<String, MizanError> {
    Ok(text)
}

fn main() {}
