//! Misuse of `#[client]` and `#[derive(Form)]` is a clear compile error, one message per mistake
//! (the `.stderr` files are the expected output).

/// Mistakes the macro itself sees; these cases compile against `mizan-macros` alone.
#[test]
fn misuse_the_macro_sees_gives_one_message_per_mistake() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/fail/*.rs");
}

/// Mistakes only type checking sees (`affects` naming something that is not a context); these
/// cases compile against `mizan` without `ssr`, the smallest build that shows them.
#[test]
fn misuse_only_types_reveal_gives_one_message() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/fail-typed/*.rs");
}
