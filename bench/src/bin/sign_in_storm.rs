//! The sign-in storm load client: echo calls' latency on a running bench server when it is quiet,
//! beside a storm of wrong-password sign-ins checked by mizan (on the password pool), and beside
//! the same storm verified on the async worker (the baseline: how sign-ins were checked before).
//! Prints a Markdown section for `docs/benchmarks.md`.
//!
//! `sign_in_storm ADDR STORM SECONDS ROUNDS`: `STORM` concurrent sign-ins, `SECONDS` of echo calls
//! per phase, `ROUNDS` rounds of the three phases; medians over rounds are reported.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// Connections making echo calls, one call at a time each.
const ECHO_CONNECTIONS: usize = 4;

/// How long a storm runs before its echo calls are measured, and how long the server is left to
/// finish a storm's last sign-ins before the next phase.
const SETTLE: Duration = Duration::from_secs(1);

/// One keep-alive HTTP/1.1 connection making JSON calls.
struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    async fn open(addr: &str) -> Result<Self, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Self {
            stream: BufReader::new(stream),
            host: addr.to_owned(),
        })
    }

    /// `POST /api/mizan/call/` with `body`; the answer's status (its body is read and dropped).
    async fn call(&mut self, body: &str) -> Result<u16, String> {
        let request = format!(
            "POST /api/mizan/call/ HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stream
            .read_line(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("no status line: {line:?}"))?;
        let mut length = 0_usize;
        loop {
            line.clear();
            self.stream
                .read_line(&mut line)
                .await
                .map_err(|e| e.to_string())?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|_| "bad content-length")?;
            }
        }
        let mut body = vec![0_u8; length];
        self.stream
            .read_exact(&mut body)
            .await
            .map_err(|e| e.to_string())?;
        Ok(status)
    }
}

/// What a storm sends: none, or wrong-password sign-ins to this function.
#[derive(Clone, Copy)]
enum Storm {
    Quiet,
    Pool,
    Inline,
}

impl Storm {
    fn function(self) -> Option<&'static str> {
        match self {
            Self::Quiet => None,
            Self::Pool => Some("bench_sign_in"),
            Self::Inline => Some("bench_sign_in_inline"),
        }
    }
}

/// One phase's figures.
struct Phase {
    /// Echo latencies, sorted, in microseconds.
    latencies: Vec<u64>,
    seconds: f64,
    sign_ins: u64,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1] as f64 / 1000.0
    }
}

