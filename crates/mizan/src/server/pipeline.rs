//! The one execution pipeline of every transport: admit the caller (authenticate, authorize) →
//! decode → validate → run → serialize → collect invalidations.
//!
//! The caller is admitted first, so an anonymous caller of an `auth` function learns nothing of
//! its arguments' rules.

use std::{future::Future, panic::AssertUnwindSafe};

use futures::FutureExt;
use serde::{Serialize, de::DeserializeOwned};

use super::{
    auth::{authenticate, authorize, refuse_switched_off},
    context::RequestContext,
    graph,
    hub::{Caller, Hub},
    outcome::{IntoOutput, Outcome},
    registry::{FunctionDef, is_per_user_key},
};
use crate::{
    error::{ErrorCode, FieldErrors, MizanError},
    frames::CONNECTION_HEADER,
    protocol::RawArgs,
    validation::ValidateArgs,
};

tokio::task_local! {
    /// The context of the function body being run, for in-process calls made from it.
    static CURRENT_CALL: RequestContext;
}

/// The context of the `#[client]` function whose body is running on this task, if any.
pub(crate) fn current_call() -> Option<RequestContext> {
    CURRENT_CALL.try_with(RequestContext::clone).ok()
}

/// The whole pipeline from the wire: admit the caller, decode the JSON `args`, then validate,
/// run `body` and serialize its output (`wrap` is [`Data`](super::outcome::Data) or
/// [`View`](super::outcome::View)).
pub async fn execute<A, T, O, F, Fut>(
    def: &'static FunctionDef,
    ctx: RequestContext,
    args: RawArgs,
    body: F,
    wrap: fn(T) -> O,
) -> Result<Outcome, MizanError>
where
    A: DeserializeOwned + Serialize + ValidateArgs,
    O: IntoOutput,
    F: FnOnce(RequestContext, A) -> Fut,
    Fut: Future<Output = Result<T, MizanError>>,
{
    let ctx = admit(def, ctx).await?;
    let args: A = decode(&args)?;
    let (output, invalidate) = run_admitted(def, ctx.clone(), args, body).await?;
    let output = wrap(output).into_output()?;
    push(&ctx, &invalidate);
    Ok(Outcome { output, invalidate })
}

/// Hands a successful call's keys to the open sockets watching what they cover (not to the
/// caller's own socket, named by its header: the answer carries them).
fn push(ctx: &RequestContext, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    if let Some(hub) = ctx.extension_ref::<Hub>() {
        let origin = ctx
            .headers()
            .get(CONNECTION_HEADER)
            .and_then(|value| value.to_str().ok());
        // Keys of `per_user` contexts reach only the caller's own sockets: no one else's value
        // of such a context changed.
        let (own, shared): (Vec<String>, Vec<String>) =
            keys.iter().cloned().partition(|key| is_per_user_key(key));
        if !shared.is_empty() {
            hub.publish(&shared, origin);
        }
        if !own.is_empty() {
            let session = ctx.session().and_then(|session| session.id());
            let caller = Caller {
                session: session.as_ref(),
                user: ctx.user_id(),
            };
            hub.publish_to_caller(&own, origin, caller);
        }
    }
}

/// The pipeline on typed arguments (in-process calls): admit the caller, validate, run. Returns
/// the body's own output (unserialized) and the keys it invalidated.
pub async fn execute_typed<A, T, F, Fut>(
    def: &'static FunctionDef,
    ctx: RequestContext,
    args: A,
    body: F,
) -> Result<(T, Vec<String>), MizanError>
where
    A: Serialize + ValidateArgs,
    F: FnOnce(RequestContext, A) -> Fut,
    Fut: Future<Output = Result<T, MizanError>>,
{
    let ctx = admit(def, ctx).await?;
    run_admitted(def, ctx, args, body).await
}

/// Authenticates and authorizes the caller; a `public` context gets the request without its
/// identity instead (it must answer the same to everyone).
async fn admit(def: &FunctionDef, ctx: RequestContext) -> Result<RequestContext, MizanError> {
    // Its own endpoint and in-process calls reach a function without the registry.
    refuse_switched_off(def.name, &ctx)?;
    if def.public {
        return Ok(ctx.without_identity());
    }
    authenticate(&ctx).await?;
    authorize(&def.auth, &ctx).await?;
    Ok(ctx)
}

