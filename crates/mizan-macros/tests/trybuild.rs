//! Misuse of `#[client]` is one clear compile error (the `.stderr` files are the expected output).

#[test]
fn misuse_fails_to_compile_with_one_clear_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/fail/*.rs");
}
