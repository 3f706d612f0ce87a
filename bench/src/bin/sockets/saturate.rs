//! The saturating fan-out: members of one group, the total send rate stepped up until the
//! deliveries no longer keep p99 ≤ 50 ms with nothing lost, for mizan's channel, the raw axum +
//! `tokio::sync::broadcast` route and (when given) Django Channels speaking the raw route's
//! protocol.
//!
//! mizan limits each socket to 50 messages a second, so a rate is reached by several senders, each
//! at most [`PER_SENDER`] a second, all of them among the members (they hear the group too, and
//! their deliveries count). Every side is driven the same way. A rate *holds* when every member got
//! every message sent during its step and the p99 of send → delivery is within [`P99_BOUND_US`].
//! The rate doubles from a start until one fails (a failing rate is tried a second time, as the
//! machine is shared), then the gap is bisected until the failing rate is within [`PRECISION`] of
//! the holding one. All sides are connected at once and their searches take turns, step by step,
//! so a busy minute of the shared machine falls on every side alike.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt, stream::SplitStream};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::{Sink, Socket, next_json, now_us, open};

/// Most messages one sender sends a second: under mizan's per-socket limit (50 sustained), so the
/// run measures the fan-out, not the limit.
const PER_SENDER: u64 = 40;
/// The p99 a rate must keep, µs.
const P99_BOUND_US: u64 = 50_000;
/// Bisection stops when the failing rate is within this factor of the holding one.
const PRECISION: f64 = 1.1;
/// The first rate tried in a side's first round, messages a second into the group; later rounds
/// start at the last round's edge. The rate doubles (or halves) until it brackets the edge.
const FIRST_RATE: u64 = 10;
/// The latency histogram: buckets of this many µs ...
const BUCKET_US: u64 = 10;
/// ... this many of them (1 s); later deliveries count in the last.
const BUCKETS: usize = 100_000;
/// Steps whose deliveries may still be arriving: a late delivery from an older step is ignored.
const SLOTS: usize = 4;
/// The longest wait for a step's last deliveries after its last send.
const DRAIN_AT_MOST: Duration = Duration::from_secs(5);
/// The wait ends early when no delivery arrived for this long.
const DRAIN_QUIET: Duration = Duration::from_millis(500);
/// Before a step, the members must have heard nothing for this long: an overloaded server's
/// backlog (Django's queues hold 100 messages a member) must not run into the next step ...
const QUIET_BEFORE_STEP: Duration = Duration::from_millis(500);
/// ... waiting at most this long.
const QUIET_AT_MOST: Duration = Duration::from_secs(60);

/// What the members speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// mizan's socket: `hello`, `subscribe` to the `bench` channel, `send` frames, `message`
    /// frames.
    Mizan,
    /// The raw route's: no handshake; every text a socket sends is sent to every socket as is.
    Raw,
}

/// One side of the comparison: a server, the path its members open, what they speak.
#[derive(Debug, Clone)]
pub struct Target {
    /// The row's label in the table.
    pub label: String,
    /// What the members speak.
    pub protocol: Protocol,
    /// `host:port`.
    pub addr: String,
    /// The WebSocket's path.
    pub path: String,
    /// The server's process, for its CPU time.
    pub pid: u32,
}

/// What one step measured.
#[derive(Debug, Clone)]
pub struct Step {
    /// Messages sent into the group a second (asked).
    pub rate: u64,
    /// Sockets sending.
    pub senders: u64,
    /// Deliveries the members should have had.
    pub expected: u64,
    /// Deliveries they had.
    pub delivered: u64,
    /// Deliveries a second over the sending window.
    pub per_second: f64,
    /// Send → delivery, ms.
    pub p50_ms: f64,
    /// Send → delivery, ms.
    pub p99_ms: f64,
    /// The server's CPU over the sending window, % of one core.
    pub server_cpu: f64,
    /// The load client's, likewise: near 100 % the client, not the server, would be the limit.
    pub client_cpu: f64,
}

impl Step {
    /// Nothing lost and p99 within the bound.
    pub fn holds(&self) -> bool {
        self.delivered == self.expected && self.p99_ms * 1000.0 <= P99_BOUND_US as f64
    }
}

