//! `generated.hooks.tsx`: per function its types, its entry in the `mizan` object (TanStack
//! Query options and keys) and its hooks; then `<MizanContext>`, the one provider.

use std::fmt::Write;

use crate::{
    HEADER, RUNTIME_PACKAGE,
    functions::{Function, FunctionKind},
    names,
};

/// The file's contents.
pub fn emit(functions: &[Function]) -> String {
    let callable: Vec<&Function> = functions
        .iter()
        .filter(|function| function.kind != FunctionKind::View)
        .collect();
    let mut out = String::from(HEADER);
    out.push_str(&format!(
        "\nimport type {{ ReactNode }} from 'react';\n\
         import {{\n  MizanProvider,\n  defineContext,\n  defineMutation,\n  defineQuery,\n  \
         useMizanCall,\n  useMizanMutation,\n  useMizanQuery,\n  type MizanProviderProps,\n\
         }} from '{RUNTIME_PACKAGE}';\n\n\
         import type {{ operations }} from './generated.mizan';\n"
    ));
    out.push_str(
        "\n/** The arguments object of a function, keyed by its params' wire names. */\n\
         type Args<N extends keyof operations> = operations[N] extends {\n  \
         requestBody?: { content: { 'application/json': { args?: infer A } } };\n}\n  \
         ? NonNullable<A>\n  : never;\n\
         \n/** What a function returns when it succeeds. */\n\
         type Result<N extends keyof operations> = operations[N] extends {\n  \
         responses: { 200: { content: { 'application/json': { result: infer R } } } };\n}\n  \
         ? R\n  : never;\n",
    );
    for function in &callable {
        let [args, result] = names::types(function);
        let name = &function.name;
        let _ = write!(
            out,
            "\nexport type {args} = Args<'{name}'>;\nexport type {result} = Result<'{name}'>;\n"
        );
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
        let options = if function.websocket {
            ", { websocket: true }"
        } else {
            ""
        };
        let definition = match function.kind {
            FunctionKind::Query => format!("defineQuery<{args}, {result}>('{name}'{options})"),
            FunctionKind::Mutation => {
                format!("defineMutation<{args}, {result}>('{name}'{options})")
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
    out.push_str(
        "\n/** mizan's one provider: the client, TanStack Query, the hydrated contexts and the\n \
         * invalidations the server sends. Put it once around the app. */\n\
         export function MizanContext(props: MizanProviderProps): ReactNode {\n  \
         return <MizanProvider {...props} />;\n}\n",
    );
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
            let _ = write!(
                out,
                "\n/** `{name}` as a typed async function: {summary} */\n\
                 export function {call}() {{\n  return useMizanCall(mizan.{name});\n}}\n\
                 \n/** `{name}` with TanStack Query's mutation state (`mutate`, `isPending`, \
                 `error`, ...). */\n\
                 export function {mutation}() {{\n  return useMizanMutation(mizan.{name});\n}}\n",
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
