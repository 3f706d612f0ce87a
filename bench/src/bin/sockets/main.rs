//! The realtime load client: many tokio-tungstenite sockets in one process against a running
//! bench server. Measures the server's memory per idle socket, a channel's fan-out (latency,
//! losses, deliveries per second) beside a raw axum + `tokio::sync::broadcast` fan-out doing the
//! same work, and how fast a mutation's invalidation reaches watching sockets. Prints a Markdown
//! section for `docs/benchmarks.md`. That fan-out is one sender at a fixed rate (mizan limits each
//! socket to 50 messages a second): both sides deliver everything, so it shows latency, not
//! capacity. The `saturate` mode ([`saturate`]) finds each side's highest rate with several
//! senders, and can drive Django Channels speaking the raw route's protocol.
//!
//! The `nodes` and `soak` modes ([`nodes`]) do the same over several nodes of one app.
//!
//! `sockets ADDR SERVER_PID IDLE FANOUT RATE SECONDS PUSH`
//! `sockets saturate MEMBERS SECONDS ROUNDS ADDR SERVER_PID [DJANGO_ADDR DJANGO_PID DJANGO_LABEL]`
//! `sockets nodes MEMBERS RATE SECONDS LABEL=mizan|raw@ADDR[,ADDR...] ...`
//! `sockets soak SOCKETS SECONDS CALLS_PER_SECOND ADDR,ADDR PID,PID`

mod nodes;
mod saturate;

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt, stream::SplitSink};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest, protocol::WebSocketConfig},
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Socket, Message>;

/// Microseconds since the process started: the clock every timestamp uses.
fn now_us() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_micros()).unwrap_or(u64::MAX)
}

struct Args {
    addr: String,
    pid: u32,
    idle: usize,
    fanout: usize,
    rate: u64,
    seconds: u64,
    push: usize,
}

fn args() -> Result<Args, String> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let [addr, pid, idle, fanout, rate, seconds, push] = all.as_slice() else {
        return Err("usage: sockets ADDR SERVER_PID IDLE FANOUT RATE SECONDS PUSH".into());
    };
    let number = |text: &str, what: &str| {
        text.parse::<u64>()
            .map_err(|error| format!("{what} `{text}`: {error}"))
    };
    Ok(Args {
        addr: addr.clone(),
        pid: u32::try_from(number(pid, "SERVER_PID")?).map_err(|e| e.to_string())?,
        idle: usize::try_from(number(idle, "IDLE")?).map_err(|e| e.to_string())?,
        fanout: usize::try_from(number(fanout, "FANOUT")?).map_err(|e| e.to_string())?,
        rate: number(rate, "RATE")?,
        seconds: number(seconds, "SECONDS")?,
        push: usize::try_from(number(push, "PUSH")?).map_err(|e| e.to_string())?,
    })
}

async fn open(addr: &str, path: &str) -> Result<Socket, String> {
    let mut request = format!("ws://{addr}{path}")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    let origin = format!("http://{addr}").parse().map_err(|_| "origin")?;
    request.headers_mut().insert("origin", origin);
    // A small read buffer: tungstenite zeroes the whole buffer (128 KiB by default) before each
    // read, which made the client, not the server, the bound of a fan-out.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    // Without TCP_NODELAY (browsers set it), a sender's small frames wait on the server's
    // delayed ACK, up to 200 ms on loopback: a latency of the client, not of the fan-out.
    let (socket, _) = connect_async_with_config(request, Some(config), true)
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// The next text message as JSON.
async fn next_json(socket: &mut Socket) -> Result<Value, String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text).map_err(|e| e.to_string());
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("closed".into()),
        }
    }
}

/// The server's resident memory, KiB.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| "no VmRSS".to_owned())
}

