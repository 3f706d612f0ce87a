//! A form posted without JavaScript (a browser navigation with a plain HTML form body): the
//! submission runs like any other, then the browser is sent back (`303`) to the page it came from
//! with the outcome in a short-lived cookie, which that page's `<MizanForm>` reads once: the
//! values kept and the errors under their fields, or the success; or, on success, to the form's
//! `redirect`.

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::{
    context::RequestContext, form_body, outcome::Outcome, registry::FunctionDef,
    response::error_response,
};
use crate::{
    form::{FormFlash, Widget},
    protocol::MAX_BODY_BYTES,
};

/// The cookie carrying a form's outcome back to its page.
pub const FLASH_COOKIE: &str = "mizan_form";

/// Longest flash cookie (browsers keep 4096 bytes per cookie, name and attributes included).
const MAX_FLASH_BYTES: usize = 3800;

/// Whether a request is a browser's own submission of an HTML form: a form body, and a page
/// expected back.
pub(crate) fn is_navigation(headers: &HeaderMap) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    content_type.starts_with("application/x-www-form-urlencoded") && accept.contains("text/html")
}

/// Runs the submission and sends the browser back with its outcome.
pub(crate) async fn answer(def: &'static FunctionDef, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let back = back_to(&parts.headers);
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return error_response(&super::admit::too_large()),
    };
    let fields = match form_body::fields(&bytes) {
        Ok(fields) => fields,
        Err(error) => return error_response(&error),
    };
    let kept = kept_values(def, &fields);
    let outcome = match form_body::arguments(def, fields) {
        Ok(args) => (def.invoke)(RequestContext::from_parts(parts), args).await,
        Err(error) => Err(error),
    };
    let mut flash = FormFlash {
        form: def.name.to_owned(),
        ..FormFlash::default()
    };
    match outcome.and_then(Outcome::into_envelope) {
        Ok(envelope) => {
            // A success with a redirect leaves the form's page: the target has no use for the
            // flash (it does not show this form), so none is set.
            if let Some(target) = redirect_of(def) {
                return see_other(target, None);
            }
            flash.succeeded = true;
            flash.output = serde_json::from_str(envelope.result.get()).ok();
        }
        Err(error) => {
            flash.values = kept;
            match error.fields() {
                Some(errors) => flash.errors = errors,
                None => flash.failure = Some(error),
            }
        }
    }
    see_other(back, flash_cookie(&mut flash))
}

/// `303 See Other` to `location`, never cached, setting `cookie` when there is one.
fn see_other(location: HeaderValue, cookie: Option<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

/// Where a successful submission of the form sends the browser (`#[form(redirect = "/")]`). The
/// derive accepts only a path of this site; one that is not a header value is not followed.
fn redirect_of(def: &FunctionDef) -> Option<HeaderValue> {
    let schema = (def.form?)();
    HeaderValue::from_str(schema.redirect.as_deref()?).ok()
}

/// The page the form was on: the `Referer`'s path when it is this site's, else `/`.
fn back_to(headers: &HeaderMap) -> HeaderValue {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let path = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| {
            let (_, rest) = referer.split_once("://")?;
            let (authority, path) = rest.split_at(rest.find('/')?);
            // `//host` and `/\\host` would leave the site.
            let leaves = path.starts_with("//") || path.starts_with("/\\");
            (Some(authority) == host && !leaves).then_some(path)
        })
        .unwrap_or("/");
    HeaderValue::from_str(path).unwrap_or_else(|_| HeaderValue::from_static("/"))
}

