use mizan_macros::client;

#[client]
pub fn echo(text: String) -> Result<String, MizanError> {
    Ok(text)
}

fn main() {}