/// One step's deliveries: which step the slot is counting, how many, and their latencies.
struct Tally {
    step: AtomicU64,
    delivered: AtomicU64,
    buckets: Box<[AtomicU32]>,
}

/// The tallies of the last [`SLOTS`] steps, shared by every member's reader, and when any
/// stamped delivery last arrived (µs on [`now_us`]'s clock).
struct Tallies {
    slots: Vec<Tally>,
    last_heard_us: AtomicU64,
}

impl Tallies {
    fn new() -> Self {
        Self {
            slots: (0..SLOTS)
                .map(|_| Tally {
                    step: AtomicU64::new(u64::MAX),
                    delivered: AtomicU64::new(0),
                    buckets: (0..BUCKETS).map(|_| AtomicU32::new(0)).collect(),
                })
                .collect(),
            last_heard_us: AtomicU64::new(0),
        }
    }

    fn slot(&self, step: u64) -> &Tally {
        &self.slots[(step % SLOTS as u64) as usize]
    }

    /// Clears the slot `step` will count in.
    fn start(&self, step: u64) {
        let tally = self.slot(step);
        tally.step.store(u64::MAX, Ordering::Release);
        tally.delivered.store(0, Ordering::Relaxed);
        for bucket in &tally.buckets {
            bucket.store(0, Ordering::Relaxed);
        }
        tally.step.store(step, Ordering::Release);
    }

    fn count(&self, step: u64, sent_us: u64) {
        let now = now_us();
        self.last_heard_us.store(now, Ordering::Relaxed);
        let latency_us = now.saturating_sub(sent_us);
        let tally = self.slot(step);
        if tally.step.load(Ordering::Acquire) != step {
            return;
        }
        let bucket = usize::try_from(latency_us / BUCKET_US)
            .unwrap_or(usize::MAX)
            .min(BUCKETS - 1);
        tally.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        tally.delivered.fetch_add(1, Ordering::Relaxed);
    }

    fn delivered(&self, step: u64) -> u64 {
        self.slot(step).delivered.load(Ordering::Relaxed)
    }

    /// The latency at quantile `q` of `step`'s deliveries, ms (the bucket's upper edge).
    fn quantile_ms(&self, step: u64, q: f64) -> f64 {
        let tally = self.slot(step);
        let total = tally.delivered.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        let rank = ((total as f64 * q).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, bucket) in tally.buckets.iter().enumerate() {
            seen += u64::from(bucket.load(Ordering::Relaxed));
            if seen >= rank {
                return ((index as u64 + 1) * BUCKET_US) as f64 / 1000.0;
            }
        }
        (BUCKETS as u64 * BUCKET_US) as f64 / 1000.0
    }
}

/// The unsigned number right after `key` in `text` (a JSON field's value), if any. Cheaper than
/// parsing each delivery, so the client keeps up with the server it loads.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let start = text.find(key)? + key.len();
    let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
    text[start..start + digits].parse().ok()
}

/// CPU time of process `pid` so far (user + system), clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it do not.
    let after_name = stat.rsplit_once(')')?.1;
    let mut fields = after_name.split_whitespace();
    // Fields 14 and 15 of the whole line: 12th and 13th after the name.
    let user: u64 = fields.nth(11)?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The members of one side, connected, their readers counting into `tallies`.
struct Side {
    target: Target,
    sinks: Vec<Option<Sink>>,
    readers: Vec<JoinHandle<()>>,
    tallies: Arc<Tallies>,
    /// Members whose socket ended: the side cannot go on.
    closed: Arc<AtomicU64>,
    next_step: u64,
    seconds: u64,
}

