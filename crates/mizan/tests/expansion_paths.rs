//! The paths the macros write into generated code are the ones the runtime serves.
//!
//! `mizan-expand` cannot depend on `mizan` (the macros are a dependency of it), so it repeats the
//! prefixes; this test holds each copy equal to `mizan::protocol`'s. (Native only: the macros
//! run on the build machine, and `mizan-expand` is not a dependency of the wasm build.)
#![cfg(not(target_arch = "wasm32"))]

use mizan_expand::internals::paths;

#[test]
fn function_endpoints_are_under_the_protocol_prefix() {
    assert_eq!(paths::FUNCTION_PREFIX, mizan::protocol::FUNCTION_PREFIX);
}

#[test]
fn form_endpoints_are_under_the_protocol_prefix() {
    assert_eq!(paths::FORM_PREFIX, mizan::protocol::FORM_PREFIX);
}
