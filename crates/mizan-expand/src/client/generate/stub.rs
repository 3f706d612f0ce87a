//! The function re-emitted without its body, after errors: its callers still find it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, ItemFn};

/// `item` with the same attributes, visibility, name and signature, but no attribute on its
/// params (`#[validate]` and the like are not attributes there) and `unimplemented!()` for a
/// body. It mentions nothing of mizan, so it compiles wherever the user's signature does.
pub fn stub(item: &ItemFn) -> TokenStream {
    let mut item = item.clone();
    for input in &mut item.sig.inputs {
        match input {
            FnArg::Typed(typed) => typed.attrs.clear(),
            FnArg::Receiver(receiver) => receiver.attrs.clear(),
        }
    }
    let attrs = &item.attrs;
    let vis = &item.vis;
    let sig = &item.sig;
    quote! {
        #(#attrs)*
        #[allow(unused_variables)]
        #vis #sig {
            ::core::unimplemented!()
        }
    }
}
