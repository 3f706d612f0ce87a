//! `#[derive(Form)]`: a struct as a form. Like `#[client]`, in passes: the options and the rules
//! ([`attributes`]), the struct taken apart ([`analysis`]), what they must agree on ([`checks`]),
//! every mistake going to one [`Ctxt`]; then, when there is none, the items ([`generate`]).
//! Layers: `attributes` ← `analysis` ← `checks` ← `generate` ← this module; all of them on
//! [`internals`](crate::internals), shared with `#[client]` (the error context, `auth`,
//! `affects`, the registry entry, the paths).

pub mod analysis;
pub mod attributes;
pub mod checks;
pub mod generate;

use proc_macro2::TokenStream;

use crate::internals::Ctxt;

/// The whole expansion of `#[derive(Form)]` on `input`: the items, or one `compile_error!` per
/// mistake.
pub fn expand(input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => {
            cx.push(error);
            return cx
                .check()
                .err()
                .map(|e| e.into_compile_error())
                .unwrap_or_default();
        }
    };
    let options = attributes::form_options(&cx, &input.attrs);
    let shape = analysis::analyze(&cx, &input);
    checks::check(&cx, &shape);
    checks::check_auth(&cx, &options);
    checks::check_redirect(&cx, &options);
    checks::check_name(&cx, &options, &generate::form_name(&options, &shape));
    match cx.check() {
        Ok(()) => generate::generate(&options, &shape),
        Err(errors) => errors.into_compile_error(),
    }
}

#[cfg(test)]
mod tests;
