//! `generated.hooks.tsx`: per function its types, its entry in the `mizan` object (TanStack
//! Query options and keys) and its hooks; then `<MizanContext>`, the one provider, which opens
//! the tab's socket when the app has something for it (a context to watch, a channel, a
//! websocket function).

use std::fmt::Write;

use crate::{
    HEADER, REALTIME_ENTRY, RUNTIME_PACKAGE,
    functions::{Function, FunctionKind},
    names,
};

/// The runtime's names the file uses, in import order: only those of the kinds of function
/// the app has, since an unused import fails `noUnusedLocals`.
fn runtime_imports(callable: &[&Function]) -> Vec<&'static str> {
    let has = |wanted: fn(FunctionKind) -> bool| callable.iter().any(|f| wanted(f.kind));
    let queries = has(|kind| kind == FunctionKind::Query);
    let mutations = has(|kind| kind == FunctionKind::Mutation);
    let contexts = has(|kind| matches!(kind, FunctionKind::Context { .. }));
    let patched = callable
        .iter()
        .any(|function| names::affects_type(function).is_some());
    [
        ("MizanProvider", true),
        ("defineContext", contexts),
        ("defineMutation", mutations),
        ("defineQuery", queries),
        ("useMizanCall", queries || mutations),
        ("useMizanMutation", queries || mutations),
        ("useMizanQuery", queries || contexts),
        ("type MizanCallOptions", patched),
        ("type MizanProviderProps", true),
    ]
    .into_iter()
    .filter_map(|(name, used)| used.then_some(name))
    .collect()
}

/// Whether the app needs the socket: a context to keep live, a websocket function to call over
/// it, or a channel (`has_channels`). Without any the provider opens none, and the app does not
/// carry the realtime entry.
fn needs_socket(callable: &[&Function], has_channels: bool) -> bool {
    has_channels
        || callable.iter().any(|function| {
            function.websocket || matches!(function.kind, FunctionKind::Context { .. })
        })
}

/// The file's contents; `has_channels`: whether the app has channels (they need the socket).
pub fn emit(functions: &[Function], has_channels: bool) -> String {
    let callable: Vec<&Function> = functions
        .iter()
        .filter(|function| function.kind != FunctionKind::View)
        .collect();
    let socket = needs_socket(&callable, has_channels);
    let mut out = String::from(HEADER);
    let _ = write!(
        out,
        "\nimport type {{ ReactNode }} from 'react';\nimport {{\n  {},\n}} from '{RUNTIME_PACKAGE}';\n",
        runtime_imports(&callable).join(",\n  ")
    );
    if socket {
        let _ = writeln!(out, "import {{ openSocket }} from '{REALTIME_ENTRY}';");
    }
    if !callable.is_empty() {
        out.push_str("\nimport type { operations } from './generated.mizan';\n");
    }
    for function in &callable {
        let [args, result] = names::types(function);
        let name = &function.name;
        let _ = write!(
            out,
            "\n/** What `{name}` is called with. */\nexport type {args} = operations['{name}']['args'];\n\
             /** What `{name}` answers. */\nexport type {result} = operations['{name}']['result'];\n"
        );
        if let Some(affects) = names::affects_type(function) {
            let values: Vec<String> = function
                .affects
                .iter()
                .map(|context| {
                    let [_, value] = names::types_of(context);
                    format!("{context}: {value}")
                })
                .collect();
            let _ = write!(
                out,
                "/** The contexts `{name}` refreshes, and the value of each: what its optimistic \
                 patches change. */\nexport type {affects} = {{ {} }};\n",
                values.join("; ")
            );
        }
    }
    out.push_str(
        "\n/**\n * Every function, for TanStack Query users: `mizan.<fn>.queryOptions(args)`,\n \
         * `.mutationOptions()`, `.key(params)`. Keys are `['mizan', name, params]`: stable, and\n \
         * what the server's invalidations are matched against.\n */\nexport const mizan = {\n",
    );
    for function in &callable {
        let [args, result] = names::types(function);
        let name = &function.name;
        doc(&mut out, "  ", function.summary.as_deref());
        let affects = names::affects_type(function);
        let mut settings = Vec::new();
        if function.websocket {
            settings.push("websocket: true".to_owned());
        }
        if affects.is_some() {
            let quoted: Vec<String> = function
                .affects
                .iter()
                .map(|context| format!("'{context}'"))
                .collect();
            settings.push(format!("affects: [{}]", quoted.join(", ")));
        }
        let options = if settings.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", settings.join(", "))
        };
        let types = match &affects {
            Some(affects) => format!("{args}, {result}, {affects}"),
            None => format!("{args}, {result}"),
        };
        let definition = match function.kind {
            FunctionKind::Query => format!("defineQuery<{types}>('{name}'{options})"),
            FunctionKind::Mutation => {
                format!("defineMutation<{types}>('{name}'{options})")
            }
            FunctionKind::Context { global } => {
                format!("defineContext<{args}, {result}>('{name}', {{ global: {global} }})")
            }
            FunctionKind::View => continue,
        };
        let _ = writeln!(out, "  {name}: {definition},");
    }
    out.push_str("} as const;\n");
    for function in &callable {
        hooks(&mut out, function);
    }
    // A package linked from a folder (npm's default for `file:`) resolves its imports from its
    // own folder: there TypeScript finds no React, and every type mizan-react has from React or
    // TanStack Query silently becomes `any`. The provider then asks for a prop whose name says
    // what to do, so the app fails to compile instead. `ReactNode` (with `undefined` among its
    // members) has no key; an unresolved type has every key: `keyof` tells them apart where a
    // conditional on the unresolved type itself would stay unresolved.
    out.push_str(
        "\n/**\n * `unknown` when mizan-react's declarations see React's types. A package linked \
         from a folder\n * (npm's default for `file:`) looks for them in its own folder, where \
         there are none, and\n * every type it has from React or TanStack Query would be `any`: \
         then `<MizanContext>` asks\n * for a prop named after the fix.\n */\n\
         type ReactTypesSeen = [keyof MizanProviderProps['children']] extends [never]\n  \
         ? unknown\n  \
         : { 'mizan-react cannot see React: set \"preserveSymlinks\": true in tsconfig, or \
         install it with --install-links': never };\n\
         \n/** mizan's one provider: the client, TanStack Query, the hydrated contexts and the\n \
         * invalidations the server sends. Put it once around the app. */\n\
         export function MizanContext(props: MizanProviderProps & ReactTypesSeen): ReactNode {\n",
    );
    out.push_str(if socket {
        "  return <MizanProvider socket={openSocket} {...props} />;\n}\n"
    } else {
        "  return <MizanProvider {...props} />;\n}\n"
    });
    out
}

