//! A form posted without JavaScript (a browser navigation with a plain HTML form body): the
//! submission runs like any other, then the browser is sent back (`303`) to the page it came from
//! with the outcome in a short-lived cookie, which that page's `<MizanForm>` reads once: the
//! values kept and the errors under their fields, or the success; or, on success, to the form's
//! `redirect`.
//!
//! The cookie is signed with the site's key and carries its expiry: one the server did not write
//! (or wrote more than a minute ago) is removed unread. It is `Secure` whenever the session cookie
//! is. Only a path of this site is ever sent back to: anything else goes to `/`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};

use super::{
    context::RequestContext,
    form_body,
    outcome::Outcome,
    registry::FunctionDef,
    response::error_response,
    site_key::{SIGNATURE_BYTES, SignedCookies},
};
use crate::{
    form::{FormFlash, Widget},
    protocol::MAX_BODY_BYTES,
};

/// The cookie carrying a form's outcome back to its page.
pub const FLASH_COOKIE: &str = "mizan_form";

/// Longest flash cookie value (browsers keep 4096 bytes per cookie, name and attributes
/// included).
const MAX_FLASH_BYTES: usize = 3800;

/// What the flash's signature is for: hashed in with the key, so no other value the key signs
/// passes for a flash.
const FLASH_PURPOSE: &str = "mizan form flash";

/// How long a flash is read, in seconds: the redirect's round trip, with room for a slow one.
const FLASH_SECONDS: u64 = 60;

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
    let cookies = parts.extensions.get::<SignedCookies>().cloned();
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
    let Some(cookies) = cookies else {
        tracing::error!(
            form = def.name,
            "no key to sign the form's outcome with: wrap the router in `Mizan::layer`"
        );
        return see_other(back, None);
    };
    see_other(back, flash_cookie(&mut flash, &cookies, now()))
}

/// Seconds since the Unix epoch (`0` on a clock set before it: every flash then reads as
/// expired, none as valid forever).
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
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
/// derive accepts only a path of this site; a hand-made schema's other value is not followed.
fn redirect_of(def: &FunctionDef) -> Option<HeaderValue> {
    let schema = (def.form?)();
    site_path(schema.redirect.as_deref()?)
}

/// The page the form was on: the `Referer`'s path when it is this site's, else `/`.
fn back_to(headers: &HeaderMap) -> HeaderValue {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| {
            let (_, rest) = referer.split_once("://")?;
            let (authority, path) = rest.split_at(rest.find('/')?);
            (Some(authority) == host).then_some(path)
        })
        .and_then(site_path)
        .unwrap_or_else(|| HeaderValue::from_static("/"))
}

/// `path` as a `Location`, when it can only lead to a page of this site: one `/` first (`//host`
/// is another site), and nothing but visible ASCII without a backslash. Browsers read `\` as `/`
/// and drop tabs and line breaks from a URL, so `/\host` and `/<tab>/host` lead to `host`;
/// a header value may hold a tab.
fn site_path(path: &str) -> Option<HeaderValue> {
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && path
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'\\');
    local.then(|| HeaderValue::from_str(path).ok()).flatten()
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