/// The values to show again: all but passwords.
fn kept_values(
    def: &FunctionDef,
    fields: &[(String, String)],
) -> std::collections::BTreeMap<String, String> {
    let passwords: Vec<&str> = def
        .form
        .map(|schema| {
            schema()
                .fields
                .iter()
                .filter(|field| field.widget == Widget::Password)
                .map(|field| field.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    fields
        .iter()
        .filter(|(name, _)| !passwords.contains(&name.as_str()))
        .cloned()
        .collect()
}

/// The flash as a cookie; values that do not fit are left out, longest first (the errors stay).
fn flash_cookie(flash: &mut FormFlash) -> Option<HeaderValue> {
    loop {
        let json = serde_json::to_vec(&*flash).ok()?;
        let encoded = URL_SAFE_NO_PAD.encode(json);
        if encoded.len() <= MAX_FLASH_BYTES {
            let cookie =
                format!("{FLASH_COOKIE}={encoded}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
            return HeaderValue::from_str(&cookie).ok();
        }
        let longest = flash
            .values
            .iter()
            .max_by_key(|(_, value)| value.len())
            .map(|(name, _)| name.clone())?;
        flash.values.remove(&longest);
    }
}

/// The flash a page's request carries for `form`, if any.
pub(crate) fn read_flash(headers: &HeaderMap, form: &str) -> Option<FormFlash> {
    let encoded = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(&format!("{FLASH_COOKIE}=")))?;
    let json = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    let flash: FormFlash = serde_json::from_slice(&json).ok()?;
    (flash.form == form).then_some(flash)
}

/// The header that removes the flash once read.
pub(crate) fn clear_flash() -> HeaderValue {
    HeaderValue::from_static("mizan_form=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue, header};

    use super::{FormFlash, back_to, flash_cookie, read_flash};

    /// The request headers of the page the flash's cookie is sent back with (beside another
    /// cookie).
    fn sent_back(flash: &mut FormFlash) -> HeaderMap {
        let cookie = flash_cookie(flash).expect("a cookie");
        let pair = cookie
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {pair}")).expect("value"),
        );
        headers
    }

    #[test]
    fn a_flash_goes_back_and_is_read_by_its_form_only() {
        let mut flash = FormFlash {
            form: "contact".into(),
            values: [("name".to_owned(), "Zoë; \"x\"".to_owned())].into(),
            ..FormFlash::default()
        };
        let headers = sent_back(&mut flash);
        assert_eq!(read_flash(&headers, "contact"), Some(flash));
        assert_eq!(read_flash(&headers, "sign_up"), None);
    }

    #[test]
    fn a_success_whose_output_is_null_is_still_a_success() {
        let mut flash = FormFlash {
            form: "change_password".into(),
            succeeded: true,
            output: Some(serde_json::Value::Null),
            ..FormFlash::default()
        };
        let read = read_flash(&sent_back(&mut flash), "change_password").expect("read back");
        assert!(read.succeeded, "{read:?}");
    }

    #[test]
    fn values_that_do_not_fit_are_left_out_longest_first() {
        let mut flash = FormFlash {
            form: "contact".into(),
            values: [
                ("name".to_owned(), "Ann".to_owned()),
                ("message".to_owned(), "é".repeat(2000)),
            ]
            .into(),
            errors: [(
                "email".to_owned(),
                vec!["must be an email address".to_owned()],
            )]
            .into(),
            ..FormFlash::default()
        };
        assert!(flash_cookie(&mut flash).is_some());
        assert_eq!(flash.values.len(), 1, "the message did not fit");
        assert!(flash.values.contains_key("name"));
        assert_eq!(flash.errors.len(), 1);
    }

    #[test]
    fn only_this_sites_pages_are_gone_back_to() {
        let headers = |referer: &str| {
            let mut map = HeaderMap::new();
            map.insert(header::HOST, HeaderValue::from_static("app.example"));
            map.insert(
                header::REFERER,
                HeaderValue::from_str(referer).expect("value"),
            );
            map
        };
        assert_eq!(
            back_to(&headers("https://app.example/contact?x=1")),
            "/contact?x=1"
        );
        assert_eq!(back_to(&headers("https://evil.example/phish")), "/");
        assert_eq!(
            back_to(&headers("https://app.example//evil.example/x")),
            "/"
        );
        assert_eq!(back_to(&HeaderMap::new()), "/");
    }
}
