//! The error collector of one expansion: every check reports here, and all are shown at once.

use std::{cell::RefCell, fmt::Display};

use proc_macro2::Span;

/// Collects the errors of one expansion (like serde_derive's `Ctxt`).
///
/// Checks push their error and carry on, so an item with two mistakes gets two messages in one
/// build. [`Ctxt::check`] must be called once at the end; dropping a `Ctxt` that still holds
/// errors is a bug in the expansion and panics.
#[derive(Debug)]
pub struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    /// An empty collector.
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error at `span`.
    pub fn error_at(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error that syn produced (a parse failure).
    pub fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt::push after Ctxt::check")
            .push(error);
    }

    /// Ends the collection: `Ok` when nothing was recorded, else every error combined into one
    /// (`into_compile_error` turns it into one `compile_error!` per error, in order).
    pub fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Default for Ctxt {
    fn default() -> Self {
        Ctxt::new()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("the errors of an expansion were never checked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_recorded_is_ok() {
        let cx = Ctxt::new();
        assert!(cx.check().is_ok());
    }

    #[test]
    fn every_error_is_kept_in_order() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "first");
        cx.push(syn::Error::new(Span::call_site(), "second"));
        let error = cx.check().expect_err("two errors");
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages, ["first", "second"]);
    }
}
