//! The TypeScript names a function gets, and the check that no two functions get the same one.

use std::collections::BTreeMap;

use crate::{
    ExportError,
    functions::{Function, FunctionKind},
};

/// `user_profile` → `UserProfile`.
pub fn pascal(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The hook names a function gets, the primary one first.
pub fn hooks(function: &Function) -> Vec<String> {
    let base = format!("use{}", pascal(&function.name));
    match function.kind {
        FunctionKind::Query => vec![
            base.clone(),
            format!("{base}Mutation"),
            format!("{base}Query"),
        ],
        FunctionKind::Mutation => vec![base.clone(), format!("{base}Mutation")],
        FunctionKind::Context { .. } => vec![base],
        FunctionKind::View => Vec::new(),
    }
}

/// The type names a function gets.
pub fn types(function: &Function) -> [String; 2] {
    types_of(&function.name)
}

/// The type names the function `name` gets: its arguments, its result.
pub fn types_of(name: &str) -> [String; 2] {
    let base = pascal(name);
    [format!("{base}Args"), format!("{base}Result")]
}

/// The type naming the contexts a mutation affects and the value of each (`UpdateNameAffects`);
/// only a mutation that affects some has one (`affects` makes a function a mutation; a view's
/// invalidation refreshes the page it leads to, and nothing patches).
pub fn affects_type(function: &Function) -> Option<String> {
    (function.kind == FunctionKind::Mutation && !function.affects.is_empty())
        .then(|| format!("{}Affects", pascal(&function.name)))
}

/// Names the generated file imports from the runtime: no function may generate one.
const RESERVED: [&str; 3] = ["useMizanCall", "useMizanMutation", "useMizanQuery"];

/// Fails when two functions would generate one name (`get_user` and `getUser` both give
/// `useGetUser`; `echo`'s `useEchoMutation` is also `echo_mutation`'s hook).
pub fn check_unique(functions: &[Function]) -> Result<(), ExportError> {
    let mut owners: BTreeMap<String, &str> = BTreeMap::new();
    for function in functions {
        let [args, result] = types(function);
        let names = hooks(function)
            .into_iter()
            .chain([args, result])
            .chain(affects_type(function));
        for name in names {
            if RESERVED.contains(&name.as_str()) {
                return Err(ExportError::Reserved {
                    name,
                    function: function.name.clone(),
                });
            }
            if let Some(first) = owners.insert(name.clone(), &function.name)
                && first != function.name
            {
                return Err(ExportError::NameClash {
                    name,
                    first: first.to_owned(),
                    second: function.name.clone(),
                });
            }
        }
    }
    Ok(())
}
