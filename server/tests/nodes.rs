//! Two nodes of the example on one PostgreSQL database, linked by a broker (a redis-server of
//! the test's own, or PostgreSQL's `LISTEN/NOTIFY`), each serving on its own loopback port: a
//! session made on one holds on the other, a rename made through one reaches a socket open on
//! the other, chat crosses both ways, a sign-out closes the session's sockets everywhere; pushes
//! survive a redis outage (the open pages refetch once it is back); a stopped database gets a
//! typed 503, and calls succeed again once it is back.

mod common;

use std::time::Duration;

use common::{
    JWT_SECRET, SAME_ORIGIN, TestApp,
    postgres::Postgres,
    redis::Redis,
    sign_in,
    socket::{Socket, answer, close_code, connected, invalidated_within, send},
    test_node,
};
use http::StatusCode;
use mizan_platform::{Settings, settings::BrokerKind};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The settings of a node on `database`, linked by `broker` (at `url` for Redis).
fn node_settings(database: &str, broker: BrokerKind, url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.database.url = database.to_owned();
    settings.auth.jwt_secret = JWT_SECRET.into();
    settings.broker.kind = broker;
    settings.broker.url = url.to_owned();
    settings
}

/// Two nodes of one app, each served on a port of its own; their addresses.
async fn two_nodes(settings: &Settings) -> (TestApp, String, TestApp, String) {
    let a = test_node(settings).await;
    let b = test_node(settings).await;
    let (addr_a, addr_b) = (a.serve().await, b.serve().await);
    (a, addr_a, b, addr_b)
}