/// Validate → run (panics caught) → the declared keys, then the body's own, each once.
async fn run_admitted<A, T, F, Fut>(
    def: &'static FunctionDef,
    ctx: RequestContext,
    args: A,
    body: F,
) -> Result<(T, Vec<String>), MizanError>
where
    A: Serialize + ValidateArgs,
    F: FnOnce(RequestContext, A) -> Fut,
    Fut: Future<Output = Result<T, MizanError>>,
{
    args.validate_args()?;
    // The values that scope `affects` keys, read before the body takes the arguments.
    let scope_values = if def.affects.is_empty() {
        None
    } else {
        serde_json::to_value(&args).ok()
    };
    let run = AssertUnwindSafe(body(ctx.clone(), args)).catch_unwind();
    let result = CURRENT_CALL
        .scope(ctx.clone(), run)
        .await
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic payload".to_owned());
            tracing::error!(function = def.name, panic = %message, "function panicked");
            Err(MizanError::internal())
        });
    let output = result.map_err(|error| log_internal(def, error))?;
    let mut invalidate = graph::declared_keys(def, scope_values.as_ref());
    for key in ctx.take_invalidations() {
        if !invalidate.contains(&key) {
            invalidate.push(key);
        }
    }
    Ok((output, invalidate))
}

/// Decodes a JSON arguments object into the function's argument struct, naming the bad field.
pub fn decode<A: DeserializeOwned>(args: &RawArgs) -> Result<A, MizanError> {
    let text = args.get().trim_start();
    if !text.starts_with('{') {
        return Err(MizanError::bad_request(format!(
            "`args` must be a JSON object keyed by parameter name, not {}",
            json_kind(text)
        )));
    }
    // Well-formed arguments take the plain path; only a failure pays for tracking the field.
    if let Ok(args) = serde_json::from_str(text) {
        return Ok(args);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let field = field_of(&path, &inner);
        let message = strip_position(&inner);
        MizanError::validation(FieldErrors::from([(field, vec![message])]))
    })
}

