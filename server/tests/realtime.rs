//! The socket (`/api/mizan/ws/`) of the example server, over real TCP with a real WebSocket
//! client: the origin rule, rpc through the pipeline, bad frames, pushed invalidations (coalesced,
//! never back to the caller), sign-out closing the session's sockets, and the size limit.

mod common;

use std::time::Duration;

use common::{
    SAME_ORIGIN, TestApp, sign_in,
    socket::{answer, close_code, connected, invalidated_within, next, open, quiet, send},
    test_app,
};
use futures::{SinkExt, StreamExt};
use http::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

/// The test app served on a free loopback port; its address.
async fn serve(app: &TestApp) -> String {
    app.serve().await
}

fn status_of(error: tokio_tungstenite::tungstenite::Error) -> StatusCode {
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status(),
        other => panic!("not an HTTP refusal: {other}"),
    }
}

#[tokio::test]
async fn an_upgrade_from_another_site_or_without_origin_is_refused() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let foreign = open(&addr, &[("origin", "https://evil.example")])
        .await
        .expect_err("refused");
    assert_eq!(status_of(foreign), StatusCode::FORBIDDEN);

    // Without Origin: what a non-browser client could send with a stolen cookie.
    let reply = app
        .get(
            "/api/mizan/ws/",
            &[
                ("connection", "upgrade"),
                ("upgrade", "websocket"),
                ("sec-websocket-version", "13"),
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "FORBIDDEN");

    let plain = app
        .get(
            "/api/mizan/ws/",
            &[("origin", "http://localhost"), ("host", "localhost")],
        )
        .await;
    assert_eq!(plain.status, StatusCode::BAD_REQUEST, "{}", plain.text);
}

