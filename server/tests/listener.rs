//! mizan's listener over real TCP: a connection that sends its headers too slowly, or keeps
//! still between requests, is closed after the header-read timeout; one that behaves is served.

mod common;

use std::time::{Duration, Instant};

use common::test_app;
use mizan::server::Limits;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const TIMEOUT: Duration = Duration::from_millis(500);

/// Reads until the server closes the connection (or 5 s pass): what it sent, and when it closed.
async fn until_closed(tcp: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => panic!(
                "still open after 5 s, having sent: {}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let app = test_app().await;
    let addr = app
        .serve_with(Limits::default().with_header_read_timeout(TIMEOUT))
        .await;
    let mut tcp = TcpStream::connect(&addr).await.expect("connected");
    tcp.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .await
        .expect("written");
    let (_, after) = until_closed(&mut tcp).await;
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let app = test_app().await;
    let addr = app
        .serve_with(Limits::default().with_header_read_timeout(TIMEOUT))
        .await;
    let mut tcp = TcpStream::connect(&addr).await.expect("connected");
    tcp.write_all(b"GET /api/mizan/manifest HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("written");
    let (answer, after) = until_closed(&mut tcp).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_or_half_an_http2_preface_is_closed() {
    let app = test_app().await;
    let addr = app
        .serve_with(Limits::default().with_header_read_timeout(TIMEOUT))
        .await;
    let mut silent = TcpStream::connect(&addr).await.expect("connected");
    let (_, after) = until_closed(&mut silent).await;
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
    let mut preface = TcpStream::connect(&addr).await.expect("connected");
    preface
        .write_all(b"PRI * HTTP/2.0\r\n")
        .await
        .expect("written");
    let (_, after) = until_closed(&mut preface).await;
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_ends_its_request() {
    let app = test_app().await;
    let addr = app
        .serve_with(Limits::default().with_header_read_timeout(TIMEOUT))
        .await;
    let mut tcp = TcpStream::connect(&addr).await.expect("connected");
    tcp.write_all(
        b"POST /api/mizan/call/ HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
          content-length: 100\r\n\r\n{\"fn\":",
    )
    .await
    .expect("written");
    let (answer, after) = until_closed(&mut tcp).await;
    assert!(
        after < Duration::from_secs(3),
        "closed after {after:?}: {answer}"
    );
}
