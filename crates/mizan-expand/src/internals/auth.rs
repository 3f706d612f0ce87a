//! The `auth` option of both macros: who may call the function or submit the form.

use syn::{Expr, spanned::Spanned};

use super::ctxt::Ctxt;

/// Who may call.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// `auth`: a signed-in user.
    SignedIn,
    /// `auth = staff`.
    Staff,
    /// `auth = path::to::check`.
    Check(syn::Path),
}

/// Parses `auth` written alone (`value` is `None`) or `auth = value`. A value that is neither
/// `staff` nor a path is reported to `cx`, and gives `None`.
///
/// `auth(...)` never reaches here: each macro reports it among its unknown options.
pub fn parse(cx: &Ctxt, value: Option<&Expr>) -> Option<Auth> {
    match value {
        None => Some(Auth::SignedIn),
        Some(Expr::Path(path)) if path.qself.is_none() => {
            if path.path.is_ident("staff") {
                Some(Auth::Staff)
            } else {
                Some(Auth::Check(path.path.clone()))
            }
        }
        Some(other) => {
            cx.error_at(
                other.span(),
                "`auth = ...` takes `staff` or the path of an async check function, \
                 e.g. `auth = crate::auth::is_owner`",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule, or the messages of the errors it gave.
    fn parsed(value: Option<&str>) -> Result<Option<Auth>, Vec<String>> {
        let value: Option<Expr> = value.map(|text| syn::parse_str(text).expect("an expression"));
        let cx = Ctxt::new();
        let auth = parse(&cx, value.as_ref());
        match cx.check() {
            Ok(()) => Ok(auth),
            Err(error) => Err(error.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    #[test]
    fn each_form_of_auth() {
        assert_eq!(parsed(None), Ok(Some(Auth::SignedIn)));
        assert_eq!(parsed(Some("staff")), Ok(Some(Auth::Staff)));
        let check = syn::parse_str("crate::auth::is_owner").expect("a path");
        assert_eq!(
            parsed(Some("crate::auth::is_owner")),
            Ok(Some(Auth::Check(check)))
        );
    }

    #[test]
    fn a_value_that_is_not_a_path_is_one_error() {
        for value in ["\"staff\"", "1", "<T as X>::check"] {
            let errors = parsed(Some(value)).expect_err(value);
            assert_eq!(errors.len(), 1, "{value}: {errors:?}");
            assert!(errors[0].starts_with("`auth = ...` takes `staff` or the path"));
        }
    }
}