#[tokio::test]
async fn rpc_answers_the_http_envelope_for_websocket_functions_only() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut socket, _) = connected(&addr, &[]).await;

    send(
        &mut socket,
        json!({"v": 1, "action": "rpc", "id": 1, "fn": "echo", "args": {"text": "hi"}}),
    )
    .await;
    let answer = next(&mut socket).await;
    assert_eq!(
        answer,
        json!({"v": 1, "type": "result", "id": 1, "result": {"message": "hi"}, "invalidate": []})
    );

    send(
        &mut socket,
        json!({"action": "rpc", "id": 2, "fn": "echo", "args": {"text": "x".repeat(201)}}),
    )
    .await;
    let invalid = next(&mut socket).await;
    assert_eq!(
        (invalid["type"].as_str(), invalid["id"].as_u64()),
        (Some("error"), Some(2))
    );
    assert_eq!(invalid["error"]["code"], "VALIDATION_ERROR");

    send(
        &mut socket,
        json!({"action": "rpc", "id": 3, "fn": "whoami"}),
    )
    .await;
    let http_only = next(&mut socket).await;
    assert_eq!(http_only["error"]["code"], "NOT_IMPLEMENTED", "{http_only}");

    send(
        &mut socket,
        json!({"action": "rpc", "id": 4, "fn": "no_such_function"}),
    )
    .await;
    assert_eq!(next(&mut socket).await["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_goes_on() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut socket, _) = connected(&addr, &[]).await;

    socket.send(Message::text("not json")).await.expect("sent");
    let error = next(&mut socket).await;
    assert_eq!(
        (error["type"].as_str(), &error["id"]),
        (Some("error"), &Value::Null)
    );
    assert_eq!(error["error"]["code"], "BAD_REQUEST");

    socket
        .send(Message::binary(vec![1, 2, 3]))
        .await
        .expect("sent");
    assert_eq!(next(&mut socket).await["error"]["code"], "BAD_REQUEST");

    send(&mut socket, json!({"v": 9, "action": "ping", "id": 5})).await;
    let version = next(&mut socket).await;
    assert_eq!(version["id"], 5);
    assert!(
        version["error"]["message"]
            .as_str()
            .expect("message")
            .contains("version 9")
    );

    send(&mut socket, json!({"action": "ping", "id": 6})).await;
    assert_eq!(
        next(&mut socket).await,
        json!({"v": 1, "type": "pong", "id": 6})
    );
}

#[tokio::test]
async fn a_calls_keys_reach_other_watching_sockets_coalesced_and_not_the_callers() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut watcher, _) = connected(&addr, &[]).await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let (mut caller, caller_id) = connected(&addr, &[("cookie", &cookie)]).await;

    let watched = json!([
        r#"user_profile:{"user_id":1}"#,
        r#"user_profile:{"user_id":2}"#,
        "current_user"
    ]);
    for socket in [&mut watcher, &mut caller] {
        send(socket, json!({"action": "watch", "keys": watched})).await;
        let answer = next(socket).await;
        assert_eq!(answer["type"], "watching");
        assert_eq!(answer["keys"], watched);
        assert_eq!(answer["refused"], json!([]));
    }

    // Two renames of user 1 in a row, made over HTTP by the caller's own tab.
    for name in ["Alicia", "Alice"] {
        let reply = app
            .call(
                "update_name",
                json!({"user_id": 1, "name": name}),
                &[
                    SAME_ORIGIN,
                    ("cookie", &cookie),
                    ("x-mizan-connection", &caller_id),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    let pushed = next(&mut watcher).await;
    assert_eq!(pushed["type"], "invalidate");
    let mut keys: Vec<String> = serde_json::from_value(pushed["keys"].clone()).expect("keys");
    keys.sort();
    assert_eq!(
        keys,
        [r#"user_profile:{"user_id":1}"#],
        "user 2 untouched; `current_user` is per user: the watcher's own did not change"
    );
    // One frame for the burst, each instance once (the window is 20 ms; the two calls are close
    // enough on this machine that at most one more frame may follow, never a third).
    let mut frames = 1;
    while let Ok(Some(Ok(Message::Text(_)))) =
        tokio::time::timeout(Duration::from_millis(300), watcher.next()).await
    {
        frames += 1;
    }
    assert!(frames <= 2, "{frames} frames for two calls");
    // The caller's answers carried the keys.
    quiet(&mut caller, Duration::from_millis(300)).await;
}

/// `update_name` over HTTP, from `connection`'s tab when given.
async fn rename(app: &TestApp, cookie: &str, user_id: i64, name: &str, connection: Option<&str>) {
    let mut headers = vec![SAME_ORIGIN, ("cookie", cookie)];
    if let Some(connection) = connection {
        headers.push(("x-mizan-connection", connection));
    }
    let body = json!({"user_id": user_id, "name": name});
    let reply = app.call("update_name", body, &headers).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// `current_user` is `per_user`: a call's keys for it reach the caller's other tabs, never
/// another user's; and when the app says a user changed, that user's tabs refetch it.
#[tokio::test]
async fn a_per_user_contexts_keys_reach_only_the_callers_own_sockets() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let (mut alice_here, alice_here_id) = connected(&addr, &[("cookie", &alice)]).await;
    let (mut alice_there, _) = connected(&addr, &[("cookie", &alice)]).await;
    let (mut admin_socket, _) = connected(&addr, &[("cookie", &admin)]).await;
    let (mut visitor, _) = connected(&addr, &[]).await;
    let watched = json!(["current_user", "site_stats"]);
    for socket in [
        &mut alice_here,
        &mut alice_there,
        &mut admin_socket,
        &mut visitor,
    ] {
        send(socket, json!({"action": "watch", "keys": watched})).await;
        assert_eq!(next(socket).await["refused"], json!([]));
    }

    // Alice renames herself from one tab: her other tab hears it, nobody else does.
    rename(&app, &alice, 1, "Alicia", Some(&alice_here_id)).await;
    let heard = invalidated_within(&mut alice_there, Duration::from_millis(300)).await;
    assert!(
        !heard.is_empty() && heard.iter().all(|key| key == "current_user"),
        "{heard:?}"
    );
    // Her own tab's answer carried the keys; a change of oneself is not pushed back to it.
    for socket in [&mut alice_here, &mut admin_socket, &mut visitor] {
        quiet(socket, Duration::from_millis(300)).await;
    }

    // Staff renames alice: her tabs refetch what they see of themselves; the visitor hears
    // nothing.
    rename(&app, &admin, 1, "Alice", None).await;
    for socket in [&mut alice_here, &mut alice_there] {
        let pushed = next(socket).await;
        assert_eq!(pushed["type"], "invalidate");
        assert_eq!(pushed["keys"], json!(["current_user"]));
    }
    quiet(&mut visitor, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn watches_are_checked_key_by_key() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut socket, _) = connected(&addr, &[]).await;
    send(
        &mut socket,
        json!({"action": "watch", "keys": ["site_stats", "whoami", "nope", "user-profile:{}"]}),
    )
    .await;
    let answer = next(&mut socket).await;
    assert_eq!(answer["keys"], json!(["site_stats"]));
    let refused: Vec<(String, String)> = answer["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().expect("key").to_owned(),
                r["error"]["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("whoami".to_owned(), "NOT_FOUND".to_owned()),
            ("nope".to_owned(), "NOT_FOUND".to_owned()),
            ("user-profile:{}".to_owned(), "BAD_REQUEST".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_context_a_user_may_not_read_is_never_pushed_to_them() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let (mut alice_socket, _) = connected(&addr, &[("cookie", &alice)]).await;
    let (mut admin_socket, _) = connected(&addr, &[("cookie", &admin)]).await;
    let watch = json!({"action": "watch", "keys": ["user_directory", "current_user"]});
    send(&mut alice_socket, watch.clone()).await;
    let answer = next(&mut alice_socket).await;
    assert_eq!(answer["keys"], json!(["current_user"]), "{answer}");
    assert_eq!(answer["refused"][0]["key"], "user_directory");
    assert_eq!(answer["refused"][0]["error"]["code"], "FORBIDDEN");
    send(&mut admin_socket, watch).await;
    assert_eq!(
        next(&mut admin_socket).await["keys"],
        json!(["user_directory", "current_user"])
    );

    // Alice renames herself from another tab: the directory changed, but only staff hear it.
    let reply = app
        .call(
            "update_name",
            json!({"user_id": 1, "name": "Alicia"}),
            &[SAME_ORIGIN, ("cookie", &alice)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let keys = |frame: Value| -> Vec<String> {
        assert_eq!(frame["type"], "invalidate", "{frame}");
        let mut keys: Vec<String> = serde_json::from_value(frame["keys"].clone()).expect("keys");
        keys.sort();
        keys
    };
    // Not `current_user`: alice's own changed, not the admin's (`per_user`).
    assert_eq!(keys(next(&mut admin_socket).await), ["user_directory"]);
    let heard = invalidated_within(&mut alice_socket, Duration::from_millis(300)).await;
    assert!(
        !heard.is_empty() && heard.iter().all(|key| key == "current_user"),
        "{heard:?}"
    );
    quiet(&mut admin_socket, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_bearer_tokens_socket_closes_when_the_token_expires() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let token = mizan::server::JwtKeys::from_secret(common::JWT_SECRET.as_bytes())
        .expect("a long enough secret")
        .issue(1, Duration::from_secs(1))
        .expect("token");
    let authorization = format!("Bearer {token}");
    let (mut socket, _) = connected(&addr, &[("authorization", &authorization)]).await;
    assert_eq!(
        close_code(&mut socket).await,
        Some(CloseCode::Library(4001)),
        "the token's end is the socket's"
    );
    // Still within the verifier's leeway for calls, but no new socket: no close-and-return loop.
    let again = open(&addr, &[("authorization", &authorization)])
        .await
        .expect_err("refused");
    assert_eq!(status_of(again), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_closes_the_sessions_sockets() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let (mut socket, _) = connected(&addr, &[("cookie", &cookie)]).await;
    let (mut anonymous, _) = connected(&addr, &[]).await;

    let reply = app
        .call("logout", json!({}), &[SAME_ORIGIN, ("cookie", &cookie)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        close_code(&mut socket).await,
        Some(CloseCode::Library(4001))
    );

    send(&mut anonymous, json!({"action": "ping"})).await;
    assert_eq!(
        next(&mut anonymous).await["type"],
        "pong",
        "another visitor's socket stays"
    );
}

#[tokio::test]
async fn chat_rooms_carry_typed_messages_to_their_members_only() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let alice_cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin_cookie = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let (mut alice, _) = connected(&addr, &[("cookie", &alice_cookie)]).await;
    let (mut admin, _) = connected(&addr, &[("cookie", &admin_cookie)]).await;
    let (mut elsewhere, _) = connected(&addr, &[("cookie", &admin_cookie)]).await;
    let (mut anonymous, _) = connected(&addr, &[]).await;

    let general = json!({"room": "general"});
    for (socket, id) in [(&mut alice, 1), (&mut admin, 2)] {
        send(
            socket,
            json!({"action": "subscribe", "id": id, "channel": "chat", "params": general}),
        )
        .await;
        assert_eq!(
            answer(socket).await,
            json!({"v": 1, "type": "subscribed", "id": id})
        );
    }
    send(
        &mut elsewhere,
        json!({"action": "subscribe", "id": 3, "channel": "chat", "params": {"room": "other"}}),
    )
    .await;
    assert_eq!(answer(&mut elsewhere).await["type"], "subscribed");

    send(
        &mut anonymous,
        json!({"action": "subscribe", "id": 4, "channel": "chat", "params": general}),
    )
    .await;
    let refused = answer(&mut anonymous).await;
    assert_eq!(
        (refused["id"].as_u64(), refused["error"]["code"].as_str()),
        (Some(4), Some("UNAUTHORIZED"))
    );

    send(&mut alice, json!({"action": "send", "id": 5, "channel": "chat", "params": general, "message": {"text": " hello "}})).await;
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(answer(&mut alice).await);
    }
    heard.sort_by_key(|frame| frame["type"].as_str().map(str::to_owned));
    let expected_message = json!({"v": 1, "type": "message", "channel": "chat",
                                  "params": {"room": "general"},
                                  "message": {"text": "hello", "user": "Alice"}});
    assert_eq!(
        heard,
        [
            expected_message.clone(),
            json!({"v": 1, "type": "sent", "id": 5})
        ]
    );
    assert_eq!(answer(&mut admin).await, expected_message);
    quiet(&mut elsewhere, Duration::from_millis(200)).await;

    // Rules hold on every message, and only for rooms subscribed to.
    send(&mut alice, json!({"action": "send", "id": 6, "channel": "chat", "params": general, "message": {"text": "   "}})).await;
    let blank = answer(&mut alice).await;
    assert_eq!(blank["error"]["code"], "VALIDATION_ERROR", "{blank}");
    send(&mut alice, json!({"action": "send", "id": 7, "channel": "chat", "params": {"room": "other"}, "message": {"text": "hi"}})).await;
    assert_eq!(answer(&mut alice).await["error"]["code"], "BAD_REQUEST");
    send(
        &mut alice,
        json!({"action": "subscribe", "id": 8, "channel": "chat", "params": {"room": ""}}),
    )
    .await;
    assert_eq!(
        answer(&mut alice).await["error"]["code"],
        "VALIDATION_ERROR"
    );
    send(
        &mut alice,
        json!({"action": "subscribe", "id": 9, "channel": "radio", "params": {}}),
    )
    .await;
    assert_eq!(answer(&mut alice).await["error"]["code"], "NOT_FOUND");

    // Unsubscribed, the admin hears nothing more.
    send(
        &mut admin,
        json!({"action": "unsubscribe", "channel": "chat", "params": general}),
    )
    .await;
    send(&mut alice, json!({"action": "send", "id": 10, "channel": "chat", "params": general, "message": {"text": "bye"}})).await;
    assert_eq!(answer(&mut alice).await["type"], "message");
    quiet(&mut admin, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_message_over_the_limit_closes_the_socket_and_the_server_goes_on() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut socket, _) = connected(&addr, &[]).await;
    let huge =
        json!({"action": "rpc", "id": 1, "fn": "echo", "args": {"text": "x".repeat(70 * 1024)}});
    let _ = socket.send(Message::text(huge.to_string())).await;
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break true,
            Ok(Some(Ok(_))) => continue,
            Err(_) => break false,
        }
    };
    assert!(ended, "the oversized message ended the socket");

    let (mut again, _) = connected(&addr, &[]).await;
    send(&mut again, json!({"action": "ping"})).await;
    assert_eq!(next(&mut again).await["type"], "pong");
}

#[tokio::test]
async fn a_watched_key_names_only_its_contexts_params_with_their_types_within_a_size() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut socket, _) = connected(&addr, &[]).await;
    let padded = format!(
        r#"user_profile:{{"current_user":"{}"}}"#,
        "x".repeat(40_000)
    );
    send(
        &mut socket,
        json!({"action": "watch", "keys": [
            r#"user_profile:{"user_id":1}"#,
            padded,
            r#"user_profile:{"current_user":1}"#,
            r#"user_profile:{"user_id":"1"}"#,
            r#"user_profile:{"user_id":1.5}"#,
            r#"user_profile:{"user_id":{"a":[1,2]}}"#,
        ]}),
    )
    .await;
    let answer = next(&mut socket).await;
    assert_eq!(answer["keys"], json!([r#"user_profile:{"user_id":1}"#]));
    let refused = answer["refused"].as_array().expect("refused");
    assert_eq!(refused.len(), 5, "{answer}");
    for refusal in refused {
        assert_eq!(refusal["error"]["code"], "BAD_REQUEST", "{refusal}");
        assert!(
            refusal["key"].as_str().expect("key").len() < 600,
            "a refusal does not echo a 40 KB key back"
        );
    }
    let messages: Vec<&str> = refused
        .iter()
        .map(|refusal| refusal["error"]["message"].as_str().expect("message"))
        .collect();
    assert!(messages[0].contains("at most 512 bytes"), "{messages:?}");
    assert!(
        messages[1].contains("no param `current_user`"),
        "{messages:?}"
    );
    assert!(messages[2].contains("an integer"), "{messages:?}");

    // Nothing refused was kept: a change to user 1 reaches the one accepted key only.
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let renamed = app
        .call(
            "update_name",
            json!({"user_id": 1, "name": "Alicia"}),
            &[("cookie", &alice)],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    let pushed = next(&mut socket).await;
    assert_eq!(pushed["type"], "invalidate");
    assert_eq!(pushed["keys"], json!([r#"user_profile:{"user_id":1}"#]));
}

#[tokio::test]
async fn one_address_holds_a_bounded_number_of_sockets_and_a_closed_one_frees_its_place() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let limit = mizan::server::Limits::default().sockets_per_address;
    let mut open_sockets = Vec::new();
    for _ in 0..limit {
        open_sockets.push(connected(&addr, &[]).await.0);
    }
    let refused = open(&addr, &[]).await.expect_err("one too many");
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else {
        panic!("not an HTTP refusal: {refused}");
    };
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value =
        serde_json::from_slice(response.body().as_deref().unwrap_or_default()).expect("JSON");
    assert_eq!(body["error"]["code"], "RATE_LIMITED", "{body}");

    let mut first = open_sockets.swap_remove(0);
    first.close(None).await.expect("closed");
    drop(first);
    // The server forgets the socket once its loop has seen the close.
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = open(&addr, &[]).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reopened.is_some(), "a closed socket frees its place");
}

#[tokio::test]
async fn the_origin_of_a_socket_or_a_post_must_have_the_sites_scheme() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let https = format!("https://{addr}");
    let refused = open(&addr, &[("origin", &https)])
        .await
        .expect_err("https page, http site");
    assert_eq!(status_of(refused), StatusCode::FORBIDDEN);
    connected(&addr, &[("origin", &format!("http://{addr}"))]).await;

    for (origin, status) in [(https.as_str(), "403"), (&format!("http://{addr}"), "200")] {
        let body = r#"{"fn":"echo","args":{"text":"hi"}}"#;
        let request = format!(
            "POST /api/mizan/call/ HTTP/1.1\r\nhost: {addr}\r\norigin: {origin}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let answer = raw_exchange(&addr, request.as_bytes()).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{origin}: {answer}"
        );
    }
}

/// Writes `request` on a new connection and reads until the server closes it.
async fn raw_exchange(addr: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(addr).await.expect("connected");
    tcp.write_all(request).await.expect("written");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer))
        .await
        .expect("answered within 5 s")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_switched_off_function_answers_over_the_socket_as_one_that_does_not_exist() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let (mut socket, _) = connected(&addr, &[]).await;
    let mut answers = Vec::new();
    for name in ["crash_test", "no_such_function"] {
        send(&mut socket, json!({"action": "rpc", "id": 1, "fn": name})).await;
        let rpc = next(&mut socket).await;
        send(&mut socket, json!({"action": "watch", "keys": [name]})).await;
        let watch = next(&mut socket).await;
        answers.push((rpc, watch));
    }
    let [(off_rpc, off_watch), (missing_rpc, missing_watch)] = answers.as_slice() else {
        unreachable!("two names");
    };
    assert_eq!(missing_rpc["error"]["code"], "NOT_FOUND", "{missing_rpc}");
    let renamed = |frame: &Value| frame.to_string().replace("crash_test", "no_such_function");
    assert_eq!(renamed(off_rpc), missing_rpc.to_string());
    assert_eq!(renamed(off_watch), missing_watch.to_string());
}

#[tokio::test]
async fn a_socket_closes_when_its_user_is_demoted_or_its_session_removed_behind_the_apps_back() {
    let app = common::test_app_with(|settings| settings.limits.identity_recheck_secs = 1).await;
    let addr = serve(&app).await;
    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let (mut admin_socket, _) = connected(&addr, &[("cookie", &admin)]).await;
    let (mut alice_socket, _) = connected(&addr, &[("cookie", &alice)]).await;
    let (mut bystander, _) = connected(&addr, &[]).await;

    // Neither change goes through the app: the hub hears of neither. First the rights alone:
    // the admin's session is untouched.
    sqlx::query("UPDATE users SET is_staff = 0 WHERE email = 'admin@example.com'")
        .execute(app.pool())
        .await
        .expect("demoted");
    assert_eq!(
        close_code(&mut admin_socket).await,
        Some(CloseCode::Library(4001))
    );
    send(&mut alice_socket, json!({"action": "ping"})).await;
    assert_eq!(
        next(&mut alice_socket).await["type"],
        "pong",
        "Alice is still Alice"
    );
    // Then Alice's session, removed elsewhere.
    sqlx::query("DELETE FROM tower_sessions")
        .execute(app.pool())
        .await
        .expect("sessions removed");
    assert_eq!(
        close_code(&mut alice_socket).await,
        Some(CloseCode::Library(4001))
    );
    send(&mut bystander, json!({"action": "ping"})).await;
    assert_eq!(next(&mut bystander).await["type"], "pong");
}

#[tokio::test]
async fn a_renamed_users_open_socket_speaks_under_the_new_name_without_reconnecting() {
    let app = test_app().await;
    let addr = serve(&app).await;
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let (mut alice_socket, _) = connected(&addr, &[("cookie", &alice)]).await;
    let lobby = json!({"room": "lobby"});
    send(
        &mut alice_socket,
        json!({"action": "subscribe", "id": 1, "channel": "chat", "params": lobby}),
    )
    .await;
    assert_eq!(answer(&mut alice_socket).await["type"], "subscribed");

    let renamed = app
        .call(
            "update_name",
            json!({"user_id": 1, "name": "Alicia"}),
            &[SAME_ORIGIN, ("cookie", &admin)],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    // The socket reads its user again as soon as it hears of the change; it stays open.
    let mut heard = None;
    for id in 2..40 {
        send(
            &mut alice_socket,
            json!({"action": "send", "id": id, "channel": "chat", "params": lobby,
                   "message": {"text": "hello"}}),
        )
        .await;
        let line = loop {
            let frame = answer(&mut alice_socket).await;
            if frame["type"] == "message" {
                break frame;
            }
        };
        if line["message"]["user"] == "Alicia" {
            heard = Some(line);
            break;
        }
        assert_eq!(line["message"]["user"], "Alice", "{line}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        heard.is_some(),
        "the new name within a second, on the same socket"
    );
}
