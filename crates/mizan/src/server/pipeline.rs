//! The one execution pipeline of every transport: decode → validate → authenticate/authorize →
//! run → serialize → collect invalidations.

use std::{future::Future, panic::AssertUnwindSafe};

use axum::response::Response;
use futures::FutureExt;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use super::{
    auth::{authenticate, authorize},
    context::RequestContext,
    graph,
    registry::FunctionDef,
};
use crate::{
    error::{FieldErrors, MizanError},
    protocol::{Envelope, RawArgs},
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

/// What a function produced.
pub enum Output {
    /// Data, serialized: answered as `{"result": ..., "invalidate": [...]}`.
    Data(Box<RawValue>),
    /// An HTTP response of a view function, passed through.
    View(Response),
}

/// A successful call: its output and the context keys it invalidated.
pub struct Outcome {
    /// The output.
    pub output: Output,
    /// Keys for clients to refresh.
    pub invalidate: Vec<String>,
}

impl Outcome {
    /// The `{"result", "invalidate"}` envelope of a data function; a view's response cannot be
    /// one (`NOT_IMPLEMENTED`: views answer at their own route).
    pub fn into_envelope(self) -> Result<Envelope, MizanError> {
        match self.output {
            Output::Data(result) => Ok(Envelope {
                result,
                invalidate: self.invalidate,
            }),
            Output::View(_) => Err(MizanError::not_implemented(
                "view functions answer at their own route, not as data",
            )),
        }
    }
}

/// Wraps a data function's return value so the pipeline serializes it.
pub struct Data<T>(pub T);

/// How a function's return value becomes an [`Output`].
pub trait IntoOutput {
    /// The output, or an `INTERNAL_ERROR` when it cannot be serialized.
    fn into_output(self) -> Result<Output, MizanError>;
}

impl<T: Serialize> IntoOutput for Data<T> {
    fn into_output(self) -> Result<Output, MizanError> {
        serde_json::value::to_raw_value(&self.0)
            .map(Output::Data)
            .map_err(|error| {
                tracing::error!(%error, "cannot serialize a function's result");
                MizanError::internal()
            })
    }
}

impl IntoOutput for Response {
    fn into_output(self) -> Result<Output, MizanError> {
        Ok(Output::View(self))
    }
}

/// Every step after decoding, on typed arguments: validate → authenticate/authorize → run →
/// collect invalidations. Returns the body's own output (unserialized) and the keys. In-process
/// calls enter here directly; the wire entry, [`execute`], decodes first and serializes after.
pub async fn execute_typed<A, O, F, Fut>(
    def: &'static FunctionDef,
    ctx: RequestContext,
    args: A,
    run: F,
) -> Result<(O, Vec<String>), MizanError>
where
    A: Serialize + ValidateArgs,
    F: FnOnce(RequestContext, A) -> Fut,
    Fut: Future<Output = Result<O, MizanError>>,
{
    args.validate_args()?;
    authenticate(&ctx).await?;
    authorize(&def.auth, &ctx).await?;
    // The values that scope `affects` keys, read before the body takes the arguments.
    let scope_values = if def.affects.is_empty() {
        None
    } else {
        serde_json::to_value(&args).ok()
    };
    let body = AssertUnwindSafe(run(ctx.clone(), args)).catch_unwind();
    let result = CURRENT_CALL
        .scope(ctx.clone(), body)
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

/// The whole pipeline from the wire: decode the JSON `args`, run [`execute_typed`] through
/// `typed`, serialize the output (`wrap` makes it a [`Data`] or leaves a view's `Response`).
pub async fn execute<A, T, O, F, Fut>(
    ctx: RequestContext,
    args: RawArgs,
    typed: F,
    wrap: fn(T) -> O,
) -> Result<Outcome, MizanError>
where
    A: DeserializeOwned,
    O: IntoOutput,
    F: FnOnce(RequestContext, A) -> Fut,
    Fut: Future<Output = Result<(T, Vec<String>), MizanError>>,
{
    let args: A = decode(&args)?;
    let (output, invalidate) = typed(ctx, args).await?;
    Ok(Outcome {
        output: wrap(output).into_output()?,
        invalidate,
    })
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
    if error.code == crate::error::ErrorCode::InternalError {
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
        assert_eq!(error.code, crate::error::ErrorCode::BadRequest);
        assert!(error.message.contains("an array"));
    }

    /// A mutation affecting a context this test binary does not link, so its edge has no scope.
    static RENAME: FunctionDef = FunctionDef {
        name: "rename",
        kind: crate::server::FunctionKind::Mutation,
        endpoint: "/api/mizan/fn/rename",
        auth: crate::server::AuthRule::Public,
        context: None,
        params: &[crate::server::ParamDef {
            name: "user_id",
            ty: "i64",
        }],
        affects: &["user_profile"],
        websocket: false,
        doc: "",
        args_schema: || schemars::schema_for!(()),
        output_schema: None,
        invoke: |_, _| Box::pin(async { Err(MizanError::internal()) }),
    };

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
        assert_eq!(
            failed.expect_err("refused").code,
            crate::error::ErrorCode::Forbidden
        );
    }
}
