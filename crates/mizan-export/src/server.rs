//! `generated.server.ts`: what a server-rendering app needs: the global contexts and a typed
//! prefetch of their values into the hydration payload `<MizanContext>` reads.

use std::fmt::Write;

use crate::{
    HEADER, RUNTIME_PACKAGE,
    functions::{Function, FunctionKind},
};

/// The file's contents.
pub fn emit(functions: &[Function]) -> String {
    let globals: Vec<&str> = functions
        .iter()
        .filter(|function| function.kind == (FunctionKind::Context { global: true }))
        .map(|function| function.name.as_str())
        .collect();
    let mut out = String::from(HEADER);
    let _ = write!(
        out,
        "\nimport {{\n  prefetchContexts,\n  type MizanClientOptions,\n  type MizanHydration,\n\
         }} from '{RUNTIME_PACKAGE}/core';\n\
         \n/** The global contexts: one instance each, rendered into the page by the server. */\n\
         export const GLOBAL_CONTEXTS = [{}] as const;\n",
        globals
            .iter()
            .map(|name| format!("'{name}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str(
        "\n/**\n * For a Node server that renders the React app itself: fetches every global \
         context as the\n * request's user (pass its `Cookie` header in `options.headers`) and \
         returns the payload to\n * give `<MizanContext hydration={...}>`, so the first render \
         makes no context request.\n * (The Rust server does this itself for the app it \
         serves.)\n */\nexport function prefetchMizanHydration(options: MizanClientOptions): \
         Promise<MizanHydration> {\n  return prefetchContexts(GLOBAL_CONTEXTS, options);\n}\n",
    );
    out
}
