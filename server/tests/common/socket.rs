//! A WebSocket client for the tests: opening `/api/mizan/ws/` with the site's origin, reading
//! frames with a deadline, waiting for pushed invalidations.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, protocol::frame::coding::CloseCode},
};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a socket with these extra headers (`Origin` is the site's unless given).
pub async fn open(
    addr: &str,
    headers: &[(&'static str, &str)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}/api/mizan/ws/")
        .into_client_request()
        .expect("request");
    if !headers.iter().any(|(name, _)| *name == "origin") {
        let origin = format!("http://{addr}");
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header"));
    }
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, value.parse().expect("header"));
    }
    connect_async(request).await.map(|(socket, _)| socket)
}

/// The next text frame as JSON (pings skipped), within 5 s.
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("the socket is open")
            .expect("a message");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("not a text frame: {other:?}"),
        }
    }
}

/// The code of the close frame that arrives within 5 s (other frames skipped).
pub async fn close_code(socket: &mut Socket) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|frame| frame.code),
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// The keys of every `invalidate` frame that arrives within `wait`.
pub async fn invalidated_within(socket: &mut Socket, wait: Duration) -> Vec<String> {
    let mut keys = Vec::new();
    while let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(wait, socket.next()).await {
        let frame: Value = serde_json::from_str(&text).expect("a json frame");
        if frame["type"] == "invalidate" {
            keys.extend(
                serde_json::from_value::<Vec<String>>(frame["keys"].clone()).expect("keys"),
            );
        }
    }
    keys
}

/// Nothing arrives within `wait`.
pub async fn quiet(socket: &mut Socket, wait: Duration) {
    if let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(wait, socket.next()).await {
        panic!("expected nothing, got {text}");
    }
}

pub async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::text(frame.to_string()))
        .await
        .expect("sent");
}

/// Opens a socket and reads its `hello`: the socket and its id.
pub async fn connected(addr: &str, headers: &[(&'static str, &str)]) -> (Socket, String) {
    let mut socket = open(addr, headers).await.expect("upgraded");
    let hello = next(&mut socket).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["v"], 1);
    let id = hello["connection"].as_str().expect("an id").to_owned();
    (socket, id)
}

/// The next frame that is not a pushed invalidation.
pub async fn answer(socket: &mut Socket) -> Value {
    loop {
        let frame = next(socket).await;
        if frame["type"] != "invalidate" {
            return frame;
        }
    }
}