/// Opens `n` mizan sockets (each past its `hello`); the server's RSS growth per socket, KiB.
async fn idle(args: &Args) -> Result<(f64, u64), String> {
    let before = rss_kib(args.pid)?;
    let mut sockets = Vec::with_capacity(args.idle);
    for _ in 0..args.idle {
        let mut socket = open(&args.addr, "/api/mizan/ws/").await?;
        next_json(&mut socket).await?;
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(args.pid)?;
    let per = (after.saturating_sub(before)) as f64 / args.idle as f64;
    drop(sockets);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok((per, after.saturating_sub(before)))
}

/// What one fan-out run measured.
struct FanOut {
    deliveries: u64,
    expected: u64,
    p50_ms: f64,
    p99_ms: f64,
    per_second: f64,
}

/// `members` receivers spread over `addrs` in turn and one sender on the first, `rate` messages a
/// second for `seconds`, over mizan's channel (`raw` false) or the raw baseline's protocol.
async fn fan_out(
    addrs: &[String],
    members: usize,
    raw: bool,
    rate: u64,
    seconds: u64,
) -> Result<FanOut, String> {
    let path = if raw { "/raw/ws" } else { "/api/mizan/ws/" };
    let subscribe =
        json!({"action": "subscribe", "id": 1, "channel": "bench", "params": {"topic": "all"}});
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    let mut sender: Option<Sink> = None;
    for index in 0..=members {
        let addr = if index == members {
            &addrs[0]
        } else {
            &addrs[index % addrs.len()]
        };
        let mut socket = open(addr, path).await?;
        if !raw {
            next_json(&mut socket).await?; // hello
            socket
                .send(Message::text(subscribe.to_string()))
                .await
                .map_err(|e| e.to_string())?;
            let answer = next_json(&mut socket).await?;
            if answer["type"] != "subscribed" {
                return Err(format!("subscribe answered {answer}"));
            }
        }
        let (sink, mut stream) = socket.split();
        if index == members {
            // The last socket sends; it hears the group too, like any member, uncounted.
            sender = Some(sink);
            readers.push(tokio::spawn(async move {
                while stream.next().await.is_some() {}
            }));
            continue;
        }
        let (latencies, delivered) = (Arc::clone(&latencies), Arc::clone(&delivered));
        let _keep = sink;
        readers.push(tokio::spawn(async move {
            let _sink = _keep;
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let stamp = if raw { &frame } else { &frame["message"] };
                if let Some(sent) = stamp["sent_us"].as_u64() {
                    let latency = now_us().saturating_sub(sent);
                    if let Ok(mut all) = latencies.lock() {
                        all.push(latency);
                    }
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut sender = sender.ok_or("no sender")?;
    let padding = "x".repeat(64);
    let interval = Duration::from_micros(1_000_000 / rate.max(1));
    let total = rate * seconds;
    let started = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    for id in 0..total {
        ticker.tick().await;
        let stamp = json!({"sent_us": now_us(), "text": padding});
        let text = if raw {
            stamp.to_string()
        } else {
            json!({"action": "send", "id": id + 2, "channel": "bench", "params": {"topic": "all"}, "message": stamp}).to_string()
        };
        sender
            .send(Message::text(text))
            .await
            .map_err(|e| e.to_string())?;
    }
    // Let the last messages land, then close everything.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let elapsed = started.elapsed().as_secs_f64() - 2.0;
    let _ = sender.close().await;
    for reader in &readers {
        reader.abort();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let deliveries = delivered.load(Ordering::Relaxed);
    let mut all = latencies.lock().map(|all| all.clone()).unwrap_or_default();
    all.sort_unstable();
    let pick = |q: f64| {
        all.get(((all.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    Ok(FanOut {
        deliveries,
        expected: total * members as u64,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        per_second: deliveries as f64 / elapsed.max(0.001),
    })
}

/// `n` sockets watch `bench_counter`; `rounds` mutations over HTTP; the delay from each call to
/// each socket's `invalidate`, ms (p50, p99).
async fn push(args: &Args, rounds: usize) -> Result<(f64, f64), String> {
    let watch = json!({"action": "watch", "keys": ["bench_counter"]});
    let mut sockets = Vec::new();
    for _ in 0..args.push {
        let mut socket = open(&args.addr, "/api/mizan/ws/").await?;
        next_json(&mut socket).await?;
        socket
            .send(Message::text(watch.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        next_json(&mut socket).await?;
        sockets.push(socket);
    }
    let mut delays = Vec::new();
    let client = TcpClient(args.addr.clone());
    for _ in 0..rounds {
        let started = Instant::now();
        // The sockets are read while the call is under way, so each delay ends when its frame
        // arrives, not when this client got round to it after the call's answer.
        let waits = futures::future::join_all(sockets.iter_mut().map(|socket| async move {
            let frame = next_json(socket).await;
            (frame, Instant::now())
        }));
        let (called, arrived) = futures::future::join(client.bump(), waits).await;
        called?;
        for (frame, at) in arrived {
            let frame = frame?;
            if frame["type"] != "invalidate" {
                return Err(format!("expected an invalidation, got {frame}"));
            }
            delays.push(at.duration_since(started).as_micros() as u64);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    delays.sort_unstable();
    let pick = |q: f64| {
        delays
            .get(((delays.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    Ok((pick(0.5), pick(0.99)))
}

/// A minimal HTTP/1.1 client for the one call the push benchmark makes.
struct TcpClient(pub String);

impl TcpClient {
    async fn bump(&self) -> Result<(), String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let body = r#"{"fn":"bench_bump","args":{}}"#;
        let request = format!(
            "POST /api/mizan/call/ HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.0,
            body.len()
        );
        let mut stream = TcpStream::connect(&self.0)
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        if answer.starts_with("HTTP/1.1 200") {
            Ok(())
        } else {
            Err(format!(
                "bench_bump answered {}",
                answer.lines().next().unwrap_or_default()
            ))
        }
    }
}

async fn run(args: Args) -> Result<String, String> {
    // In a fresh server, before anything else has grown its heap.
    let (per_socket, grown) = idle(&args).await?;
    let one = [args.addr.clone()];
    let mizan = fan_out(&one, args.fanout, false, args.rate, args.seconds).await?;
    let raw = fan_out(&one, args.fanout, true, args.rate, args.seconds).await?;
    let (push_p50, push_p99) = push(&args, 20).await?;
    let ratio = mizan.per_second / raw.per_second.max(1.0);
    let memory_verdict = if per_socket <= 16.0 { "met" } else { "missed" };
    let push_verdict = if push_p99 <= 30.0 { "met" } else { "missed" };
    let lost = |run: &FanOut| run.expected.saturating_sub(run.deliveries);
    Ok(format!(
        "## Realtime: sockets, channels, pushed invalidation\n\n\
         Produced by `bench/src/bin/sockets/` against the bare bench server (pinned to one core; \
         the load client, one process of tokio-tungstenite sockets, on the other), loopback. \
         Sockets are anonymous (the bench server has no users): an authenticated socket adds its \
         session and user, a few hundred bytes.\n\n\
         | measure | mizan | raw axum + `tokio::sync::broadcast` | target |\n\
         | --- | ---: | ---: | --- |\n\
         | server memory per idle socket, {idle} sockets (RSS growth / N) | {per_socket:.1} KiB ({grown} KiB in all) | | ≤ 16 KiB: {memory_verdict} |\n\
         | fan-out to {n} sockets, {rate}/s for {secs} s: delivered / lost | {md} / {ml} | {rd} / {rl} | 0 lost |\n\
         | fan-out latency p50 / p99 | {mp50:.1} / {mp99:.1} ms | {rp50:.1} / {rp99:.1} ms | p99 ≤ 50 ms |\n\
         | fan-out deliveries/s | {mps:.0} | {rps:.0} | {ratio:.2}× raw: equal by construction (one sender at a fixed rate); capacity is the saturating run's |\n\
         | a mutation's invalidation reaching {push} watching sockets, p50 / p99 over 20 calls | {push_p50:.1} / {push_p99:.1} ms | | p99 ≤ 30 ms: {push_verdict} |\n",
        idle = args.idle,
        memory_verdict = memory_verdict,
        push_verdict = push_verdict,
        n = args.fanout,
        rate = args.rate,
        secs = args.seconds,
        md = mizan.deliveries,
        ml = lost(&mizan),
        rd = raw.deliveries,
        rl = lost(&raw),
        mp50 = mizan.p50_ms,
        mp99 = mizan.p99_ms,
        rp50 = raw.p50_ms,
        rp99 = raw.p99_ms,
        mps = mizan.per_second,
        rps = raw.per_second,
        push = args.push,
    ))
}

/// `saturate MEMBERS SECONDS ROUNDS ADDR SERVER_PID [DJANGO_ADDR DJANGO_PID DJANGO_LABEL]`: the
/// sides to load (mizan's channel and the raw route on the bench server; Django Channels when
/// given) and how.
async fn saturate_from(all: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: sockets saturate MEMBERS SECONDS ROUNDS ADDR SERVER_PID [DJANGO_ADDR DJANGO_PID DJANGO_LABEL]";
    let number = |text: &str, what: &str| {
        text.parse::<u64>()
            .map_err(|error| format!("{what} `{text}`: {error}"))
    };
    let (members, seconds, rounds, addr, pid, django) = match all {
        [members, seconds, rounds, addr, pid] => (members, seconds, rounds, addr, pid, None),
        [
            members,
            seconds,
            rounds,
            addr,
            pid,
            django_addr,
            django_pid,
            django_label,
        ] => (
            members,
            seconds,
            rounds,
            addr,
            pid,
            Some((django_addr, django_pid, django_label)),
        ),
        _ => return Err(USAGE.into()),
    };
    let pid = u32::try_from(number(pid, "SERVER_PID")?).map_err(|e| e.to_string())?;
    let mut targets = vec![
        saturate::Target {
            label: "mizan (`bench` channel, `/api/mizan/ws/`)".into(),
            protocol: saturate::Protocol::Mizan,
            addr: addr.clone(),
            path: "/api/mizan/ws/".into(),
            pid,
        },
        saturate::Target {
            label: "raw axum + `tokio::sync::broadcast` (`/raw/ws`)".into(),
            protocol: saturate::Protocol::Raw,
            addr: addr.clone(),
            path: "/raw/ws".into(),
            pid,
        },
    ];
    if let Some((django_addr, django_pid, label)) = django {
        targets.push(saturate::Target {
            label: label.clone(),
            protocol: saturate::Protocol::Raw,
            addr: django_addr.clone(),
            path: "/raw/ws".into(),
            pid: u32::try_from(number(django_pid, "DJANGO_PID")?).map_err(|e| e.to_string())?,
        });
    }
    saturate::run(
        &targets,
        usize::try_from(number(members, "MEMBERS")?).map_err(|e| e.to_string())?,
        number(seconds, "SECONDS")?,
        usize::try_from(number(rounds, "ROUNDS")?).map_err(|e| e.to_string())?,
    )
    .await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match all.split_first() {
        Some((mode, rest)) if mode == "saturate" => saturate_from(rest).await,
        Some((mode, rest)) if mode == "nodes" => nodes::fan_out_from(rest).await,
        Some((mode, rest)) if mode == "soak" => nodes::soak_from(rest).await,
        _ => match args() {
            Ok(args) => run(args).await,
            Err(usage) => Err(usage),
        },
    };
    match outcome {
        Ok(section) => {
            println!("{section}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("sockets: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
