//! The generated items, one module per item; [`ClientFn::generate`] puts them together.
//!
//! Everything generated reaches mizan through `::mizan::__private`, `::mizan::MizanError`,
//! `::mizan::Context` and `::mizan::ContextHandle` only; Leptos through `::leptos`.

pub mod args;
pub mod caller;
pub mod endpoint;
pub mod hook;
pub mod marker;
pub mod registry;
pub mod stub;

use proc_macro2::TokenStream;
use quote::quote;

pub use stub::stub;

use super::client_fn::ClientFn;

impl ClientFn {
    /// Every generated item: for a view, its path instead of an endpoint and a caller.
    pub fn generate(&self) -> TokenStream {
        let args = self.args_struct();
        let validate = self.validate_impl();
        let marker = self.marker();
        let registry = self.registry();
        if self.is_view() {
            let path = self.view_path();
            return quote! {
                #args
                #validate
                #marker
                #registry
                #path
            };
        }
        let hook = self.hook().or_else(|| self.mutation_hook());
        let endpoint = self.endpoint();
        let caller = self.caller();
        quote! {
            #args
            #validate
            #marker
            #registry
            #hook
            #endpoint
            #caller
        }
    }
}
