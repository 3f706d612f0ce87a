//! The annotated `async fn`, taken apart: its wire params, its `RequestContext`, its `Ok` type.

use syn::{
    Attribute, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type,
    parse_quote, spanned::Spanned,
};

use crate::internals::Ctxt;

/// How the function takes the request context, when its first parameter is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextParam {
    /// `ctx: RequestContext`.
    ByValue,
    /// `ctx: &RequestContext`.
    ByRef,
}

/// One argument of the function, other than the request context: one field on the wire.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name.
    pub ident: Ident,
    /// Its type.
    pub ty: Type,
    /// `validate`, `serde` and doc attributes, moved onto the argument struct's field.
    pub attrs: Vec<Attribute>,
}

/// The shape of the annotated function.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The function as written, the attributes of its wire params removed.
    pub item: ItemFn,
    /// Whether its first parameter is the `RequestContext`, and how it takes it.
    pub context: Option<ContextParam>,
    /// The other parameters (those that are well-formed).
    pub params: Vec<Param>,
    /// `T` of `Result<T, E>`; `()` when the return type is not a `Result` (an error then).
    pub output: Type,
}

impl Shape {
    /// The inputs that are not the leading request context: the wire params as written,
    /// malformed ones included.
    pub fn wire_inputs(&self) -> impl Iterator<Item = &FnArg> {
        let skip = usize::from(self.context.is_some());
        self.item.sig.inputs.iter().skip(skip)
    }

    /// Whether any param declares `validator` rules.
    pub fn has_rules(&self) -> bool {
        self.params
            .iter()
            .any(|p| p.attrs.iter().any(|a| a.path().is_ident("validate")))
    }
}

/// Checks the function and takes it apart; every mistake is reported to `cx`, and the shape of
/// what is well-formed is still returned so later checks can run.
pub fn analyze(cx: &Ctxt, item: &ItemFn) -> Shape {
    let mut item = item.clone();
    check_signature(cx, &item);
    let output = ok_type(cx, &item.sig.output);
    let mut context = None;
    let mut params = Vec::new();
    for (index, input) in item.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else {
            cx.error_at(input.span(), "#[client] functions cannot take `self`");
            continue;
        };
        if let Some(by) = context_param(&typed.ty) {
            if index == 0 {
                context = Some(by);
            } else {
                cx.error_at(
                    typed.ty.span(),
                    "the `RequestContext` parameter must come first",
                );
            }
            continue;
        }
        let attrs = wire_attrs(cx, std::mem::take(&mut typed.attrs));
        if let Some(param) = wire_param(cx, &typed.pat, &typed.ty, attrs) {
            params.push(param);
        }
    }
    Shape {
        item,
        context,
        params,
        output,
    }
}

/// `async`, and not generic.
fn check_signature(cx: &Ctxt, item: &ItemFn) {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        cx.error_at(
            sig.fn_token.span(),
            "#[client] functions must be `async fn`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error_at(
            sig.generics.span(),
            "#[client] functions cannot be generic: their arguments and result cross the wire",
        );
    }
}

/// `T` of the `Result<T, E>` the function returns.
fn ok_type(cx: &Ctxt, output: &ReturnType) -> Type {
    let ok = match output {
        ReturnType::Type(_, ty) => result_ok_type(ty),
        ReturnType::Default => None,
    };
    ok.unwrap_or_else(|| {
        cx.error_at(
            output.span(),
            "#[client] functions return `Result<T, MizanError>`",
        );
        parse_quote!(())
    })
}

/// `T` when `ty` is `Result<T, E>` (any path ending in `Result` with two type arguments).
fn result_ok_type(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    });
    let ok = types.next()?;
    types.next()?;
    Some(ok)
}

/// How a parameter of type `ty` takes the request context, if it is one.
fn context_param(ty: &Type) -> Option<ContextParam> {
    match ty {
        Type::Reference(reference) if last_segment_is(&reference.elem, "RequestContext") => {
            Some(ContextParam::ByRef)
        }
        ty if last_segment_is(ty, "RequestContext") => Some(ContextParam::ByValue),
        _ => None,
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == name))
}

/// The attributes a wire param may carry (they move onto its field); others are errors.
fn wire_attrs(cx: &Ctxt, attrs: Vec<Attribute>) -> Vec<Attribute> {
    let mut kept = Vec::new();
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("validate") || path.is_ident("serde") || path.is_ident("doc") {
            kept.push(attr);
        } else {
            cx.error_at(
                attr.span(),
                "unsupported attribute on a #[client] argument: only `validate`, `serde` \
                 and doc comments",
            );
        }
    }
    kept
}

