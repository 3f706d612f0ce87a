//! Rebuilds the app when a migration is added: `sqlx::migrate!` embeds `migrations/` at compile
//! time, and a new file alone would not otherwise make cargo rebuild this crate.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
