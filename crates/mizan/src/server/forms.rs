//! What a valid form submission does on the server: the [`FormHandler`] of a `#[derive(Form)]`
//! struct, run by the submission's pipeline after its rules passed.

use std::future::Future;

use super::context::RequestContext;
use crate::{error::MizanError, form::Form};

/// Runs a form's valid submission: stores it, sends it, answers [`Form::Output`]. It may still
/// refuse it with a field error only the server can know
/// (`MizanError::invalid_field("email", "is already registered")`), shown under that field like
/// the rules' own. Implemented in the server build only (the struct is shared with the browser).
///
/// ```
/// # use mizan::{Form, MizanError, server::{FormHandler, RequestContext}};
/// # #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema, validator::Validate)]
/// # pub struct NoteForm { pub text: String }
/// # impl Form for NoteForm {
/// #     const NAME: &'static str = "note";
/// #     type Output = ();
/// #     fn schema() -> &'static mizan::FormSchema { unimplemented!() }
/// # }
/// impl FormHandler for NoteForm {
///     async fn on_submit_success(self, _ctx: RequestContext) -> Result<(), MizanError> {
///         if self.text.contains("spam") {
///             return Err(MizanError::invalid_field("text", "looks like spam"));
///         }
///         Ok(())
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "the form `{Self}` has no submit handler",
    note = "implement `mizan::server::FormHandler` for `{Self}` in the server build: \
            `#[cfg(feature = \"ssr\")] impl FormHandler for {Self} {{ async fn on_submit_success(self, ctx: RequestContext) -> ... }}`"
)]
pub trait FormHandler: Form {
    /// Does what a valid submission asks.
    fn on_submit_success(
        self,
        ctx: RequestContext,
    ) -> impl Future<Output = Result<Self::Output, MizanError>> + Send;
}