/// `name: Type`, with an owned, concrete type.
fn wire_param(cx: &Ctxt, pat: &Pat, ty: &Type, attrs: Vec<Attribute>) -> Option<Param> {
    let ident = match pat {
        Pat::Ident(pat) => Some(pat.ident.clone()),
        _ => {
            cx.error_at(
                pat.span(),
                "unsupported argument: write `name: Type` (patterns cannot name a wire field)",
            );
            None
        }
    };
    let owned = match ty {
        Type::Reference(_) => {
            cx.error_at(
                ty.span(),
                "unsupported argument type: arguments are decoded from JSON, so they must be \
                 owned (`String`, not `&str`)",
            );
            false
        }
        Type::ImplTrait(_) => {
            cx.error_at(
                ty.span(),
                "unsupported argument type: `impl Trait` cannot be decoded; use a concrete type",
            );
            false
        }
        _ => true,
    };
    Some(Param {
        ident: ident.filter(|_| owned)?,
        ty: ty.clone(),
        attrs,
    })
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn analyzed(item: TokenStream) -> (Shape, Vec<String>) {
        let item: ItemFn = syn::parse2(item).expect("a fn");
        let cx = Ctxt::new();
        let shape = analyze(&cx, &item);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        };
        (shape, errors)
    }

    #[test]
    fn context_parameter_is_recognised_and_not_a_wire_field() {
        let (shape, errors) = analyzed(quote!(
            async fn whoami(ctx: &RequestContext, verbose: bool) -> Result<Me, MizanError> {
                todo!()
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(shape.context, Some(ContextParam::ByRef));
        assert_eq!(shape.params.len(), 1);
        assert_eq!(shape.params[0].ident, "verbose");
        let (shape, _) = analyzed(quote!(
            async fn whoami(ctx: mizan::server::RequestContext) -> Result<Me, MizanError> {
                todo!()
            }
        ));
        assert_eq!(shape.context, Some(ContextParam::ByValue));
        assert!(shape.params.is_empty());
    }

    #[test]
    fn the_ok_type_and_the_rules_are_found() {
        let (shape, errors) = analyzed(quote!(
            async fn f(
                #[validate(length(min = 1))]
                #[doc = "x"]
                name: String,
            ) -> std::result::Result<Vec<u8>, MizanError> {
                todo!()
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let output = &shape.output;
        assert_eq!(quote!(#output).to_string(), "Vec < u8 >");
        assert!(shape.has_rules());
        assert_eq!(shape.params[0].attrs.len(), 2);
        let FnArg::Typed(arg) = &shape.item.sig.inputs[0] else {
            panic!("typed")
        };
        assert!(arg.attrs.is_empty(), "the attributes move to the field");
    }

    #[test]
    fn each_misuse_has_its_message() {
        let cases = [
            (
                quote!(
                    fn f() -> Result<(), E> {
                        Ok(())
                    }
                ),
                "must be `async fn`",
            ),
            (
                quote!(
                    async fn f(x: &str) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "must be owned",
            ),
            (
                quote!(
                    async fn f(x: impl Into<String>) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "`impl Trait` cannot be decoded",
            ),
            (
                quote!(
                    async fn f((a, b): (u8, u8)) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "write `name: Type`",
            ),
            (
                quote!(
                    async fn f() -> u8 {
                        1
                    }
                ),
                "return `Result<T, MizanError>`",
            ),
            (
                quote!(
                    async fn f() {}
                ),
                "return `Result<T, MizanError>`",
            ),
            (
                quote!(
                    async fn f() -> Result<u8> {
                        Ok(1)
                    }
                ),
                "return `Result<T, MizanError>`",
            ),
            (
                quote!(
                    async fn f<T>(x: T) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "cannot be generic",
            ),
            (
                quote!(
                    async fn f() -> Result<(), E>
                    where
                        u8: Copy,
                    {
                        Ok(())
                    }
                ),
                "cannot be generic",
            ),
            (
                quote!(
                    async fn f(x: u8, ctx: RequestContext) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "must come first",
            ),
            (
                quote!(
                    async fn f(&self) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "cannot take `self`",
            ),
            (
                quote!(
                    async fn f(#[cfg(x)] a: u8) -> Result<(), E> {
                        Ok(())
                    }
                ),
                "only `validate`, `serde` and doc comments",
            ),
        ];
        for (item, expected) in cases {
            let (_, errors) = analyzed(item.clone());
            assert_eq!(errors.len(), 1, "{item}: {errors:?}");
            assert!(errors[0].contains(expected), "{item}: {errors:?}");
        }
    }

    #[test]
    fn every_mistake_is_reported() {
        let (shape, errors) = analyzed(quote!(
            fn f(a: &str, (b, c): (u8, u8), d: u8) -> Result<(), E> {
                Ok(())
            }
        ));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("must be `async fn`"));
        assert!(errors[1].contains("must be owned"));
        assert!(errors[2].contains("write `name: Type`"));
        assert_eq!(shape.params.len(), 1, "the well-formed param is kept");
    }
}
