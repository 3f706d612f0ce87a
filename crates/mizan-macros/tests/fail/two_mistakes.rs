use mizan_macros::client;

// Two independent mistakes (an unknown option, a borrowed argument): each has its own message,
// in one build, and the call below adds nothing: the function is re-emitted after the errors.
#[client(cache)]
pub async fn shout(text: &str) -> Result<String, String> {
    Ok(text.to_uppercase())
}

fn main() {
    let _ = shout("hello");
}
