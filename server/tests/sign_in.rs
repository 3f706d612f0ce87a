//! Failed sign-ins are limited per account and per client address: past a limit, a sign-in is
//! refused with `429 RATE_LIMITED` (a right password too) until its window ends, alike for emails
//! with and without an account, on `login`, the log-in form and its no-JavaScript post; sign-ups
//! are limited per client address, and a password longer than sign-up allows is refused unhashed.

mod common;

use std::time::{Duration, Instant};

use common::{SAME_ORIGIN, test_app_with_sign_in_limits};
use http::StatusCode;
use mizan::server::SignInLimits;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// `login` with these credentials, called directly (the server knows no client address, so only
/// the per-account limit applies).
async fn login(app: &common::TestApp, email: &str, password: &str) -> common::Reply {
    app.call(
        "login",
        json!({ "email": email, "password": password }),
        &[SAME_ORIGIN],
    )
    .await
}

/// `login` over real TCP to `addr` (the server sees the client's address, 127.0.0.1): the
/// status and the JSON body.
async fn login_over_tcp(addr: &str, email: &str, password: &str) -> (StatusCode, Value) {
    let body =
        json!({ "fn": "login", "args": { "email": email, "password": password } }).to_string();
    post_over_tcp(addr, "/api/mizan/call/", &body).await
}

/// A JSON `POST` of `body` to `path` over real TCP to `addr` (the server sees the client's
/// address, 127.0.0.1): the status and the JSON body.
async fn post_over_tcp(addr: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Sec-Fetch-Site: same-origin\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8(response).expect("utf-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, body)
}

/// A refusal's message without its "try again in ..." (which counts down).
fn reason(reply: &common::Reply) -> String {
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    message
        .split_once(": try again in ")
        .map_or(message.clone(), |(reason, _)| reason.to_owned())
}

const WINDOW: Duration = Duration::from_secs(4);

#[tokio::test]
async fn the_sixth_sign_in_of_an_account_is_refused_a_right_password_too_until_the_window_ends() {
    let app = test_app_with_sign_in_limits(SignInLimits::default().with_window(WINDOW)).await;
    let started = Instant::now();
    for attempt in 1..=5 {
        let reply = login(&app, "alice@example.com", &format!("guess-{attempt}")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    }
    // The right password, typed differently: the same account, refused unchecked.
    let reply = login(&app, "ALICE@Example.com", "alice-password").await;
    assert!(
        started.elapsed() < WINDOW,
        "the machine is too slow for this test's window"
    );
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), "RATE_LIMITED");
    assert_eq!(
        reason(&reply),
        "too many failed sign-ins for this account",
        "{}",
        reply.text
    );
    assert!(reply.json()["error"]["details"]["retry_after"].as_u64() <= Some(4));
    assert!(reply.session_cookie().is_none());
    // Another account is not limited by Alice's failures.
    let other = login(&app, "admin@example.com", "not-the-password").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "{}", other.text);

    // Once the window is over, the right password signs in.
    tokio::time::sleep((started + WINDOW + Duration::from_millis(100)) - Instant::now()).await;
    let reply = login(&app, "alice@example.com", "alice-password").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.session_cookie().is_some());
}

#[tokio::test]
async fn an_email_without_an_account_is_refused_exactly_as_one_with_an_account() {
    let app =
        test_app_with_sign_in_limits(SignInLimits::default().with_failures_per_account(2)).await;
    let mut refusals = Vec::new();
    for email in ["alice@example.com", "nobody@example.com"] {
        for _ in 0..2 {
            let reply = login(&app, email, "wrong-password").await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
            assert_eq!(reply.json()["error"]["message"], "wrong email or password");
        }
        let refused = login(&app, email, "wrong-password").await;
        assert_eq!(
            refused.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            refused.text
        );
        refusals.push((refused.error_code(), reason(&refused)));
    }
    assert_eq!(refusals[0], refusals[1]);
}

#[tokio::test]
async fn an_unknown_email_with_a_published_password_is_a_wrong_password_like_any_other() {
    let app = test_app_with_sign_in_limits(SignInLimits::default()).await;
    let mut answers = Vec::new();
    // A real account with a wrong password, and an email without an account with the password
    // the README publishes for alice: nothing may tell them apart.
    for (email, password) in [
        ("alice@example.com", "wrong-password"),
        ("nobody@example.com", "alice-password"),
    ] {
        let mut codes = Vec::new();
        for _ in 0..6 {
            let reply = login(&app, email, password).await;
            assert!(reply.session_cookie().is_none(), "{}", reply.text);
            codes.push((reply.status, reply.error_code(), reason(&reply)));
        }
        answers.push(codes);
    }
    assert_eq!(answers[0], answers[1]);
    let statuses: Vec<StatusCode> = answers[1].iter().map(|(status, ..)| *status).collect();
    assert_eq!(
        statuses,
        [
            [StatusCode::UNAUTHORIZED; 5].as_slice(),
            &[StatusCode::TOO_MANY_REQUESTS]
        ]
        .concat()
    );
}