/// The flash as a cookie, signed and expiring [`FLASH_SECONDS`] after `now`: its value is
/// `<payload>.<expiry>.<signature>` (the payload and the signature in unpadded base64url, which
/// has no `.`). Values that do not fit are left out, longest first (the errors stay).
fn flash_cookie(flash: &mut FormFlash, cookies: &SignedCookies, now: u64) -> Option<HeaderValue> {
    let expires = now.saturating_add(FLASH_SECONDS);
    loop {
        let json = serde_json::to_vec(&*flash).ok()?;
        let signed = format!("{}.{expires}", URL_SAFE_NO_PAD.encode(json));
        let signature = URL_SAFE_NO_PAD.encode(cookies.key.sign(FLASH_PURPOSE, signed.as_bytes()));
        let value = format!("{signed}.{signature}");
        if value.len() <= MAX_FLASH_BYTES {
            let cookie = format!(
                "{FLASH_COOKIE}={value}; Path=/; Max-Age={FLASH_SECONDS}; HttpOnly; \
                 SameSite=Lax{}",
                secure_attribute(cookies)
            );
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

/// `; Secure` when the signed cookies are.
fn secure_attribute(cookies: &SignedCookies) -> &'static str {
    if cookies.secure { "; Secure" } else { "" }
}

/// What a page's request carries for one form: its flash, and the cookie that removes the flash.
#[derive(Debug, Default)]
pub(crate) struct TakenFlash {
    /// The form's outcome, when the cookie holds a valid one for this form.
    pub flash: Option<FormFlash>,
    /// The `Set-Cookie` removing the cookie: once read, or when it is not one the server wrote
    /// (forged, altered or expired). `None` when there is none, or it is another form's.
    pub clear: Option<HeaderValue>,
}

/// Reads the flash a page's request (`parts`) carries for `form`. Only a cookie signed with the
/// site's key (handed to the request by the admit layer) and not expired is read; any other is
/// removed unread.
pub(crate) fn take_flash(parts: &Parts, form: &str) -> TakenFlash {
    let Some(value) = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(&format!("{FLASH_COOKIE}=")))
    else {
        return TakenFlash::default();
    };
    let cookies = parts.extensions.get::<SignedCookies>();
    let clear = Some(clear_flash(cookies));
    let Some(flash) = cookies.and_then(|cookies| verified_flash(value, cookies, now())) else {
        tracing::debug!("a form flash cookie the server did not write (or expired) was removed");
        return TakenFlash { flash: None, clear };
    };
    if flash.form == form {
        TakenFlash {
            flash: Some(flash),
            clear,
        }
    } else {
        // Another form's: left for it.
        TakenFlash::default()
    }
}

/// The flash in a cookie's `value`, when the site's key signed it and it has not expired.
fn verified_flash(value: &str, cookies: &SignedCookies, now: u64) -> Option<FormFlash> {
    let (signed, signature) = value.rsplit_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    if signature.len() != SIGNATURE_BYTES
        || !cookies
            .key
            .verify(FLASH_PURPOSE, signed.as_bytes(), &signature)
    {
        return None;
    }
    let (payload, expires) = signed.rsplit_once('.')?;
    if expires.parse::<u64>().ok()? < now {
        return None;
    }
    let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&json).ok()
}

