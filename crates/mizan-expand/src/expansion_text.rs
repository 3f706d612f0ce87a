//! How the expansion tests read generated code: formatted like source, and the messages of its
//! `compile_error!`s.

use proc_macro2::TokenStream;

/// `out`, formatted like source (the snapshots are the spec of the generated code). A
/// `server_items! { .. }` call, which prettyplease would leave on one line, is shown as a module
/// of that name, so the server items read like the rest.
pub(crate) fn pretty(out: &TokenStream) -> String {
    let mut file = syn::parse_file(&out.to_string())
        .unwrap_or_else(|error| panic!("the expansion is not a file ({error}): {out}"));
    file.items = file
        .items
        .into_iter()
        .map(|item| match item {
            syn::Item::Macro(call)
                if call
                    .mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|segment| segment.ident == "server_items") =>
            {
                let inner: syn::File =
                    syn::parse2(call.mac.tokens.clone()).expect("server_items! holds items");
                let (attrs, items) = (call.attrs, inner.items);
                syn::parse_quote!(#(#attrs)* mod server_items { #(#items)* })
            }
            other => other,
        })
        .collect();
    prettyplease::unparse(&file)
}

/// The messages of `out`'s `compile_error!`s, in order.
pub(crate) fn compile_errors(out: &TokenStream) -> Vec<String> {
    let file = syn::parse_file(&out.to_string()).expect("the expansion is a file");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(mac) if mac.mac.path.segments.last()?.ident == "compile_error" => {
                Some(
                    mac.mac
                        .parse_body::<syn::LitStr>()
                        .expect("a message")
                        .value(),
                )
            }
            _ => None,
        })
        .collect()
}
