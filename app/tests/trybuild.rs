//! `#[client]` in the shapes a user writes compiles (the failing shapes are in mizan-macros).
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn supported_shapes_compile() {
    trybuild::TestCases::new().pass("tests/pass/*.rs");
}