/// The field an error is about: its path, or the field a "missing/unknown field" message names.
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_owned(),
        // For unknown fields the path already ends at the field itself.
        (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// What kind of JSON value `text` (valid JSON, leading space trimmed) is, by its first byte.
fn json_kind(text: &str) -> &'static str {
    match text.bytes().next() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// Internal errors returned by a function keep their generic message; log where they came from.
fn log_internal(def: &FunctionDef, error: MizanError) -> MizanError {
    if error.code == ErrorCode::InternalError {
        tracing::error!(function = def.name, message = %error.message, "function failed");
        MizanError::internal()
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Args {
        text: String,
        count: u32,
    }

    fn raw(value: serde_json::Value) -> RawArgs {
        RawArgs::from_value(&value).expect("serializable")
    }

    #[test]
    fn decode_names_the_wrong_missing_or_unknown_field() {
        let wrong =
            decode::<Args>(&raw(serde_json::json!({"text": 5, "count": 1}))).expect_err("type");
        assert!(wrong.is_validation_error());
        assert_eq!(wrong.field_errors("text").len(), 1, "{wrong:?}");

        let missing = decode::<Args>(&raw(serde_json::json!({"text": "a"}))).expect_err("missing");
        assert_eq!(missing.field_errors("count"), ["missing field `count`"]);

        let unknown = decode::<Args>(&raw(
            serde_json::json!({"text": "a", "count": 1, "extra": 1}),
        ))
        .expect_err("unknown");
        assert_eq!(unknown.field_errors("extra").len(), 1, "{unknown:?}");
    }

    #[test]
    fn decode_refuses_non_objects_as_bad_requests() {
        let error = decode::<Args>(&raw(serde_json::json!([1, 2]))).expect_err("array");
        assert_eq!(error.code, ErrorCode::BadRequest);
        assert!(error.message.contains("an array"));
    }

    use crate::server::{AuthRule, FunctionKind, ParamDef};

    /// A mutation affecting a context this test binary does not link, so its edge has no scope.
    static RENAME: FunctionDef = FunctionDef::for_test(
        "rename",
        FunctionKind::Mutation,
        &[ParamDef {
            name: "user_id",
            ty: "i64",
            type_id: std::any::TypeId::of::<i64>,
        }],
        &["user_profile"],
    );

    #[derive(serde::Serialize)]
    struct RenameArgs {
        user_id: i64,
    }

    impl ValidateArgs for RenameArgs {
        fn validate_args(&self) -> Result<(), MizanError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn declared_keys_come_first_then_runtime_keys_once_each_and_failures_carry_none() {
        use crate::invalidation::ContextKey;

        let (output, keys) = execute_typed(
            &RENAME,
            RequestContext::detached(),
            RenameArgs { user_id: 5 },
            |ctx: RequestContext, args: RenameArgs| async move {
                ctx.invalidate(ContextKey::whole("feed").with("user_id", args.user_id));
                ctx.invalidate(ContextKey::whole("feed").with("user_id", args.user_id));
                ctx.invalidate(ContextKey::whole("user_profile"));
                Ok::<_, MizanError>("renamed")
            },
        )
        .await
        .expect("succeeds");
        assert_eq!(output, "renamed");
        assert_eq!(keys, ["user_profile", r#"feed:{"user_id":5}"#]);

        let failed = execute_typed(
            &RENAME,
            RequestContext::detached(),
            RenameArgs { user_id: 5 },
            |ctx: RequestContext, _: RenameArgs| async move {
                ctx.invalidate(ContextKey::whole("feed"));
                Err::<(), _>(MizanError::forbidden("no"))
            },
        )
        .await;
        assert_eq!(failed.expect_err("refused").code, ErrorCode::Forbidden);
    }

    /// Arguments with a rule that every call here breaks.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Strict {
        text: String,
    }

    impl ValidateArgs for Strict {
        fn validate_args(&self) -> Result<(), MizanError> {
            Err(MizanError::invalid_field(
                "text",
                "must be at most 3 characters",
            ))
        }
    }

    static SIGNED_IN_ONLY: FunctionDef =
        FunctionDef::for_test("signed_in_only", FunctionKind::Query, &[], &[])
            .with_auth(AuthRule::SignedIn);

    #[tokio::test]
    async fn an_anonymous_caller_is_refused_before_its_arguments_are_decoded_or_validated() {
        let body = |_: RequestContext, _: Strict| async { Ok::<_, MizanError>(()) };
        // Malformed arguments: still 401, not a field error that would reveal the argument names.
        let malformed = execute(
            &SIGNED_IN_ONLY,
            RequestContext::detached(),
            raw(serde_json::json!({"text": 5})),
            body,
            crate::server::Data,
        )
        .await;
        assert_eq!(
            malformed.err().map(|e| e.code),
            Some(ErrorCode::Unauthorized)
        );
        // Well-formed arguments breaking a rule: 401 too, the rule stays unknown.
        let invalid = execute_typed(
            &SIGNED_IN_ONLY,
            RequestContext::detached(),
            Strict {
                text: "long".into(),
            },
            body,
        )
        .await;
        assert_eq!(invalid.err().map(|e| e.code), Some(ErrorCode::Unauthorized));
    }

    static PUBLIC_CONTEXT: FunctionDef =
        FunctionDef::for_test("public_context", FunctionKind::Context, &[], &[]).public();

    #[derive(serde::Serialize)]
    struct NoArgs {}

    impl ValidateArgs for NoArgs {
        fn validate_args(&self) -> Result<(), MizanError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_public_context_runs_without_the_callers_identity() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "mizan_session=abc".parse().expect("header"),
        );
        headers.insert(
            http::header::AUTHORIZATION,
            "Bearer xyz".parse().expect("header"),
        );
        headers.insert(http::header::ACCEPT_LANGUAGE, "fr".parse().expect("header"));
        let ctx = RequestContext::new(headers, http::Extensions::new());
        let (seen, _) = execute_typed(&PUBLIC_CONTEXT, ctx, NoArgs {}, |ctx, _| async move {
            Ok::<_, MizanError>((
                ctx.headers().contains_key(http::header::COOKIE),
                ctx.headers().contains_key(http::header::AUTHORIZATION),
                ctx.headers().contains_key(http::header::ACCEPT_LANGUAGE),
                ctx.user().is_some(),
                ctx.session().is_some(),
            ))
        })
        .await
        .expect("a bearer token is not even looked at");
        assert_eq!(seen, (false, false, true, false, false));
    }
}
