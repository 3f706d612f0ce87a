//! The socket's fallback (`/api/mizan/sse/`) of the example server: frames down as Server-Sent
//! Events, up as posts; the origin rule, who may post to a stream, bad frames, pushed
//! invalidations, chat, and a sign-out ending the stream.

mod common;

use std::time::Duration;

use axum::body::Body;
use common::{SAME_ORIGIN, TestApp, sign_in, test_app};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const SSE: &str = "/api/mizan/sse/";

/// An open event stream, read event by event.
struct Stream {
    body: Body,
    buffer: String,
    /// The stream's secret, its `inlet` event: what posts name.
    secret: String,
    /// Its `hello` id: what HTTP calls name.
    connection: String,
}

/// One event: its name (`message` when unnamed) and data.
#[derive(Debug)]
struct Event {
    name: String,
    data: String,
}

impl Stream {
    /// Opens a stream with these headers (a same-origin browser's unless given) and reads its
    /// `hello`.
    async fn open(app: &TestApp, headers: &[(&str, &str)]) -> Self {
        let response = app
            .router
            .clone()
            .oneshot(stream_request(headers))
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        let mut stream = Self {
            body: response.into_body(),
            buffer: String::new(),
            secret: String::new(),
            connection: String::new(),
        };
        let inlet = stream.event().await.expect("the inlet event");
        assert_eq!(inlet.name, "inlet");
        stream.secret = inlet.data;
        let hello = stream.frame().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        stream.connection = hello["connection"].as_str().expect("an id").to_owned();
        stream
    }

    /// The next event (comments skipped), within 5 s; `None` when the stream ended.
    async fn event(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    name: "message".to_owned(),
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event: ") {
                        event.name = name.to_owned();
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data.push_str(data);
                        any = true;
                    }
                }
                if any {
                    return Some(event);
                }
                continue;
            }
            let frame = tokio::time::timeout(Duration::from_secs(5), self.body.frame())
                .await
                .expect("an event within 5 s");
            match frame {
                None => return None,
                Some(frame) => {
                    if let Ok(data) = frame.expect("body").into_data() {
                        self.buffer
                            .push_str(std::str::from_utf8(&data).expect("utf-8"));
                    }
                }
            }
        }
    }

    /// The next frame (an unnamed event) as JSON.
    async fn frame(&mut self) -> Value {
        let event = self.event().await.expect("the stream is open");
        assert_eq!(event.name, "message", "{event:?}");
        serde_json::from_str(&event.data).expect("JSON")
    }

    /// Posts `frame` as this stream's, with these headers.
    async fn post(&self, app: &TestApp, frame: &str, headers: &[(&str, &str)]) -> StatusCode {
        let mut all = vec![SAME_ORIGIN, ("x-mizan-stream", self.secret.as_str())];
        all.extend_from_slice(headers);
        app.post_json(SSE, frame, &all).await.status
    }
}