/// The hooks of one function.
fn hooks(out: &mut String, function: &Function) {
    let [args, _] = names::types(function);
    let name = &function.name;
    let hook_names = names::hooks(function);
    let summary = comment(function.summary.as_deref().unwrap_or(name));
    match function.kind {
        FunctionKind::Query | FunctionKind::Mutation => {
            // A function that affects contexts takes optimistic patches of them.
            let (params, options, patches) = match names::affects_type(function) {
                Some(affects) => (
                    format!("options?: MizanCallOptions<{args}, {affects}>"),
                    ", options",
                    " `options.optimistic`: patches of what it affects, shown until its refresh \
                     lands.",
                ),
                None => (String::new(), "", ""),
            };
            let _ = write!(
                out,
                "\n/** `{name}` as a typed async function: {summary}{patches} */\n\
                 export function {call}({params}) {{\n  return useMizanCall(mizan.{name}{options});\n}}\n\
                 \n/** `{name}` with TanStack Query's mutation state (`mutate`, `isPending`, \
                 `error`, ...).{patches} */\n\
                 export function {mutation}({params}) {{\n  \
                 return useMizanMutation(mizan.{name}{options});\n}}\n",
                call = hook_names[0],
                mutation = hook_names[1],
            );
            if function.kind == FunctionKind::Query {
                let params = if function.params.is_empty() {
                    format!("args: {args} = {{}}")
                } else {
                    format!("args: {args}")
                };
                let _ = write!(
                    out,
                    "\n/** `{name}` read as a query: typed data, loading and error states. */\n\
                     export function {query}({params}) {{\n  \
                     return useMizanQuery(mizan.{name}, args);\n}}\n",
                    query = hook_names[2],
                );
            }
        }
        FunctionKind::Context { global } => {
            let (params, args_value) = if function.params.is_empty() {
                (String::new(), "{}")
            } else {
                (format!("args: {args}"), "args")
            };
            let hydrated = if global {
                " Rendered into the page by the server: the first render needs no request."
            } else {
                ""
            };
            let _ = write!(
                out,
                "\n/** {summary} Kept live: refreshed when a call invalidates it.{hydrated} */\n\
                 export function {hook}({params}) {{\n  \
                 return useMizanQuery(mizan.{name}, {args_value});\n}}\n",
                hook = hook_names[0],
            );
        }
        FunctionKind::View => {}
    }
}

/// A one-line JSDoc comment, when there is something to say.
fn doc(out: &mut String, indent: &str, summary: Option<&str>) {
    if let Some(summary) = summary {
        let _ = writeln!(out, "{indent}/** {} */", comment(summary));
    }
}

/// `text` made safe inside a `/** ... */` comment.
fn comment(text: &str) -> String {
    text.replace("*/", "*\\/")
}
