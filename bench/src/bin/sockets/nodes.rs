//! Several nodes of one app: a group's fan-out with its members spread over the nodes (the
//! sender on the first), side by side for each way of linking them; and a soak, sockets watching
//! a context over the nodes while calls invalidate it steadily, counting errors and the nodes'
//! memory growth.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::{TcpClient, fan_out, next_json, open, rss_kib};

/// One row of the fan-out table: what links the nodes, what the members speak, where they are.
struct Side {
    label: String,
    raw: bool,
    addrs: Vec<String>,
}

/// `LABEL=mizan|raw@ADDR[,ADDR...]`.
fn side(text: &str) -> Result<Side, String> {
    let (label, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected LABEL=mizan@ADDR,ADDR"))?;
    let (kind, addrs) = rest
        .split_once('@')
        .ok_or_else(|| format!("`{text}`: expected LABEL=mizan@ADDR,ADDR"))?;
    let raw = match kind {
        "mizan" => false,
        "raw" => true,
        other => return Err(format!("`{other}`: the members speak `mizan` or `raw`")),
    };
    let addrs: Vec<String> = addrs
        .split(',')
        .filter(|addr| !addr.is_empty())
        .map(str::to_owned)
        .collect();
    if addrs.is_empty() {
        return Err(format!("`{text}`: no address"));
    }
    Ok(Side {
        label: label.to_owned(),
        raw,
        addrs,
    })
}

fn number(text: &str, what: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|error| format!("{what} `{text}`: {error}"))
}