/// Renames user 1 through `node`, as `cookie`.
async fn rename(node: &TestApp, cookie: &str, name: &str) {
    let reply = node
        .call(
            "update_name",
            json!({"user_id": 1, "name": name}),
            &[SAME_ORIGIN, ("cookie", cookie)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// A socket on `addr` as `cookie`, watching user 1's profile.
async fn watching_profile(addr: &str, cookie: &str) -> Socket {
    let (mut socket, _) = connected(addr, &[("cookie", cookie)]).await;
    let key = r#"user_profile:{"user_id":1}"#;
    send(&mut socket, json!({"action": "watch", "keys": [key]})).await;
    assert_eq!(answer(&mut socket).await["type"], "watching");
    socket
}

/// Renames through `from` until `socket` hears of it (the nodes' subscriptions start on their
/// own tasks; the first rename may come before they are in place): the keys it heard.
async fn rename_reaches(from: &TestApp, cookie: &str, socket: &mut Socket) -> Vec<String> {
    for attempt in 0..20 {
        rename(from, cookie, &format!("Alice {attempt}")).await;
        let keys = invalidated_within(socket, Duration::from_millis(500)).await;
        if !keys.is_empty() {
            return keys;
        }
    }
    panic!("no rename reached the other node in 10 s");
}

/// What every broker carries: the session, a rename, chat both ways, a sign-out.
async fn nodes_act_as_one_site(settings: &Settings) {
    let (a, addr_a, b, addr_b) = two_nodes(settings).await;

    // Signed in through A; B knows the session (one database).
    let cookie = sign_in(&a, "alice@example.com", "alice-password", None).await;
    let me = b
        .call("whoami", json!({}), &[SAME_ORIGIN, ("cookie", &cookie)])
        .await;
    assert_eq!(
        me.json()["result"]["email"],
        "alice@example.com",
        "{}",
        me.text
    );

    // A rename through A reaches a page open on B.
    let mut on_b = watching_profile(&addr_b, &cookie).await;
    assert_eq!(
        rename_reaches(&a, &cookie, &mut on_b).await,
        [r#"user_profile:{"user_id":1}"#]
    );

    // Chat crosses both ways.
    let admin = sign_in(&b, "admin@example.com", "admin-password", None).await;
    let (mut alice_on_a, _) = connected(&addr_a, &[("cookie", &cookie)]).await;
    let (mut admin_on_b, _) = connected(&addr_b, &[("cookie", &admin)]).await;
    let general = json!({"room": "general"});
    for socket in [&mut alice_on_a, &mut admin_on_b] {
        send(
            socket,
            json!({"action": "subscribe", "id": 1, "channel": "chat", "params": general}),
        )
        .await;
        assert_eq!(answer(socket).await["type"], "subscribed");
    }
    let say = |id: u32, text: &str| {
        json!({"action": "send", "id": id, "channel": "chat", "params": general,
               "message": {"text": text}})
    };
    send(&mut alice_on_a, say(2, "from a")).await;
    let heard = loop {
        let frame = answer(&mut admin_on_b).await;
        if frame["type"] == "message" {
            break frame;
        }
    };
    assert_eq!(heard["message"]["text"], "from a");
    let speaker = heard["message"]["user"].as_str().unwrap_or_default();
    assert!(speaker.starts_with("Alice "), "as renamed on A: {speaker}");
    send(&mut admin_on_b, say(3, "from b")).await;
    let back = loop {
        let frame = answer(&mut alice_on_a).await;
        if frame["type"] == "message" && frame["message"]["text"] == "from b" {
            break frame;
        }
    };
    assert_eq!(back["message"]["user"], "Admin");

    // Staff renaming Alice through B: her socket on A reads her again (a changed user crosses
    // too), so her next line there carries the new name without a reconnect.
    let renamed = b
        .call(
            "update_name",
            json!({"user_id": 1, "name": "Renamed by staff"}),
            &[SAME_ORIGIN, ("cookie", &admin)],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    let mut speaker = String::new();
    for attempt in 0..50 {
        send(&mut alice_on_a, say(10 + attempt, "still me")).await;
        let frame = loop {
            let frame = answer(&mut admin_on_b).await;
            if frame["type"] == "message" && frame["message"]["text"] == "still me" {
                break frame;
            }
        };
        speaker = frame["message"]["user"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if speaker == "Renamed by staff" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        speaker, "Renamed by staff",
        "the change reached the socket on A"
    );

    // Signing out through A closes the session's socket on B.
    let out = a
        .call("logout", json!({}), &[SAME_ORIGIN, ("cookie", &cookie)])
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    assert_eq!(close_code(&mut on_b).await, Some(CloseCode::Library(4001)));
}

#[tokio::test]
async fn two_nodes_linked_by_redis_act_as_one_site() {
    let database = Postgres::start();
    let redis = Redis::start();
    nodes_act_as_one_site(&node_settings(
        &database.url(),
        BrokerKind::Redis,
        &redis.url(),
    ))
    .await;
}

#[tokio::test]
async fn two_nodes_linked_by_postgresql_act_as_one_site() {
    let database = Postgres::start();
    nodes_act_as_one_site(&node_settings(&database.url(), BrokerKind::Postgres, "")).await;
}

#[tokio::test]
async fn after_a_redis_outage_pushes_resume_and_open_pages_refetch_what_changed_meanwhile() {
    let database = Postgres::start();
    let mut redis = Redis::start();
    let settings = node_settings(&database.url(), BrokerKind::Redis, &redis.url());
    let (a, _, b, addr_b) = two_nodes(&settings).await;
    let cookie = sign_in(&a, "alice@example.com", "alice-password", None).await;
    let mut on_b = watching_profile(&addr_b, &cookie).await;
    rename_reaches(&a, &cookie, &mut on_b).await;

    redis.kill();
    // Both nodes keep answering, and a change goes through on A.
    rename(&a, &cookie, "Changed in the outage").await;
    let stats = b.call("site_stats", json!({}), &[SAME_ORIGIN]).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);

    // Long enough for A's client to give up on the rename's message (it retries for about a
    // second): what reaches B's page after the restart is then the resync, not that message.
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.start_again();
    // Within 10 s of the restart B resubscribes, and its open page refetches: the change made
    // during the outage shows without another one.
    let keys = invalidated_within(&mut on_b, Duration::from_secs(10)).await;
    assert_eq!(
        keys,
        [r#"user_profile:{"user_id":1}"#],
        "a resync after the outage"
    );
    let profile = b
        .call(
            "user_profile",
            json!({"user_id": 1}),
            &[SAME_ORIGIN, ("cookie", &cookie)],
        )
        .await;
    assert_eq!(profile.json()["result"]["name"], "Changed in the outage");
    // And pushes flow again.
    rename_reaches(&a, &cookie, &mut on_b).await;
}

#[tokio::test]
async fn a_stopped_database_gets_a_typed_503_and_calls_succeed_once_it_is_back() {
    let database = Postgres::start();
    let node = test_node(&node_settings(&database.url(), BrokerKind::None, "")).await;
    let cookie = sign_in(&node, "alice@example.com", "alice-password", None).await;

    database.stop();
    for headers in [
        vec![SAME_ORIGIN],
        vec![SAME_ORIGIN, ("cookie", cookie.as_str())],
    ] {
        let down = node.call("site_stats", json!({}), &headers).await;
        assert_eq!(
            down.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            down.text
        );
        assert_eq!(down.error_code(), "UNAVAILABLE");
        let message = down.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            !message.contains("127.0.0.1")
                && !message.contains("sqlx")
                && !message.contains("os error"),
            "no internals: {message}"
        );
    }

    database.start_again();
    let mut answered = None;
    for _ in 0..50 {
        let reply = node
            .call("whoami", json!({}), &[SAME_ORIGIN, ("cookie", &cookie)])
            .await;
        if reply.status == StatusCode::OK {
            answered = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answered = answered.expect("calls succeed within 10 s of the restart");
    assert_eq!(answered.json()["result"]["email"], "alice@example.com");
}
