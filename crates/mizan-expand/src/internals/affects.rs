//! The `affects` option of both macros: the contexts a successful call invalidates.

use syn::{Expr, spanned::Spanned};

use super::ctxt::Ctxt;

/// Parses the value of `affects = [a, path::to::b]`: the contexts, each once. Each mistake is
/// reported to `cx` and the paths that parsed are still returned.
pub fn parse(cx: &Ctxt, value: &Expr) -> Vec<syn::Path> {
    let Expr::Array(array) = value else {
        cx.error_at(
            value.span(),
            "`affects = ...` takes a list of contexts: `affects = [user_profile, current_user]`",
        );
        return Vec::new();
    };
    let mut paths: Vec<syn::Path> = Vec::new();
    for element in &array.elems {
        match element {
            Expr::Path(path) if path.qself.is_none() => {
                if paths.contains(&path.path) {
                    cx.error_at(element.span(), "this context is listed twice in `affects`");
                } else {
                    paths.push(path.path.clone());
                }
            }
            other => cx.error_at(
                other.span(),
                "`affects` lists context functions by name or path, e.g. `user_profile`",
            ),
        }
    }
    if array.elems.is_empty() {
        cx.error_at(
            value.span(),
            "`affects = []` declares nothing; list the contexts the call changes or drop it",
        );
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paths as text, or the messages of the errors they gave.
    fn parsed(value: &str) -> Result<Vec<String>, Vec<String>> {
        let value: Expr = syn::parse_str(value).expect("an expression");
        let cx = Ctxt::new();
        let paths = parse(&cx, &value);
        match cx.check() {
            Ok(()) => Ok(paths
                .iter()
                .map(|path| quote::quote!(#path).to_string())
                .collect()),
            Err(error) => Err(error.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    #[test]
    fn names_and_paths_in_order() {
        assert_eq!(
            parsed("[user_profile, crate::profiles::current_user]"),
            Ok(vec![
                "user_profile".to_owned(),
                "crate :: profiles :: current_user".to_owned()
            ])
        );
    }

    #[test]
    fn each_misuse_has_its_message() {
        let cases = [
            ("user_profile", "takes a list of contexts"),
            ("[]", "declares nothing"),
            ("[a, a]", "listed twice"),
            ("[\"a\"]", "by name or path"),
            ("[<T as X>::a]", "by name or path"),
        ];
        for (value, expected) in cases {
            let errors = parsed(value).expect_err(value);
            assert_eq!(errors.len(), 1, "{value}: {errors:?}");
            assert!(errors[0].contains(expected), "{value}: {errors:?}");
        }
    }
}