/// The header that removes the flash (with the attributes it was set with).
fn clear_flash(cookies: Option<&SignedCookies>) -> HeaderValue {
    match cookies {
        Some(cookies) if cookies.secure => HeaderValue::from_static(
            "mizan_form=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure",
        ),
        _ => HeaderValue::from_static("mizan_form=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue, header, request::Parts};

    use super::{
        FLASH_SECONDS, FormFlash, SignedCookies, back_to, flash_cookie, now, site_path, take_flash,
    };
    use crate::server::site_key::SiteKey;

    fn signed_cookies() -> SignedCookies {
        SignedCookies {
            key: SiteKey::new([1_u8; 32]).expect("long enough"),
            secure: false,
        }
    }

    /// A page's request carrying `cookie` (beside another cookie), handed `cookies` as the admit
    /// layer hands them.
    fn page_request(cookie: &str, cookies: &SignedCookies) -> Parts {
        let (mut parts, ()) = http::Request::get("/contact")
            .header(header::COOKIE, format!("a=b; {cookie}"))
            .body(())
            .expect("request")
            .into_parts();
        parts.extensions.insert(cookies.clone());
        parts
    }

    /// The `name=value` pair of a `Set-Cookie` value.
    fn pair(set_cookie: &HeaderValue) -> String {
        set_cookie
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_owned()
    }

    /// The request headers of the page the flash's cookie is sent back with.
    fn sent_back(flash: &mut FormFlash) -> Parts {
        let cookies = signed_cookies();
        let cookie = flash_cookie(flash, &cookies, now()).expect("a cookie");
        page_request(&pair(&cookie), &cookies)
    }

    #[test]
    fn a_flash_goes_back_and_is_read_by_its_form_only() {
        let mut flash = FormFlash {
            form: "contact".into(),
            values: [("name".to_owned(), "Zoë; \"x\"".to_owned())].into(),
            ..FormFlash::default()
        };
        let parts = sent_back(&mut flash);
        let taken = take_flash(&parts, "contact");
        assert_eq!(taken.flash, Some(flash));
        assert!(taken.clear.is_some(), "read once");
        let other = take_flash(&parts, "sign_up");
        assert_eq!(other.flash, None);
        assert!(other.clear.is_none(), "left for its own form");
    }

    #[test]
    fn a_success_whose_output_is_null_is_still_a_success() {
        let mut flash = FormFlash {
            form: "change_password".into(),
            succeeded: true,
            output: Some(serde_json::Value::Null),
            ..FormFlash::default()
        };
        let read = take_flash(&sent_back(&mut flash), "change_password")
            .flash
            .expect("read back");
        assert!(read.succeeded, "{read:?}");
    }

    #[test]
    fn a_forged_altered_foreign_or_expired_flash_is_removed_unread() {
        let cookies = signed_cookies();
        let mut flash = FormFlash {
            form: "contact".into(),
            succeeded: true,
            ..FormFlash::default()
        };
        let refused = |cookie: &str, cookies: &SignedCookies| {
            let taken = take_flash(&page_request(cookie, cookies), "contact");
            assert_eq!(taken.flash, None, "{cookie}");
            assert!(taken.clear.is_some(), "{cookie} is removed");
        };
        // Unsigned, as the cookie was before it was signed.
        let json = serde_json::to_vec(&flash).expect("json");
        let unsigned =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, json);
        refused(&format!("mizan_form={unsigned}"), &cookies);
        // Signed, then its payload or its expiry changed.
        let valid = pair(&flash_cookie(&mut flash, &cookies, now()).expect("a cookie"));
        let (signed, signature) = valid.rsplit_once('.').expect("signed");
        let (payload, expires) = signed.rsplit_once('.').expect("expiry");
        let later: u64 = expires.parse::<u64>().expect("seconds") + 3600;
        refused(&format!("{payload}.{later}.{signature}"), &cookies);
        refused(&format!("{}A.{expires}.{signature}", payload), &cookies);
        // Signed by another key.
        let other = SignedCookies {
            key: SiteKey::random(),
            secure: false,
        };
        refused(&valid, &other);
        // Signed, but expired.
        let old = now() - FLASH_SECONDS - 1;
        let expired = pair(&flash_cookie(&mut flash, &cookies, old).expect("a cookie"));
        refused(&expired, &cookies);
    }

    #[test]
    fn the_flash_is_secure_when_the_session_cookie_is() {
        let mut flash = FormFlash {
            form: "contact".into(),
            ..FormFlash::default()
        };
        let mut cookies = signed_cookies();
        let plain = flash_cookie(&mut flash, &cookies, now()).expect("a cookie");
        assert!(!plain.to_str().expect("ascii").contains("Secure"));
        cookies.secure = true;
        let secure = flash_cookie(&mut flash, &cookies, now()).expect("a cookie");
        assert!(secure.to_str().expect("ascii").ends_with("; Secure"));
        let taken = take_flash(&page_request(&pair(&secure), &cookies), "contact");
        let clear = taken.clear.expect("removed once read");
        assert!(clear.to_str().expect("ascii").ends_with("; Secure"));
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
        assert!(flash_cookie(&mut flash, &signed_cookies(), now()).is_some());
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
        // Browsers drop the tab and read the backslash as `/`: both would be `//evil.example`.
        assert_eq!(
            back_to(&headers("https://app.example/\t/evil.example/x")),
            "/"
        );
        assert_eq!(
            back_to(&headers("https://app.example/\\evil.example/x")),
            "/"
        );
        assert_eq!(back_to(&HeaderMap::new()), "/");
    }

    #[test]
    fn a_redirect_is_followed_only_to_a_path_of_this_site() {
        assert_eq!(
            site_path("/account?changed=1").expect("a site path"),
            "/account?changed=1"
        );
        for leaves in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "/é",
            "",
        ] {
            assert_eq!(site_path(leaves), None, "{leaves:?}");
        }
    }
}