fn stream_request(headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(SSE);
    if !headers.iter().any(|(name, _)| *name == "sec-fetch-site") {
        request = request.header(SAME_ORIGIN.0, SAME_ORIGIN.1);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn a_stream_from_another_site_is_refused() {
    let app = test_app().await;
    let reply = app
        .send(stream_request(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "FORBIDDEN");
}

#[tokio::test]
async fn frames_flow_both_ways_watches_are_authorized_and_pushes_arrive() {
    let app = test_app().await;
    let mut anonymous = Stream::open(&app, &[]).await;
    let watch = json!({"v": 1, "action": "watch",
                       "keys": ["site_stats", "current_user", "user_directory",
                                r#"user_profile:{"user_id":1}"#]});
    assert_eq!(
        anonymous.post(&app, &watch.to_string(), &[]).await,
        StatusCode::NO_CONTENT
    );
    let answer = anonymous.frame().await;
    assert_eq!(answer["type"], "watching");
    assert_eq!(
        answer["keys"],
        json!([
            "site_stats",
            "current_user",
            r#"user_profile:{"user_id":1}"#
        ]),
        "{answer}"
    );
    assert_eq!(
        answer["refused"][0]["error"]["code"], "UNAUTHORIZED",
        "a visitor may not read the directory, so gets no keys of it"
    );

    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let mut alice = Stream::open(&app, &[("cookie", &cookie)]).await;
    let watch = json!({"v": 1, "action": "watch", "keys": [r#"user_profile:{"user_id":1}"#]});
    alice
        .post(&app, &watch.to_string(), &[("cookie", &cookie)])
        .await;
    assert_eq!(alice.frame().await["keys"], watch["keys"]);

    // A rename by another tab reaches both streams, each with its own watched keys (the
    // visitor's `current_user` is their own: `per_user`, it is not pushed to them).
    let reply = app
        .call(
            "update_name",
            json!({"user_id": 1, "name": "Alicia"}),
            &[SAME_ORIGIN, ("cookie", &cookie)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let pushed = alice.frame().await;
    assert_eq!(pushed["type"], "invalidate");
    assert_eq!(pushed["keys"], json!([r#"user_profile:{"user_id":1}"#]));
    assert_eq!(
        anonymous.frame().await["keys"],
        json!([r#"user_profile:{"user_id":1}"#])
    );

    // An rpc posted up is answered down the stream, as the stream's user.
    let rpc = json!({"v": 1, "action": "rpc", "id": 7, "fn": "echo", "args": {"text": "hi"}});
    alice
        .post(&app, &rpc.to_string(), &[("cookie", &cookie)])
        .await;
    let result = alice.frame().await;
    assert_eq!(result["type"], "result", "{result}");
    assert_eq!(result["id"], 7);
    assert_eq!(result["result"]["message"], "hi");
}

#[tokio::test]
async fn only_the_streams_secret_from_its_own_session_posts_to_it() {
    let app = test_app().await;
    let alice_cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin_cookie = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let alice = Stream::open(&app, &[("cookie", &alice_cookie)]).await;
    let anonymous = Stream::open(&app, &[]).await;
    let ping = r#"{"v":1,"action":"ping"}"#;
    let status = |reply: common::Reply| (reply.status, reply.error_code());

    let unnamed = app.post_json(SSE, ping, &[SAME_ORIGIN]).await;
    assert_eq!(
        status(unnamed),
        (StatusCode::BAD_REQUEST, "BAD_REQUEST".to_owned())
    );
    let refused: [Vec<(&str, &str)>; 4] = [
        // Another session with alice's secret.
        vec![("x-mizan-stream", &alice.secret), ("cookie", &admin_cookie)],
        // No session with alice's secret.
        vec![("x-mizan-stream", &alice.secret)],
        // The stream's public id is not its secret (HTTP calls carry the id).
        vec![("x-mizan-stream", &anonymous.connection)],
        vec![("x-mizan-stream", "not-a-stream")],
    ];
    for headers in refused {
        let mut all = vec![SAME_ORIGIN];
        all.extend(headers);
        assert_eq!(
            status(app.post_json(SSE, ping, &all).await),
            (StatusCode::NOT_FOUND, "NOT_FOUND".to_owned()),
            "another session's stream is not told apart from an unknown one"
        );
    }
    let cross_site = app
        .post_json(
            SSE,
            ping,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
                ("cookie", &alice_cookie),
                ("x-mizan-stream", &alice.secret),
            ],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert_eq!(
        alice.post(&app, ping, &[("cookie", &alice_cookie)]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        anonymous.post(&app, ping, &[]).await,
        StatusCode::NO_CONTENT
    );

    // A bearer token cannot ride the stream (an EventSource cannot send one).
    let bearer = common::bearer(1);
    let reply = app
        .send(stream_request(&[("authorization", &bearer)]))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_stream_goes_on() {
    let app = test_app().await;
    let mut stream = Stream::open(&app, &[]).await;
    assert_eq!(
        stream.post(&app, "not json", &[]).await,
        StatusCode::NO_CONTENT
    );
    let error = stream.frame().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "BAD_REQUEST");

    let huge = format!(
        r#"{{"v":1,"action":"ping","pad":"{}"}}"#,
        "x".repeat(70_000)
    );
    assert_eq!(
        stream.post(&app, &huge, &[]).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    stream
        .post(&app, r#"{"v":1,"action":"ping","id":3}"#, &[])
        .await;
    let pong = stream.frame().await;
    assert_eq!(
        (pong["type"].as_str(), pong["id"].as_u64()),
        (Some("pong"), Some(3))
    );
}

#[tokio::test]
async fn chat_flows_between_streams() {
    let app = test_app().await;
    let alice_cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin_cookie = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let mut alice = Stream::open(&app, &[("cookie", &alice_cookie)]).await;
    let mut admin = Stream::open(&app, &[("cookie", &admin_cookie)]).await;
    for (stream, cookie) in [(&mut alice, &alice_cookie), (&mut admin, &admin_cookie)] {
        let subscribe = json!({"v": 1, "action": "subscribe", "id": 1, "channel": "chat",
                               "params": {"room": "fallback"}});
        stream
            .post(&app, &subscribe.to_string(), &[("cookie", cookie)])
            .await;
        assert_eq!(stream.frame().await["type"], "subscribed");
    }
    let send = json!({"v": 1, "action": "send", "id": 2, "channel": "chat",
                      "params": {"room": "fallback"}, "message": {"text": "over SSE"}});
    alice
        .post(&app, &send.to_string(), &[("cookie", &alice_cookie)])
        .await;
    let heard = admin.frame().await;
    assert_eq!(heard["type"], "message", "{heard}");
    assert_eq!(heard["message"]["text"], "over SSE");
}

#[tokio::test]
async fn signing_out_ends_the_stream_with_the_session_code() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let mut stream = Stream::open(&app, &[("cookie", &cookie)]).await;
    let reply = app
        .call("logout", json!({}), &[SAME_ORIGIN, ("cookie", &cookie)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let close = stream.event().await.expect("a close event");
    assert_eq!(
        (close.name.as_str(), close.data.as_str()),
        ("close", "4001")
    );
    assert!(stream.event().await.is_none(), "then the stream ends");
    assert_eq!(
        stream
            .post(&app, r#"{"v":1,"action":"ping"}"#, &[("cookie", &cookie)])
            .await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn one_session_holds_a_bounded_number_of_streams() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let limit = mizan::server::Limits::default().sockets_per_session;
    let mut open = Vec::new();
    for _ in 0..limit {
        open.push(Stream::open(&app, &[("cookie", &cookie)]).await);
    }
    let refused = app.send(stream_request(&[("cookie", &cookie)])).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(refused.error_code(), "RATE_LIMITED");
    // Another visitor is not counted with this session.
    Stream::open(&app, &[]).await;
}
