use mizan_macros::client;

#[client]
pub async fn count() -> u32 {
    1
}

fn main() {}