impl Side {
    async fn connect(target: &Target, members: usize, seconds: u64) -> Result<Self, String> {
        let tallies = Arc::new(Tallies::new());
        let closed = Arc::new(AtomicU64::new(0));
        let subscribe =
            json!({"action": "subscribe", "id": 1, "channel": "bench", "params": {"topic": "all"}})
                .to_string();
        let mut sinks = Vec::with_capacity(members);
        let mut readers = Vec::with_capacity(members);
        for _ in 0..members {
            let mut socket = open(&target.addr, &target.path).await?;
            if target.protocol == Protocol::Mizan {
                next_json(&mut socket).await?; // hello
                socket
                    .send(Message::text(subscribe.clone()))
                    .await
                    .map_err(|e| e.to_string())?;
                let answer = next_json(&mut socket).await?;
                if answer["type"] != "subscribed" {
                    return Err(format!("subscribe answered {answer}"));
                }
            }
            let (sink, stream) = socket.split();
            sinks.push(Some(sink));
            readers.push(tokio::spawn(read(
                stream,
                Arc::clone(&tallies),
                Arc::clone(&closed),
            )));
        }
        Ok(Self {
            target: target.clone(),
            sinks,
            readers,
            tallies,
            closed,
            next_step: 0,
            seconds,
        })
    }

