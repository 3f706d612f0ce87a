//! `x` itself: the typed caller, in-process on the server and over HTTP in the browser.

use proc_macro2::TokenStream;
use quote::quote;

use crate::client::client_fn::ClientFn;

impl ClientFn {
    /// `async fn x(a: A, ..) -> Result<Out, E>`, with the user's attributes and return type as
    /// written (so the user's own imports stay in use).
    ///
    /// A context is fetched in batches in the browser: everything asked for in one tick is one
    /// request; a `websocket` function goes over the tab's socket when it is open.
    pub fn caller(&self) -> TokenStream {
        let vis = self.vis();
        let attrs = &self.shape.item.attrs;
        let names = &self.names;
        let (function, args, def, body_fn) =
            (&names.function, &names.args, &names.def, &names.body_fn);
        let output = &self.shape.item.sig.output;
        let params = self.shape.params.iter().map(|param| {
            let ident = &param.ident;
            let ty = &param.ty;
            quote!(#ident: #ty)
        });
        let idents = self.param_idents();
        let remote = if self.context().is_some() {
            let text = &names.text;
            quote!(::mizan::__private::fetch_batched(#text, &args).await)
        } else if self.options.websocket {
            // Over the tab's socket when it is open, else the function's own endpoint.
            let (text, endpoint_fn) = (&names.text, &names.endpoint_fn);
            quote!(::mizan::__private::call_socket_or_remote(#text, &args, #endpoint_fn).await)
        } else {
            let endpoint_fn = &names.endpoint_fn;
            quote!(::mizan::__private::call_remote(&args, #endpoint_fn).await)
        };
        quote! {
            #(#attrs)*
            #vis async fn #function(#(#params),*) #output {
                let args = #args { #(#idents),* };
                #[cfg(feature = "ssr")]
                {
                    ::mizan::__private::on_server!(
                        ::mizan::__private::call_in_process(&#def, args, #body_fn).await
                    )
                }
                #[cfg(not(feature = "ssr"))]
                {
                    #remote
                }
            }
        }
    }
}