async fn phase(addr: &str, storm: Storm, count: usize, seconds: u64) -> Result<Phase, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let sign_ins = Arc::new(AtomicU64::new(0));
    let mut stormers = Vec::new();
    if let Some(function) = storm.function() {
        for n in 0..count {
            let mut connection = Connection::open(addr).await?;
            let (stop, sign_ins) = (Arc::clone(&stop), Arc::clone(&sign_ins));
            let body = format!(
                r#"{{"fn":"{function}","args":{{"account":"storm-{n}@example.com","password":"wrong-guess"}}}}"#
            );
            stormers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match connection.call(&body).await {
                        Ok(200) => sign_ins.fetch_add(1, Ordering::Relaxed),
                        Ok(status) => return Err(format!("a sign-in answered {status}")),
                        Err(error) => return Err(error),
                    };
                }
                Ok(())
            }));
        }
        tokio::time::sleep(SETTLE).await;
    }
    let counted_from = sign_ins.load(Ordering::Relaxed);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut echoes = Vec::new();
    for _ in 0..ECHO_CONNECTIONS {
        let mut connection = Connection::open(addr).await?;
        echoes.push(tokio::spawn(async move {
            let body = r#"{"fn":"bench_echo","args":{"text":"hello"}}"#;
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let sent = Instant::now();
                let status = connection.call(body).await?;
                if status != 200 {
                    return Err(format!("an echo answered {status}"));
                }
                latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for echo in echoes {
        latencies.extend(echo.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let sign_ins = sign_ins.load(Ordering::Relaxed) - counted_from;
    stop.store(true, Ordering::Relaxed);
    for stormer in stormers {
        stormer.await.map_err(|e| e.to_string())??;
    }
    if storm.function().is_some() {
        tokio::time::sleep(SETTLE).await;
    }
    latencies.sort_unstable();
    Ok(Phase {
        latencies,
        seconds: elapsed,
        sign_ins,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        f64::midpoint(values[n / 2 - 1], values[n / 2])
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let [addr, storm, seconds, rounds] = all.as_slice() else {
        return Err("usage: sign_in_storm ADDR STORM SECONDS ROUNDS".into());
    };
    let number = |text: &str, what: &str| {
        text.parse::<u64>()
            .map_err(|error| format!("{what} `{text}`: {error}"))
    };
    let count = usize::try_from(number(storm, "STORM")?).map_err(|e| e.to_string())?;
    let seconds = number(seconds, "SECONDS")?;
    let rounds = number(rounds, "ROUNDS")?;
    let storms = [Storm::Quiet, Storm::Pool, Storm::Inline];
    let mut results: Vec<Vec<Phase>> = storms.iter().map(|_| Vec::new()).collect();
    for round in 1..=rounds {
        for (storm, phases) in storms.iter().zip(&mut results) {
            let measured = phase(addr, *storm, count, seconds).await?;
            eprintln!(
                "round {round} {}: echo p50 {:.2} ms, p99 {:.2} ms, {} calls; {} sign-ins",
                storm.function().unwrap_or("quiet"),
                measured.percentile(50.0),
                measured.percentile(99.0),
                measured.latencies.len(),
                measured.sign_ins
            );
            phases.push(measured);
        }
    }
    let summary = |phases: &[Phase]| {
        let p50 = median(phases.iter().map(|p| p.percentile(50.0)).collect());
        let p99 = median(phases.iter().map(|p| p.percentile(99.0)).collect());
        let calls = median(
            phases
                .iter()
                .map(|p| p.latencies.len() as f64 / p.seconds)
                .collect(),
        );
        let sign_ins = median(
            phases
                .iter()
                .map(|p| p.sign_ins as f64 / p.seconds)
                .collect(),
        );
        (p50, p99, calls, sign_ins)
    };
    let quiet = summary(&results[0]);
    println!("## Sign-ins: echo latency beside a storm of wrong passwords");
    println!();
    println!(
        "Produced by `bench/src/bin/sign_in_storm.rs` ({count} storming connections, {seconds} s \
         per phase, {rounds} rounds, medians over rounds) against the bare bench server (pinned \
         to one core: one async worker, and one password thread, the pool's default there; the \
         load client on the other). {ECHO_CONNECTIONS} connections make echo calls \
         (`/api/mizan/call/`, `bench_echo`), one at a time each, while {count} others send \
         wrong-password sign-ins without pause: through `RequestContext::check_password` (the \
         Argon2id verification on the password pool; the bench server's guard has no limit, so \
         every one is verified, as in a storm from more addresses than the per-address limit \
         stops), or through the baseline verifying on the async worker, as the example's sign-in \
         did before."
    );
    println!();
    println!(
        "| beside the echo calls | echo p50 | echo p99 | p99 vs quiet | echo calls/s | sign-ins/s |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (storm, phases) in storms.iter().zip(&results) {
        let (p50, p99, calls, sign_ins) = summary(phases);
        let label = match storm {
            Storm::Quiet => "nothing (quiet)".to_owned(),
            Storm::Pool => {
                format!("{count} sign-ins at once, mizan (`check_password`, password pool)")
            }
            Storm::Inline => {
                format!("{count} sign-ins at once, verified on the async worker (before)")
            }
        };
        let sign_ins = match storm {
            Storm::Quiet => String::new(),
            _ => format!("{sign_ins:.0}"),
        };
        println!(
            "| {label} | {p50:.2} ms | {p99:.2} ms | {:.1}× | {calls:.0} | {sign_ins} |",
            p99 / quiet.1
        );
    }
    println!();
    println!(
        "Target (issue 19): a storm of sign-ins leaves the rest of the site responsive (the issue \
         measured a 1 ms echo at 119 ms median beside 12 sign-ins verified on the workers). On a \
         shared core the password thread and the worker still take turns, so the echo pays the \
         operating system's time slices, not a whole verification per sign-in queued before it; \
         with more cores the pool leaves one to the workers."
    );
    Ok(())
}
