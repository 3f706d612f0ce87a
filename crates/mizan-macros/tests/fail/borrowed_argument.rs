use mizan_macros::client;

#[client]
pub async fn echo(text: &str) -> Result<String, MizanError> {
    Ok(text.to_owned())
}

fn main() {}
