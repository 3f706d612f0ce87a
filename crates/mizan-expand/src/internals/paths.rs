//! The runtime's paths the generated code names, written once for both macros.
//!
//! `mizan` depends on this crate (through `mizan-macros`), so it cannot be read from here: each
//! constant repeats one of `mizan::protocol`, and `crates/mizan/tests/expansion_paths.rs` holds
//! them equal.

/// Prefix of every `#[client]` function's own endpoint, `POST /api/mizan/fn/<name>`; equal to
/// `mizan::protocol::FUNCTION_PREFIX`.
pub const FUNCTION_PREFIX: &str = "/api/mizan/fn";

/// Prefix of every form's endpoint, `POST /api/mizan/form/<name>`; equal to
/// `mizan::protocol::FORM_PREFIX`.
pub const FORM_PREFIX: &str = "/api/mizan/form/";

/// The endpoint of the `#[client]` function `name`.
pub fn function_endpoint(name: &str) -> String {
    // The runtime's function prefix has no trailing slash (server_fn adds one).
    format!("{FUNCTION_PREFIX}/{name}")
}

/// The endpoint of the form `name`.
pub fn form_endpoint(name: &str) -> String {
    format!("{FORM_PREFIX}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_the_prefix_and_the_name() {
        assert_eq!(
            function_endpoint("update_name"),
            "/api/mizan/fn/update_name"
        );
        assert_eq!(form_endpoint("contact"), "/api/mizan/form/contact");
    }
}