    /// `rate` messages a second into the group for the side's seconds.
    async fn step(&mut self, rate: u64) -> Result<Step, String> {
        // What an earlier step left queued arrives first.
        let waiting = Instant::now();
        while waiting.elapsed() < QUIET_AT_MOST {
            let since = now_us().saturating_sub(self.tallies.last_heard_us.load(Ordering::Relaxed));
            if Duration::from_micros(since) >= QUIET_BEFORE_STEP {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let step = self.next_step;
        self.next_step += 1;
        self.tallies.start(step);
        let members = self.sinks.len() as u64;
        let senders = rate.div_ceil(PER_SENDER).clamp(1, members);
        let period = Duration::from_secs_f64(senders as f64 / rate as f64);
        let each = (rate * self.seconds).div_ceil(senders);
        let server_before = cpu_ticks(self.target.pid);
        let client_before = cpu_ticks(std::process::id());
        let started = Instant::now();
        let first = tokio::time::Instant::now() + Duration::from_millis(20);
        let mut sending = Vec::new();
        for (index, slot) in self.sinks.iter_mut().take(senders as usize).enumerate() {
            let sink = slot.take().ok_or("a sender's socket is missing")?;
            // The senders take turns: together they send every 1/rate s.
            let at = first + Duration::from_secs_f64(index as f64 / rate as f64);
            sending.push(tokio::spawn(send(
                sink,
                self.target.protocol,
                step,
                at,
                period,
                each,
            )));
        }
        let mut sent = 0;
        let mut failure = None;
        for (slot, task) in self.sinks.iter_mut().zip(sending) {
            let (sink, outcome) = task.await.map_err(|e| e.to_string())?;
            *slot = Some(sink);
            match outcome {
                Ok(count) => sent += count,
                Err(error) => failure = Some(error),
            }
        }
        let window = started.elapsed().as_secs_f64();
        let server_cpu = cpu_share(server_before, cpu_ticks(self.target.pid), window);
        let client_cpu = cpu_share(client_before, cpu_ticks(std::process::id()), window);
        if let Some(error) = failure {
            return Err(format!("a sender failed: {error}"));
        }
        let expected = sent * members;
        // The last deliveries: until all are in, or none came for a while.
        let drain_started = Instant::now();
        let mut last = (self.tallies.delivered(step), Instant::now());
        while self.tallies.delivered(step) < expected && drain_started.elapsed() < DRAIN_AT_MOST {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = self.tallies.delivered(step);
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() >= DRAIN_QUIET {
                break;
            }
        }
        let closed = self.closed.load(Ordering::Relaxed);
        if closed > 0 {
            return Err(format!("{closed} members' sockets ended during the step"));
        }
        let delivered = self.tallies.delivered(step);
        let outcome = Step {
            rate,
            senders,
            expected,
            delivered,
            per_second: delivered as f64 / window.max(0.001),
            p50_ms: self.tallies.quantile_ms(step, 0.5),
            p99_ms: self.tallies.quantile_ms(step, 0.99),
            server_cpu,
            client_cpu,
        };
        Ok(outcome)
    }

    /// A step at `rate`, and when it fails a second one (the machine is shared: a neighbour's
    /// burst should not decide).
    async fn try_rate(&mut self, rate: u64, round: usize) -> Result<Step, String> {
        let first = self.step(rate).await?;
        self.log(round, &first);
        if first.holds() {
            return Ok(first);
        }
        let second = self.step(rate).await?;
        self.log(round, &second);
        Ok(second)
    }

    fn log(&self, round: usize, step: &Step) {
        eprintln!(
            "saturate: {} round {round}: {}/s ({} senders): {} of {} delivered, {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, server CPU {:.0} %, client CPU {:.0} %: {}",
            self.target.label,
            step.rate,
            step.senders,
            step.delivered,
            step.expected,
            step.per_second,
            step.p50_ms,
            step.p99_ms,
            step.server_cpu,
            step.client_cpu,
            if step.holds() { "holds" } else { "fails" },
        );
    }

    /// Closes every member's socket.
    async fn close(mut self) {
        for reader in &self.readers {
            reader.abort();
        }
        for sink in self.sinks.iter_mut().filter_map(Option::as_mut) {
            let _ = tokio::time::timeout(Duration::from_millis(100), sink.close()).await;
        }
        drop(self.sinks);
        // Let the server let go of them before the next side connects.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// % of one core used between two readings `window` seconds apart.
fn cpu_share(before: Option<u64>, after: Option<u64>, window: f64) -> f64 {
    match (before, after) {
        (Some(before), Some(after)) => after.saturating_sub(before) as f64 / window.max(0.001),
        _ => f64::NAN,
    }
}

/// A member's reader: counts every delivery carrying a stamp in its step's tally.
async fn read(mut stream: SplitStream<Socket>, tallies: Arc<Tallies>, closed: Arc<AtomicU64>) {
    while let Some(message) = stream.next().await {
        let Ok(Message::Text(text)) = message else {
            if message.is_err() {
                break;
            }
            continue;
        };
        let (Some(sent), Some(step)) = (
            number_after(&text, "\"sent_us\":"),
            number_after(&text, "\"step\":"),
        ) else {
            continue;
        };
        tallies.count(step, sent);
    }
    closed.fetch_add(1, Ordering::Relaxed);
}

/// One sender: `count` stamped messages, one every `period` from `at`; gives its sink back with
/// how many it sent.
async fn send(
    mut sink: Sink,
    protocol: Protocol,
    step: u64,
    at: tokio::time::Instant,
    period: Duration,
    count: u64,
) -> (Sink, Result<u64, String>) {
    let padding = "x".repeat(64);
    let mut ticker = tokio::time::interval_at(at, period);
    // Behind schedule, it sends later rather than in a burst: never over the per-socket rate.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for id in 0..count {
        ticker.tick().await;
        let stamp = format!(
            r#"{{"sent_us":{},"text":"{padding}","step":{step}}}"#,
            now_us()
        );
        let text = match protocol {
            Protocol::Raw => stamp,
            Protocol::Mizan => format!(
                r#"{{"action":"send","id":{},"channel":"bench","params":{{"topic":"all"}},"message":{stamp}}}"#,
                id + 2
            ),
        };
        if let Err(error) = sink.send(Message::text(text)).await {
            return (sink, Err(error.to_string()));
        }
    }
    (sink, Ok(count))
}

/// What a side's search found.
enum Edge {
    /// The highest rate that holds.
    Holds(Step),
    /// None holds: the step at 1 message a second, which failed.
    NoneHolds(Step),
}

impl Edge {
    /// Deliveries a second at the edge; 0 when no rate holds.
    fn per_second(&self) -> f64 {
        match self {
            Self::Holds(step) => step.per_second,
            Self::NoneHolds(_) => 0.0,
        }
    }
}

/// One side's search for the highest rate that holds: first a bracket (doubling while a rate
/// holds, halving while it fails), then bisection.
struct Search {
    /// The next rate to try while bracketing.
    rate: u64,
    /// The highest rate a side can send (every member at [`PER_SENDER`]).
    most: u64,
    bracketed: bool,
    holding: Option<Step>,
    failing: Option<u64>,
    /// The step at 1 a second, when even that failed.
    slowest_failed: Option<Step>,
}

impl Search {
    fn new(start: u64, members: usize) -> Self {
        let most = members as u64 * PER_SENDER;
        Self {
            rate: start.clamp(1, most),
            most,
            bracketed: false,
            holding: None,
            failing: None,
            slowest_failed: None,
        }
    }

    /// The rate to try next; `None` when the search is over.
    fn next_rate(&self) -> Option<u64> {
        if self.slowest_failed.is_some() {
            return None;
        }
        if !self.bracketed {
            return Some(self.rate);
        }
        let (low, high) = (self.holding.as_ref()?.rate, self.failing?);
        (high as f64 / low as f64 > PRECISION && high - low > 1).then_some((low + high) / 2)
    }

    /// What the rate [`Self::next_rate`] gave measured.
    fn record(&mut self, step: Step) {
        let rate = step.rate;
        if step.holds() {
            self.holding = Some(step);
            if !self.bracketed {
                if self.failing.is_some() || rate == self.most {
                    self.bracketed = true;
                } else {
                    self.rate = (rate * 2).min(self.most);
                }
            }
        } else {
            self.failing = Some(rate);
            if !self.bracketed {
                if self.holding.is_some() {
                    self.bracketed = true;
                } else if rate == 1 {
                    self.slowest_failed = Some(step);
                } else {
                    self.rate = (rate / 2).max(1);
                }
            }
        }
    }

    fn edge(self) -> Result<Edge, String> {
        match (self.holding, self.slowest_failed) {
            (Some(step), _) => Ok(Edge::Holds(step)),
            (None, Some(step)) => Ok(Edge::NoneHolds(step)),
            (None, None) => Err("the search ended without a step".into()),
        }
    }
}

/// What a side found in each round.
struct Found {
    target: Target,
    rounds: Vec<Edge>,
}

impl Found {
    /// The round with the median deliveries a second.
    fn median(&self) -> Option<&Edge> {
        let mut rounds: Vec<&Edge> = self.rounds.iter().collect();
        rounds.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
        rounds.get(rounds.len() / 2).copied()
    }

    /// The median over rounds of this side's deliveries a second over `baseline`'s, and the
    /// range.
    fn ratio(&self, baseline: &Found) -> (f64, f64, f64) {
        let mut ratios: Vec<f64> = self
            .rounds
            .iter()
            .zip(&baseline.rounds)
            .map(|(side, base)| side.per_second() / base.per_second().max(1.0))
            .collect();
        ratios.sort_by(f64::total_cmp);
        let median = ratios.get(ratios.len() / 2).copied().unwrap_or(0.0);
        let low = ratios.first().copied().unwrap_or(0.0);
        let high = ratios.last().copied().unwrap_or(0.0);
        (median, low, high)
    }
}

/// Steps every side's search in turn until all are over.
async fn take_turns(
    sides: &mut [Side],
    searches: &mut [Search],
    round: usize,
) -> Result<(), String> {
    loop {
        let mut stepped = false;
        for (side, search) in sides.iter_mut().zip(searches.iter_mut()) {
            if let Some(rate) = search.next_rate() {
                search.record(side.try_rate(rate, round).await?);
                stepped = true;
            }
        }
        if !stepped {
            return Ok(());
        }
    }
}

/// Runs every side `rounds` times (their steps taking turns within a round) with `members`
/// members and steps of `seconds`; the Markdown rows and verdict.
pub async fn run(
    targets: &[Target],
    members: usize,
    seconds: u64,
    rounds: usize,
) -> Result<String, String> {
    let mut found: Vec<Found> = targets
        .iter()
        .map(|target| Found {
            target: target.clone(),
            rounds: Vec::new(),
        })
        .collect();
    for round in 1..=rounds {
        // Every side connected at once, and their searches take turns step by step: the sides
        // compared meet the same moments of a shared machine, not one a quiet minute and the
        // next a busy one.
        let mut sides = Vec::with_capacity(found.len());
        let mut searches = Vec::with_capacity(found.len());
        for side in &found {
            // Later rounds start at what the last one found: fewer steps to the edge (and a
            // round that met a busy machine does not hold the next one back: it doubles).
            let start = match side.rounds.last() {
                Some(Edge::Holds(last)) => last.rate,
                // Nothing held: only 1 a second again (and up if it holds now).
                Some(Edge::NoneHolds(_)) => 1,
                None => FIRST_RATE,
            };
            sides.push(Side::connect(&side.target, members, seconds).await?);
            searches.push(Search::new(start, members));
        }
        let outcome = take_turns(&mut sides, &mut searches, round).await;
        for side in sides {
            side.close().await;
        }
        outcome?;
        for (side, search) in found.iter_mut().zip(searches) {
            side.rounds.push(search.edge()?);
        }
    }
    let [mizan, raw, others @ ..] = found.as_slice() else {
        return Err("the saturating run needs mizan's side and the raw side".into());
    };
    let mut table = format!(
        "### Fan-out that saturates\n\n\
         Produced by `sockets saturate {members} {seconds} {rounds}` \
         (`bench/src/bin/sockets/saturate.rs`) against a fresh bare bench server (mizan's channel \
         and the raw route) and, when given, Django Channels under daphne \
         (`bench/django_channels/`, speaking the raw route's protocol), each server pinned to one \
         core and the load client to the other. {members} members of one group (mizan: subscribed \
         to the `bench` channel; raw and Django: every socket of the route); a total rate into the \
         group is reached by several members sending, each at most {PER_SENDER} messages/s (under \
         mizan's 50 a socket); every member hears every message, the senders too, and counts. A \
         rate *holds* when in its {seconds} s step every member got every message and the p99 of \
         send → delivery is ≤ {bound} ms. The rate doubles from {FIRST_RATE}/s until one fails, \
         then the gap is bisected until the failing rate is within {precision:.0} % of the holding \
         one (later rounds start from the last round's rate); a failing rate is \
         tried twice (the machine is shared), and a step starts only once the members have heard \
         nothing for {quiet} ms (an overloaded server's backlog). {rounds} rounds; in a round every \
         side is connected at once and their searches take turns step by step, so the sides meet \
         the same moments of a shared machine. Each side's median round is shown; the ratio is \
         the median of the rounds' ratios (range in brackets). Server CPU is the share of its core \
         the server used while the senders sent (near 100 %: the server is the bound; below, \
         something else on its core took the rest).\n\n\
         | side, {members} members | highest rate holding (messages/s in) | deliveries/s | p50 / p99 | server CPU | vs raw |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
        bound = P99_BOUND_US / 1000,
        precision = (PRECISION - 1.0) * 100.0,
        quiet = QUIET_BEFORE_STEP.as_millis(),
    );
    for side in [mizan, raw].into_iter().chain(others) {
        let (ratio, low, high) = side.ratio(raw);
        let senders = |step: &Step| {
            if step.senders == 1 {
                "1 sender".to_owned()
            } else {
                format!("{} senders", step.senders)
            }
        };
        let row = match side.median() {
            Some(Edge::Holds(step)) => format!(
                "| {} | {} ({}) | {:.0} | {:.1} / {:.1} ms | {:.0} % | {ratio:.2}× ({low:.2}–{high:.2}) |\n",
                side.target.label,
                step.rate,
                senders(step),
                step.per_second,
                step.p50_ms,
                step.p99_ms,
                step.server_cpu,
            ),
            Some(Edge::NoneHolds(step)) => format!(
                "| {} | none: 1/s already fails ({} of {} delivered) | 0 (at 1/s: {:.0}) | at 1/s: {:.1} / {:.1} ms | {:.0} % | 0× |\n",
                side.target.label,
                step.delivered,
                step.expected,
                step.per_second,
                step.p50_ms,
                step.p99_ms,
                step.server_cpu,
            ),
            None => format!("| {} | not run | | | | |\n", side.target.label),
        };
        table.push_str(&row);
    }
    let (ratio, _, _) = mizan.ratio(raw);
    let verdict = if ratio >= 0.9 { "met" } else { "missed" };
    table.push_str(&format!(
        "\nGoal (issue 20): mizan's channel ≥ 0.9× raw broadcast at saturation: **{verdict}** ({ratio:.2}×).\n"
    ));
    Ok(table)
}
