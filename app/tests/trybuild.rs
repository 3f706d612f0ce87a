//! `#[client]` in the shapes a user writes compiles; misuse that only type checking can see
//! (`affects` naming something that is not a context) fails with one clear error. Misuse the
//! macro itself refuses is tested in mizan-macros.
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn supported_shapes_compile_and_affects_names_only_contexts() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/pass/*.rs");
    cases.compile_fail("tests/fail/*.rs");
}
