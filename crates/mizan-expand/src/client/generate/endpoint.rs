//! How the function is reached over HTTP: its server_fn endpoint, or a view's path.

use proc_macro2::TokenStream;
use quote::quote;

use crate::{client::client_fn::ClientFn, internals::paths::FUNCTION_PREFIX};

impl ClientFn {
    /// `mizan_endpoint_x`: the server_fn endpoint at `POST /api/mizan/fn/x`, which runs the
    /// pipeline directly (not through the registry's boxed entry). Its client is mizan's, which
    /// reads the answer's identity header (a sign-in reopens the tab's socket).
    pub fn endpoint(&self) -> TokenStream {
        let names = &self.names;
        let (endpoint_fn, text, def, run_fn) =
            (&names.endpoint_fn, &names.text, &names.def, &names.run_fn);
        let doc = format!(
            "The server_fn endpoint of [`{text}`] (`POST {}`).",
            names.endpoint
        );
        quote! {
            #[doc = #doc]
            #[::leptos::server(
                prefix = #FUNCTION_PREFIX,
                endpoint = #text,
                input = ::leptos::server_fn::codec::Json,
                output = ::leptos::server_fn::codec::Json,
                client = ::mizan::__private::EndpointClient
            )]
            #[doc(hidden)]
            pub async fn #endpoint_fn(
                /// The arguments object, keyed by parameter name.
                #[server(default)]
                args: ::mizan::__private::RawArgs,
            ) -> ::core::result::Result<::mizan::__private::Envelope, ::mizan::MizanError> {
                ::mizan::__private::on_server!(
                    ::mizan::__private::serve_endpoint(&#def, args, #run_fn).await
                )
            }
        }
    }

    /// `X_PATH`: where a view answers; a view has no endpoint and no caller.
    pub fn view_path(&self) -> TokenStream {
        let vis = self.vis();
        let path_const = &self.names.path_const;
        let endpoint = &self.names.endpoint;
        let doc = format!(
            "Where the view function `{}` answers (`POST`).",
            self.names.text
        );
        quote! {
            #[doc = #doc]
            #vis const #path_const: &str = #endpoint;
        }
    }
}