#[tokio::test]
async fn an_address_past_its_sign_ups_is_refused_with_the_default_limit() {
    let app = test_app_with_sign_in_limits(SignInLimits::default()).await;
    let addr = app.serve().await;
    let sign_up = |n: usize| {
        json!({ "args": {
            "name": format!("User {n}"),
            "email": format!("user-{n}@example.com"),
            "password": "long enough",
        } })
        .to_string()
    };
    for n in 1..=20 {
        let (status, body) = post_over_tcp(&addr, "/api/mizan/form/sign_up", &sign_up(n)).await;
        assert_eq!(status, StatusCode::OK, "sign-up {n}: {body}");
    }
    let (status, body) = post_over_tcp(&addr, "/api/mizan/form/sign_up", &sign_up(21)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("too many sign-ups from your network address: ")),
        "{body}"
    );
    let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = ?")
        .bind("user-21@example.com")
        .fetch_one(app.pool())
        .await
        .expect("count");
    assert_eq!(created, 0);
    // Sign-ups are not failed sign-ins: from the same address, alice still signs in.
    let (status, body) = login_over_tcp(&addr, "alice@example.com", "alice-password").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_password_longer_than_sign_up_allows_is_refused_unchecked() {
    let app =
        test_app_with_sign_in_limits(SignInLimits::default().with_failures_per_account(1)).await;
    let long = "x".repeat(129);
    let form = json!({ "args": { "email": "alice@example.com", "password": long } });
    for reply in [
        login(&app, "alice@example.com", &long).await,
        app.post_json("/api/mizan/form/log_in", &form.to_string(), &[SAME_ORIGIN])
            .await,
    ] {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert_eq!(
            reply.json()["error"]["details"]["fields"]["password"],
            json!(["must be 1 to 128 characters"])
        );
    }
    // Refused before the guard: no failure was counted.
    let reply = login(&app, "alice@example.com", "alice-password").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn an_address_past_its_failures_is_refused_for_every_account() {
    let app = test_app_with_sign_in_limits(
        SignInLimits::default()
            .with_failures_per_address(3)
            .with_failures_per_account(100),
    )
    .await;
    let addr = app.serve().await;
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let (status, body) = login_over_tcp(&addr, email, "password-spray").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // From the same address, even Alice's right password is refused.
    let (status, body) = login_over_tcp(&addr, "alice@example.com", "alice-password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("too many failed sign-ins for your network address")),
        "{body}"
    );
    // Alice's account itself is not limited: where no address is known, she signs in.
    let reply = login(&app, "alice@example.com", "alice-password").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn a_right_password_clears_its_accounts_failures() {
    let app =
        test_app_with_sign_in_limits(SignInLimits::default().with_failures_per_account(2)).await;
    for _ in 0..3 {
        let wrong = login(&app, "alice@example.com", "wrong-password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
        let right = login(&app, "alice@example.com", "alice-password").await;
        assert_eq!(right.status, StatusCode::OK, "{}", right.text);
    }
}

#[tokio::test]
async fn the_log_in_form_answers_the_refusal_with_and_without_javascript() {
    let app =
        test_app_with_sign_in_limits(SignInLimits::default().with_failures_per_account(1)).await;
    let wrong = json!({ "args": { "email": "alice@example.com", "password": "wrong-password" } });
    let reply = app
        .post_json("/api/mizan/form/log_in", &wrong.to_string(), &[SAME_ORIGIN])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    let right = json!({ "args": { "email": "alice@example.com", "password": "alice-password" } });
    let reply = app
        .post_json("/api/mizan/form/log_in", &right.to_string(), &[SAME_ORIGIN])
        .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), "RATE_LIMITED");

    // Without JavaScript: back to the page, which says why.
    let request = http::Request::post("/api/mizan/form/log_in")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "text/html")
        .header(http::header::HOST, "127.0.0.1:3000")
        .header(http::header::REFERER, "http://127.0.0.1:3000/login")
        .header(SAME_ORIGIN.0, SAME_ORIGIN.1)
        .body(axum::body::Body::from(
            "email=alice%40example.com&password=alice-password",
        ))
        .expect("request");
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert!(reply.session_cookie().is_none());
    let flash = reply
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| !value.starts_with("mizan_session="))
        .and_then(|value| value.split(';').next())
        .expect("the flash cookie")
        .to_owned();
    let page = app.get("/login", &[("cookie", &flash)]).await;
    assert!(
        page.text
            .contains("too many failed sign-ins for this account"),
        "{}",
        page.text
    );
}