/// `nodes MEMBERS RATE SECONDS SIDE...`: each side's fan-out, one after another, as a Markdown
/// table.
pub async fn fan_out_from(all: &[String]) -> Result<String, String> {
    const USAGE: &str =
        "usage: sockets nodes MEMBERS RATE SECONDS LABEL=mizan|raw@ADDR[,ADDR...] ...";
    let [members, rate, seconds, sides @ ..] = all else {
        return Err(USAGE.into());
    };
    if sides.is_empty() {
        return Err(USAGE.into());
    }
    let members = usize::try_from(number(members, "MEMBERS")?).map_err(|e| e.to_string())?;
    let (rate, seconds) = (number(rate, "RATE")?, number(seconds, "SECONDS")?);
    let mut table = format!(
        "| {members} members, one sender, {rate} messages/s for {seconds} s | nodes | delivered / lost | deliveries/s | p50 / p99 |\n\
         | --- | ---: | ---: | ---: | ---: |\n"
    );
    for text in sides {
        let side = side(text)?;
        let run = fan_out(&side.addrs, members, side.raw, rate, seconds).await?;
        eprintln!(
            "nodes: {}: {} delivered, {} lost, p99 {:.1} ms",
            side.label,
            run.deliveries,
            run.expected.saturating_sub(run.deliveries),
            run.p99_ms
        );
        table.push_str(&format!(
            "| {} | {} | {} / {} | {:.0} | {:.1} / {:.1} ms |\n",
            side.label,
            side.addrs.len(),
            run.deliveries,
            run.expected.saturating_sub(run.deliveries),
            run.per_second,
            run.p50_ms,
            run.p99_ms,
        ));
        // The next side starts on quiet servers.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(table)
}

/// What the soak's sockets saw.
#[derive(Default)]
struct Heard {
    invalidations: AtomicU64,
    /// Sockets that ended before the soak did.
    closed: AtomicU64,
}

/// `soak SOCKETS SECONDS CALLS_PER_SECOND ADDR,ADDR PID,PID`: SOCKETS mizan sockets over the
/// nodes, each watching `bench_counter`; `bench_bump` called over HTTP on the nodes in turn,
/// CALLS_PER_SECOND a second for SECONDS; errors, and each node's memory from after a warm-up to
/// the end, as a Markdown table.
pub async fn soak_from(all: &[String]) -> Result<String, String> {
    const USAGE: &str = "usage: sockets soak SOCKETS SECONDS CALLS_PER_SECOND ADDR,ADDR PID,PID";
    let [sockets, seconds, rate, addrs, pids] = all else {
        return Err(USAGE.into());
    };
    let count = usize::try_from(number(sockets, "SOCKETS")?).map_err(|e| e.to_string())?;
    let (seconds, rate) = (
        number(seconds, "SECONDS")?,
        number(rate, "CALLS_PER_SECOND")?,
    );
    let addrs: Vec<String> = addrs.split(',').map(str::to_owned).collect();
    let pids = pids
        .split(',')
        .map(|pid| number(pid, "PID").and_then(|pid| u32::try_from(pid).map_err(|e| e.to_string())))
        .collect::<Result<Vec<u32>, String>>()?;
    if addrs.is_empty() || addrs.len() != pids.len() {
        return Err(USAGE.into());
    }

    let heard = Arc::new(Heard::default());
    let watch = json!({"action": "watch", "keys": ["bench_counter"]});
    let mut readers = Vec::with_capacity(count);
    for index in 0..count {
        let mut socket = open(&addrs[index % addrs.len()], "/api/mizan/ws/").await?;
        next_json(&mut socket).await?;
        socket
            .send(Message::text(watch.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        let answer = next_json(&mut socket).await?;
        if answer["type"] != "watching" {
            return Err(format!("watch answered {answer}"));
        }
        let heard = Arc::clone(&heard);
        readers.push(tokio::spawn(async move {
            while let Some(message) = socket.next().await {
                match message {
                    Ok(Message::Text(text)) if text.contains("\"invalidate\"") => {
                        heard.invalidations.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            heard.closed.fetch_add(1, Ordering::Relaxed);
        }));
    }

    // The warm-up: the first calls grow every buffer to its working size.
    let clients: Vec<TcpClient> = addrs.iter().cloned().map(TcpClient).collect();
    let call = |n: u64| clients[(n as usize) % clients.len()].bump();
    for n in 0..(rate * 5) {
        call(n).await?;
        tokio::time::sleep(Duration::from_micros(1_000_000 / rate.max(1))).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before: Vec<u64> = pids
        .iter()
        .map(|pid| rss_kib(*pid))
        .collect::<Result<_, _>>()?;
    let heard_before = heard.invalidations.load(Ordering::Relaxed);

    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let (mut calls, mut failed) = (0_u64, 0_u64);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        ticker.tick().await;
        if let Err(error) = call(calls).await {
            failed += 1;
            eprintln!("soak: a call failed: {error}");
        }
        calls += 1;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after: Vec<u64> = pids
        .iter()
        .map(|pid| rss_kib(*pid))
        .collect::<Result<_, _>>()?;
    let invalidations = heard.invalidations.load(Ordering::Relaxed) - heard_before;
    let closed = heard.closed.load(Ordering::Relaxed);
    for reader in &readers {
        reader.abort();
    }

    let errors = failed + closed;
    let growth: Vec<f64> = before
        .iter()
        .zip(&after)
        .map(|(before, after)| (*after as f64 - *before as f64) / (*before).max(1) as f64 * 100.0)
        .collect();
    let worst = growth.iter().copied().fold(f64::MIN, f64::max);
    let verdict = if errors == 0 && worst < 10.0 {
        "met"
    } else {
        "missed"
    };
    let memory: Vec<String> = before
        .iter()
        .zip(&after)
        .zip(&growth)
        .map(|((before, after), growth)| {
            format!(
                "{:.1} → {:.1} MiB ({growth:+.1} %)",
                *before as f64 / 1024.0,
                *after as f64 / 1024.0
            )
        })
        .collect();
    Ok(format!(
        "| {count} sockets over {nodes} nodes, {calls} calls in {seconds} s ({rate}/s, nodes in turn) | |\n\
         | --- | --- |\n\
         | errors: failed calls + sockets closed | {failed} + {closed} |\n\
         | invalidations heard, per socket per call | {per:.2} |\n\
         | each node's memory (RSS), after a 5 s warm-up → at the end | {memory} |\n\
         | target: 0 errors, growth under 10 % | {verdict} |\n",
        nodes = addrs.len(),
        per = invalidations as f64 / (calls.max(1) * count as u64) as f64,
        memory = memory.join("; "),
    ))
}
