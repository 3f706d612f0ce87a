//! Every name the expansion generates, derived from the function's name in one place.

use proc_macro2::Ident;
use quote::format_ident;
use syn::ext::IdentExt;

use crate::internals::paths;

/// The generated identifiers and paths of one function `x`.
#[derive(Debug, Clone)]
pub struct Names {
    /// `x`: the function, its caller, and the marker type `affects` names.
    pub function: Ident,
    /// `"x"`: the name on the wire and in the registry.
    pub text: String,
    /// `XArgs`: the argument struct.
    pub args: Ident,
    /// `__mizan_impl_x`: the user's function, renamed (server only).
    pub impl_fn: Ident,
    /// `__mizan_body_x`: takes the argument struct apart and calls the user's function.
    pub body_fn: Ident,
    /// `__mizan_run_x`: the pipeline over raw arguments.
    pub run_fn: Ident,
    /// `__mizan_invoke_x`: the registry's boxed entry.
    pub invoke_fn: Ident,
    /// `__mizan_check_x`: the boxed `auth = path` check.
    pub check_fn: Ident,
    /// `__mizan_args_schema_x`: the JSON schema of the arguments.
    pub args_schema_fn: Ident,
    /// `__mizan_output_schema_x`: the JSON schema of the result.
    pub output_schema_fn: Ident,
    /// `__MIZAN_DEF_X`: the registry entry.
    pub def: Ident,
    /// `__MIZAN_AFFECTS_X`: the names of the contexts `affects` lists, checked in both builds.
    pub affects: Ident,
    /// `mizan_endpoint_x`: the server_fn endpoint.
    pub endpoint_fn: Ident,
    /// `use_x`: the Leptos hook of a context.
    pub hook: Ident,
    /// `X_PATH`: where a view answers.
    pub path_const: Ident,
    /// `/api/mizan/fn/x`: the function's endpoint.
    pub endpoint: String,
}

impl Names {
    /// The names of the function `function`.
    pub fn new(function: &Ident) -> Self {
        // `r#type` is `type` on the wire and in every derived name.
        let text = function.unraw().to_string();
        let upper = text.to_uppercase();
        Names {
            function: function.clone(),
            args: format_ident!("{}Args", pascal_case(&text)),
            impl_fn: format_ident!("__mizan_impl_{}", function),
            body_fn: format_ident!("__mizan_body_{}", function),
            run_fn: format_ident!("__mizan_run_{}", function),
            invoke_fn: format_ident!("__mizan_invoke_{}", function),
            check_fn: format_ident!("__mizan_check_{}", function),
            args_schema_fn: format_ident!("__mizan_args_schema_{}", function),
            output_schema_fn: format_ident!("__mizan_output_schema_{}", function),
            def: format_ident!("__MIZAN_DEF_{}", upper),
            affects: format_ident!("__MIZAN_AFFECTS_{}", upper),
            endpoint_fn: format_ident!("mizan_endpoint_{}", function),
            hook: format_ident!("use_{}", function),
            path_const: format_ident!("{}_PATH", upper),
            endpoint: paths::function_endpoint(&text),
            text,
        }
    }
}

/// `update_name` → `UpdateName`.
pub fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_of_snake_names() {
        assert_eq!(pascal_case("update_name"), "UpdateName");
        assert_eq!(pascal_case("echo"), "Echo");
        assert_eq!(pascal_case("a__b"), "AB");
    }

    #[test]
    fn every_name_of_one_function() {
        let names = Names::new(&format_ident!("update_name"));
        let all = [
            &names.function,
            &names.args,
            &names.impl_fn,
            &names.body_fn,
            &names.run_fn,
            &names.invoke_fn,
            &names.check_fn,
            &names.args_schema_fn,
            &names.output_schema_fn,
            &names.def,
            &names.endpoint_fn,
            &names.hook,
            &names.path_const,
        ]
        .map(ToString::to_string);
        assert_eq!(
            all,
            [
                "update_name",
                "UpdateNameArgs",
                "__mizan_impl_update_name",
                "__mizan_body_update_name",
                "__mizan_run_update_name",
                "__mizan_invoke_update_name",
                "__mizan_check_update_name",
                "__mizan_args_schema_update_name",
                "__mizan_output_schema_update_name",
                "__MIZAN_DEF_UPDATE_NAME",
                "mizan_endpoint_update_name",
                "use_update_name",
                "UPDATE_NAME_PATH",
            ]
        );
        assert_eq!(names.text, "update_name");
        assert_eq!(names.endpoint, "/api/mizan/fn/update_name");
    }

    #[test]
    fn a_raw_name_is_unraw_in_derived_names() {
        let names = Names::new(&syn::parse_str("r#type").expect("ident"));
        assert_eq!(names.function.to_string(), "r#type");
        assert_eq!(names.text, "type");
        assert_eq!(names.args.to_string(), "TypeArgs");
        assert_eq!(names.impl_fn.to_string(), "__mizan_impl_type");
        assert_eq!(names.endpoint, "/api/mizan/fn/type");
    }
}
