//! Passwords: Argon2id hashes made and checked on a small pool of blocking threads (never on the
//! async workers), and the [`SignInGuard`] that limits failed sign-ins per account and per client
//! address, and sign-ups per client address.
//!
//! One Argon2id hash or verification takes tens of milliseconds of CPU with the default
//! parameters (19 MiB, two passes): that is the point of it, and on an async worker it would hold
//! every other request of that worker for as long. So [`hash_password`] and [`verify_password`]
//! run on tokio's blocking threads, at most [`password_threads`] at once (by default one less than
//! the CPUs, at least one, so a storm of sign-ins leaves a core to the rest of the site); the rest
//! wait their turn without holding a thread, at most [`PASSWORD_WAITERS_PER_THREAD`] per thread:
//! past that, a hash or verification is refused at once with `RATE_LIMITED` ("the server is busy")
//! rather than queued behind work that would take seconds, so one client sending thousands of
//! sign-ups cannot push everyone's sign-in out of reach.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    net::IpAddr,
    num::NonZeroUsize,
    sync::{
        Arc, Mutex, OnceLock, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::{Semaphore, TryAcquireError};

use super::peer::counted_as;
use crate::error::MizanError;

/// How many hashes and verifications run at once, once chosen (by [`set_password_threads`] or
/// at the first use).
static PASSWORD_THREADS: OnceLock<usize> = OnceLock::new();

/// The password pool of this process, made at its first use.
static PASSWORD_POOL: OnceLock<PasswordPool> = OnceLock::new();

/// How many hashes and verifications may wait for the password pool, per thread of the pool;
/// one more is refused at once with `RATE_LIMITED` ("the server is busy: try again shortly").
/// With a verification taking about 50 ms, the last of 64 waiters per thread starts within about
/// three seconds: longer waits help no one, and an unbounded queue lets one client's sign-ups
/// delay everyone's sign-in without end.
pub const PASSWORD_WAITERS_PER_THREAD: usize = 64;

/// [`set_password_threads`] came after the pool's first use (or a second time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the password pool already has its size ({0} threads): set it once, before the first hash or \
     verification"
)]
pub struct PasswordPoolStarted(pub usize);

/// The default size of the password pool: one less than the CPUs this process may use, at least
/// one. A storm of sign-ins then keeps at most that many cores busy hashing, and the async
/// workers keep a core for everything else.
fn default_password_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .saturating_sub(1)
        .max(1)
}

/// How many password hashes and verifications run at once in this process (the rest wait, on
/// no thread, at most [`PASSWORD_WAITERS_PER_THREAD`] per thread): [`set_password_threads`]'s
/// choice, else one less than the CPUs, at least one.
pub fn password_threads() -> usize {
    *PASSWORD_THREADS.get_or_init(default_password_threads)
}

/// Sets how many password hashes and verifications run at once in this process, in place of the
/// default (one less than the CPUs, at least one): more sign-ins per second on a server that does
/// little else, fewer cores taken from the rest of the site under a storm. Call it once, at
/// start, before anything is hashed or verified; later it is refused.
pub fn set_password_threads(threads: NonZeroUsize) -> Result<(), PasswordPoolStarted> {
    PASSWORD_THREADS
        .set(threads.get())
        .map_err(|_| PasswordPoolStarted(password_threads()))
}

/// Blocking threads for password work: a permit per thread, and a bounded count of the callers
/// waiting for one.
#[derive(Debug)]
struct PasswordPool {
    permits: Semaphore,
    /// Callers waiting for a permit now.
    waiting: AtomicUsize,
    /// Most callers that may wait; the next is refused.
    max_waiting: usize,
}

/// A caller's place in the password pool's queue, given back when it stops waiting (it got a
/// permit, or its request went away).
struct QueuePlace<'pool>(&'pool AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PasswordPool {
    fn new(threads: usize, max_waiting: usize) -> Self {
        Self {
            permits: Semaphore::new(threads),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A place in the queue, or `RATE_LIMITED` when the queue is full.
    fn queue_place(&self) -> Result<QueuePlace<'_>, MizanError> {
        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |waiting| {
                (waiting < self.max_waiting).then_some(waiting + 1)
            })
            .map_err(|_| MizanError::rate_limited("the server is busy: try again shortly"))?;
        Ok(QueuePlace(&self.waiting))
    }

    /// Runs `work` on a blocking thread once the pool has room, and waits for it without holding
    /// an async worker; `RATE_LIMITED` at once when the pool is busy and its queue full.
    async fn run<T: Send + 'static>(
        &'static self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, MizanError> {
        // The pool is never closed, so acquiring fails only if it were.
        let closed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "the password pool is closed");
            MizanError::internal()
        };
        let permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => {
                let _place = self.queue_place()?;
                self.permits
                    .acquire()
                    .await
                    .map_err(|error| closed(&error))?
            }
            Err(error @ TryAcquireError::Closed) => return Err(closed(&error)),
        };
        tokio::task::spawn_blocking(move || {
            // Held by the thread, not the caller: a caller that goes away (a closed connection)
            // does not free a place while its hash is still running.
            let _permit = permit;
            work()
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "a password hash or verification did not finish");
            MizanError::internal()
        })
    }
}

/// Runs `work` on this process's password pool (see [`PasswordPool::run`]).
async fn on_password_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, MizanError> {
    PASSWORD_POOL
        .get_or_init(|| {
            let threads = password_threads();
            PasswordPool::new(threads, threads.saturating_mul(PASSWORD_WAITERS_PER_THREAD))
        })
        .run(work)
        .await
}

/// An Argon2id hash of `password` in PHC string form, with a fresh salt, computed on the password
/// pool (see the module docs): `RATE_LIMITED` at once when the pool's queue is full. A sign-up
/// should hash through [`SignInGuard::hash_for_sign_up`] instead, which also limits sign-ups per
/// client address.
pub async fn hash_password(password: &str) -> Result<String, MizanError> {
    let password = password.to_owned();
    on_password_pool(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| {
                tracing::error!(%error, "cannot hash a password");
                MizanError::internal()
            })
    })
    .await?
}

/// The hash to check a sign-in against when the name typed has no account, so that it takes as
/// long as a wrong password and counts as one: an Argon2id hash, with the default parameters, of
/// 128 random bits drawn from the OS once per process and never kept. Nobody can know its
/// password, so no sign-in ever matches it (a hash of a known password, say a demo account's,
/// would let that password "succeed" for every unknown name, clear its failures, and so tell
/// names with accounts from those without). Made on the password pool at the first call.
pub async fn unknown_account_hash() -> Result<&'static str, MizanError> {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_try_init(|| async {
        // A salt string is 16 random bytes from the OS, encoded: a password as good as any.
        let secret = SaltString::generate(&mut OsRng);
        hash_password(secret.as_str()).await
    })
    .await
    .map(String::as_str)
}

/// Whether `password` matches a PHC hash, checked on the password pool (see the module docs); a
/// malformed hash never matches. An error only when the pool's queue is full (`RATE_LIMITED`) or
/// the pool failed (`INTERNAL_ERROR`, logged).
///
/// A sign-in should go through [`RequestContext::check_password`](super::RequestContext::check_password)
/// instead, which also limits failed attempts.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool, MizanError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    on_password_pool(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
}

/// How many failed sign-ins the [`SignInGuard`] allows, and for how long it remembers them: the
/// setting of [`Site::sign_in_limits`](super::Site::sign_in_limits).
///
/// Failures are counted in windows: an account's (or address's) window opens at its first failure
/// and lasts [`window`](Self::window). Once a window holds the limit's failures, every sign-in of
/// that account (or from that address) is refused with `429 RATE_LIMITED`, a right password too,
/// until the window ends; then counting starts again. So nobody else's failures keep a right
/// password out for longer than one window. A successful sign-in clears its account's failures.
///
/// ```
/// use std::time::Duration;
///
/// let limits = mizan::server::SignInLimits::default()
///     .with_failures_per_address(200) // many people behind one office address
///     .with_window(Duration::from_secs(600));
/// assert_eq!(limits.failures_per_account, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInLimits {
    /// Failed sign-ins one account may have in a window; the next is refused. Default 5: room
    /// for a person's typing mistakes, and at most 480 guesses a day at any one account.
    pub failures_per_account: u32,
    /// Failed sign-ins one client address may make in a window, whatever accounts they name
    /// (behind a trusted proxy, the address it forwards; an IPv6 address counts with its whole
    /// `/64`, which one client usually holds). Default 50: ten people behind one address each
    /// mistyping five times, while one address trying a common password on many accounts is
    /// stopped after 50 of them. Not counted when the server does not know the client's address
    /// (a router served without mizan's listener).
    pub failures_per_address: u32,
    /// Accounts one client address may create in a window
    /// ([`SignInGuard::hash_for_sign_up`]); the next sign-up is refused. Each costs a password
    /// hash on the shared pool, and anyone may sign up, so this is what keeps one client from
    /// filling the pool. Default 20. Not counted when the server does not know the client's
    /// address.
    pub sign_ups_per_address: u32,
    /// How long a window lasts, from its first failure (or sign-up). Default 15 minutes; a
    /// `Duration::MAX` window never ends.
    pub window: Duration,
    /// Most accounts, and most addresses, remembered at once (each table apart, about 50 bytes
    /// an entry). When one is full, windows that ended are forgotten first, then those that
    /// opened earliest, so a flood of made-up account names cannot grow it. Default 100 000.
    pub tracked: usize,
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self {
            failures_per_account: 5,
            failures_per_address: 50,
            sign_ups_per_address: 20,
            window: Duration::from_secs(15 * 60),
            tracked: 100_000,
        }
    }
}

impl SignInLimits {
    /// With [`failures_per_account`](Self::failures_per_account) set.
    #[must_use]
    pub const fn with_failures_per_account(mut self, failures: u32) -> Self {
        self.failures_per_account = failures;
        self
    }

    /// With [`failures_per_address`](Self::failures_per_address) set.
    #[must_use]
    pub const fn with_failures_per_address(mut self, failures: u32) -> Self {
        self.failures_per_address = failures;
        self
    }

    /// With [`sign_ups_per_address`](Self::sign_ups_per_address) set.
    #[must_use]
    pub const fn with_sign_ups_per_address(mut self, sign_ups: u32) -> Self {
        self.sign_ups_per_address = sign_ups;
        self
    }

    /// With [`window`](Self::window) set.
    #[must_use]
    pub const fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// With [`tracked`](Self::tracked) set.
    #[must_use]
    pub const fn with_tracked(mut self, entries: usize) -> Self {
        self.tracked = entries;
        self
    }
}

/// What one account or address did in its current window: failed sign-ins, or sign-ups.
#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    /// Failed sign-ins, or sign-ups, counted in it.
    count: u32,
}

impl Window {
    /// Whether this window, lasting `window`, still runs at `now`. Computed from the time since
    /// it opened rather than as `opened + window`, which overflows `Instant` for a very long
    /// window (`Duration::MAX`: one that never ends).
    fn is_open(&self, now: Instant, window: Duration) -> bool {
        now.saturating_duration_since(self.opened) < window
    }

    /// How long this window, lasting `window`, still runs after `now`.
    fn remaining(&self, now: Instant, window: Duration) -> Duration {
        window.saturating_sub(now.saturating_duration_since(self.opened))
    }
}

/// Windows by key, at most [`SignInLimits::tracked`] of them.
#[derive(Debug)]
struct Table<K> {
    windows: HashMap<K, Window>,
    limit: u32,
}

impl<K: std::hash::Hash + Eq + Copy> Table<K> {
    fn new(limit: u32) -> Self {
        Self {
            windows: HashMap::new(),
            limit,
        }
    }

    /// How long until `key`'s window ends, if it is full at `now`.
    fn refused_for(&self, key: &K, now: Instant, window: Duration) -> Option<Duration> {
        let current = self.windows.get(key)?;
        (current.is_open(now, window) && current.count >= self.limit)
            .then(|| current.remaining(now, window))
    }

    /// Counts one failure (or sign-up) of `key` at `now`; the window it went into (its opening).
    fn charge(&mut self, key: K, now: Instant, window: Duration, tracked: usize) -> Instant {
        if !self.windows.contains_key(&key) && self.windows.len() >= tracked {
            self.make_room(now, window, tracked);
        }
        let current = self.windows.entry(key).or_insert(Window {
            opened: now,
            count: 0,
        });
        if !current.is_open(now, window) {
            *current = Window {
                opened: now,
                count: 0,
            };
        }
        current.count = current.count.saturating_add(1);
        current.opened
    }

    /// Takes back one failure (or sign-up) of `key` counted in the window opened at `opened` (a right
    /// password, or a check that could not run); a window ended since is left alone.
    fn refund(&mut self, key: &K, opened: Instant) {
        if let Some(current) = self.windows.get_mut(key)
            && current.opened == opened
        {
            current.count = current.count.saturating_sub(1);
            if current.count == 0 {
                self.windows.remove(key);
            }
        }
    }

    /// Forgets the windows that ended; when that is not a tenth of the table, also those opened
    /// earliest, down to nine tenths of `tracked`: each pass pays for many insertions.
    fn make_room(&mut self, now: Instant, window: Duration, tracked: usize) {
        self.windows
            .retain(|_, current| current.is_open(now, window));
        let keep = tracked - tracked / 10;
        if self.windows.len() <= keep {
            return;
        }
        let mut openings: Vec<Instant> = self.windows.values().map(|w| w.opened).collect();
        let evicted = openings.len() - keep;
        let (_, newest_evicted, _) = openings.select_nth_unstable(evicted - 1);
        let newest_evicted = *newest_evicted;
        self.windows
            .retain(|_, current| current.opened > newest_evicted);
    }
}

/// The tables of a [`SignInGuard`].
#[derive(Debug)]
struct Counts {
    accounts: Table<u64>,
    addresses: Table<IpAddr>,
    /// Sign-ups (not failures) per address.
    sign_ups: Table<IpAddr>,
}

/// Shared state of a [`SignInGuard`].
#[derive(Debug)]
struct GuardState {
    limits: SignInLimits,
    /// Keys the account names: the table keeps a 64-bit hash of each, not the name, so a long
    /// name costs no more memory; the key is random per guard, so no one can pick names that
    /// collide.
    names: RandomState,
    counts: Mutex<Counts>,
}

/// Counts failed sign-ins per account and per client address, and sign-ups per client address,
/// and refuses sign-ins and sign-ups past its [`SignInLimits`] with `429 RATE_LIMITED`. A [`Site`](super::Site) installs one for its
/// requests (see [`Site::sign_in_limits`](super::Site::sign_in_limits)); an app assembling its
/// own router adds one as a request extension (`axum::Extension(SignInGuard::new(limits))`),
/// else the process shares one with the default limits. Sign-ins use it through
/// [`RequestContext::check_password`](super::RequestContext::check_password). Cheap to clone
/// (one `Arc`); the clones share their counts. The counts live in this process: each node of a
/// cluster counts its own.
#[derive(Debug, Clone)]
pub struct SignInGuard {
    state: Arc<GuardState>,
}

impl Default for SignInGuard {
    fn default() -> Self {
        Self::new(SignInLimits::default())
    }
}

/// One sign-in let through: its failure already counted (so attempts made at once cannot pass
/// the limit together), taken back if the password was right.
#[derive(Debug)]
struct Attempt {
    account: u64,
    account_window: Instant,
    address: Option<(IpAddr, Instant)>,
}

impl SignInGuard {
    /// A guard with these limits and no failures yet.
    pub fn new(limits: SignInLimits) -> Self {
        Self {
            state: Arc::new(GuardState {
                limits,
                names: RandomState::new(),
                counts: Mutex::new(Counts {
                    accounts: Table::new(limits.failures_per_account),
                    addresses: Table::new(limits.failures_per_address),
                    sign_ups: Table::new(limits.sign_ups_per_address),
                }),
            }),
        }
    }

    /// The guard of requests that carry none: one per process, with the default limits.
    pub(crate) fn process_default() -> &'static Self {
        static DEFAULT: OnceLock<SignInGuard> = OnceLock::new();
        DEFAULT.get_or_init(Self::default)
    }

    /// Its limits.
    pub fn limits(&self) -> SignInLimits {
        self.state.limits
    }

    /// Whether `password` matches `hash` for a sign-in to `account` from `address`: refused with
    /// `RATE_LIMITED` (nothing verified) when the account or the address is past its limit, else
    /// verified on the password pool; a wrong password is counted against both, a right one
    /// clears the account's failures. `account` is the name the visitor typed, whether or not it
    /// has an account: for an unknown one pass [`unknown_account_hash`], so the time taken is the
    /// same and every password is wrong, and counts and refusals never tell which names exist.
    /// (Not a hash of any password someone could know, such as a demo account's: that password
    /// would be right for every unknown name, clearing its failures.) Names that differ only in
    /// case or surrounding spaces count as one.
    pub async fn check(
        &self,
        account: &str,
        address: Option<IpAddr>,
        password: &str,
        hash: &str,
    ) -> Result<bool, MizanError> {
        let attempt = self.begin(account, address, Instant::now())?;
        match verify_password(password, hash).await {
            Ok(true) => {
                self.succeeded(&attempt);
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(error) => {
                // Nothing was checked: not the visitor's failure.
                self.refund(&attempt);
                Err(error)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The tables stay consistent between statements, so a panic elsewhere leaves them usable.
        self.state
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn account_key(&self, account: &str) -> u64 {
        self.state.names.hash_one(account.trim().to_lowercase())
    }

    /// Lets a sign-in through at `now` and counts it as failed until it proves otherwise, or
    /// refuses it.
    fn begin(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, MizanError> {
        let account = self.account_key(account);
        let address = address.map(counted_as);
        let SignInLimits {
            window, tracked, ..
        } = self.state.limits;
        let mut failures = self.lock();
        if let Some(wait) = failures.accounts.refused_for(&account, now, window) {
            return Err(refusal("this account", wait));
        }
        if let Some(wait) = address.and_then(|a| failures.addresses.refused_for(&a, now, window)) {
            return Err(refusal("your network address", wait));
        }
        let account_window = failures.accounts.charge(account, now, window, tracked);
        let address = address.map(|a| (a, failures.addresses.charge(a, now, window, tracked)));
        Ok(Attempt {
            account,
            account_window,
            address,
        })
    }

    /// A right password: the account's failures are forgotten; the address's count loses this
    /// attempt only (a visitor who knows one password must not clear an address's other guesses).
    fn succeeded(&self, attempt: &Attempt) {
        let mut failures = self.lock();
        failures.accounts.windows.remove(&attempt.account);
        if let Some((address, opened)) = attempt.address {
            failures.addresses.refund(&address, opened);
        }
    }

    /// A hash of a new account's `password` (as [`hash_password`]) for a sign-up from `address`
    /// (the client's, `ctx.peer().map(|peer| peer.addr())`): refused with `RATE_LIMITED`,
    /// nothing hashed, once that address has made
    /// [`sign_ups_per_address`](SignInLimits::sign_ups_per_address) sign-ups in its window. Each
    /// call counts, whether or not the account is then created: the hash is the cost (a sign-up
    /// refused earlier, say for an email already registered, should not call it). Anyone may
    /// sign up, so an app's sign-up hashes through this rather than [`hash_password`]:
    ///
    /// ```no_run
    /// # async fn sign_up(ctx: mizan::server::RequestContext, password: String) -> Result<(), mizan::MizanError> {
    /// let guard = ctx.require::<mizan::server::SignInGuard>()?; // a `Site` installs one
    /// let hash = guard.hash_for_sign_up(ctx.peer().map(|peer| peer.addr()), &password).await?;
    /// # let _ = hash; Ok(()) }
    /// ```
    pub async fn hash_for_sign_up(
        &self,
        address: Option<IpAddr>,
        password: &str,
    ) -> Result<String, MizanError> {
        let counted = self.begin_sign_up(address, Instant::now())?;
        let hashed = hash_password(password).await;
        if hashed.is_err()
            && let Some((address, opened)) = counted
        {
            // Nothing was hashed (the pool was busy, or failed): not the visitor's sign-up.
            self.lock().sign_ups.refund(&address, opened);
        }
        hashed
    }

    /// Counts a sign-up from `address` at `now` (under the key it went in with and its window's
    /// opening), or refuses it; nothing is counted for an unknown address.
    fn begin_sign_up(
        &self,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Option<(IpAddr, Instant)>, MizanError> {
        let Some(address) = address.map(counted_as) else {
            return Ok(None);
        };
        let SignInLimits {
            window, tracked, ..
        } = self.state.limits;
        let mut counts = self.lock();
        if let Some(wait) = counts.sign_ups.refused_for(&address, now, window) {
            return Err(refused("too many sign-ups from your network address", wait));
        }
        let opened = counts.sign_ups.charge(address, now, window, tracked);
        Ok(Some((address, opened)))
    }

    /// An attempt that did not count after all.
    fn refund(&self, attempt: &Attempt) {
        let mut failures = self.lock();
        failures
            .accounts
            .refund(&attempt.account, attempt.account_window);
        if let Some((address, opened)) = attempt.address {
            failures.addresses.refund(&address, opened);
        }
    }
}

/// The `RATE_LIMITED` of a sign-in refused for `whose` failures, saying when to try again (and
/// `details.retry_after`, in seconds).
fn refusal(whose: &str, wait: Duration) -> MizanError {
    refused(&format!("too many failed sign-ins for {whose}"), wait)
}

/// A `RATE_LIMITED` saying `what` and when to try again (and `details.retry_after`, in seconds).
fn refused(what: &str, wait: Duration) -> MizanError {
    let seconds = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    let when = match seconds {
        0..=59 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    };
    MizanError::rate_limited(format!("{what}: try again in {when}"))
        .with_details(serde_json::json!({ "retry_after": seconds }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash).await.expect("pool"));
        assert!(!verify_password("wrong", &hash).await.expect("pool"));
        assert!(
            !verify_password("correct horse", "not a hash")
                .await
                .expect("pool")
        );
    }

    /// On a runtime of one thread, a verification in progress leaves that thread to other tasks:
    /// a timer keeps ticking until it is done. (Verified on the worker, the timer would tick once,
    /// after it.)
    #[tokio::test(flavor = "current_thread")]
    async fn verifying_leaves_the_async_worker_free() {
        let hash = hash_password("correct horse").await.expect("hash");
        let verifying = tokio::spawn(async move { verify_password("wrong", &hash).await });
        let mut ticks = 0;
        while !verifying.is_finished() {
            tokio::time::sleep(Duration::from_millis(1)).await;
            ticks += 1;
        }
        assert!(!verifying.await.expect("joined").expect("pool"));
        assert!(
            ticks >= 3,
            "the worker was held: {ticks} ticks while verifying"
        );
    }

    /// Waits until `pool` has `waiting` callers queued.
    async fn until_waiting(pool: &PasswordPool, waiting: usize) {
        while pool.waiting.load(Ordering::Acquire) != waiting {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn a_busy_pool_queues_its_waiters_up_to_its_bound_and_refuses_the_next() {
        let pool: &'static PasswordPool = Box::leak(Box::new(PasswordPool::new(1, 2)));
        // The pool's one thread is busy until `release` is sent.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn(pool.run(move || released.recv().is_ok()));
        while pool.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let first = tokio::spawn(pool.run(|| 1));
        let second = tokio::spawn(pool.run(|| 2));
        until_waiting(pool, 2).await;
        let refused = pool.run(|| 3).await.expect_err("the queue is full");
        assert_eq!(refused.code.as_str(), "RATE_LIMITED");
        assert_eq!(refused.message, "the server is busy: try again shortly");
        // A waiter whose request went away gives its place back.
        second.abort();
        assert!(second.await.is_err_and(|error| error.is_cancelled()));
        until_waiting(pool, 1).await;
        let third = tokio::spawn(pool.run(|| 3));
        until_waiting(pool, 2).await;
        release.send(()).expect("the busy work waits");
        assert!(busy.await.expect("joined").expect("ran"));
        assert_eq!(first.await.expect("joined").expect("ran"), 1);
        assert_eq!(third.await.expect("joined").expect("ran"), 3);
        assert_eq!(pool.waiting.load(Ordering::Acquire), 0);
        assert_eq!(pool.run(|| 4).await.expect("room again"), 4);
    }

    #[tokio::test]
    async fn the_unknown_account_hash_is_one_hash_of_a_password_nobody_knows() {
        let hash = unknown_account_hash().await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert_eq!(unknown_account_hash().await.expect("hash"), hash);
        assert!(!verify_password("", hash).await.expect("pool"));
        // Not the hash of the same secret in another process: a fresh salt and secret each time
        // (a fixed one would be in the source, as the example's was).
        assert_ne!(hash, hash_password("").await.expect("hash"));
    }

    #[test]
    fn a_window_of_duration_max_never_ends() {
        let guard = SignInGuard::new(
            SignInLimits::default()
                .with_failures_per_account(1)
                .with_sign_ups_per_address(1)
                .with_window(Duration::MAX),
        );
        let here: IpAddr = [192, 0, 2, 1].into();
        let start = Instant::now();
        guard
            .begin("alice", Some(here), start)
            .expect("let through");
        let later = start + Duration::from_secs(365 * 24 * 3600);
        let refused = guard.begin("alice", None, later).expect_err("never ends");
        assert_eq!(refused.code.as_str(), "RATE_LIMITED");
        let retry_after = refused.details.as_ref().map(|d| d["retry_after"].as_u64());
        assert!(retry_after > Some(Some(u64::MAX / 2)), "{retry_after:?}");
        guard.begin_sign_up(Some(here), start).expect("the first");
        assert_eq!(
            guard
                .begin_sign_up(Some(here), later)
                .expect_err("never ends")
                .code
                .as_str(),
            "RATE_LIMITED"
        );
        // Full tables forget nothing of a window that never ends, and do not overflow either.
        let small = SignInGuard::new(
            SignInLimits::default()
                .with_window(Duration::MAX)
                .with_tracked(2),
        );
        for name in ["a", "b", "c"] {
            small.begin(name, None, later).expect("let through");
        }
    }

    #[test]
    fn an_address_past_its_sign_ups_is_refused_until_its_window_ends() {
        let guard = SignInGuard::new(
            SignInLimits::default()
                .with_sign_ups_per_address(2)
                .with_window(WINDOW),
        );
        let here: IpAddr = "2001:db8:1:2::1".parse().expect("address");
        let same_network: IpAddr = "2001:db8:1:2::7".parse().expect("address");
        let start = Instant::now();
        guard.begin_sign_up(Some(here), start).expect("the first");
        guard
            .begin_sign_up(Some(same_network), start)
            .expect("the second");
        let refused = guard
            .begin_sign_up(Some(here), start + Duration::from_secs(1))
            .expect_err("the third");
        assert_eq!(refused.code.as_str(), "RATE_LIMITED");
        assert_eq!(
            refused.message,
            "too many sign-ups from your network address: try again in 59 seconds"
        );
        // Another address, an unknown one, and the same address once the window ended.
        guard
            .begin_sign_up(Some([192, 0, 2, 1].into()), start)
            .expect("another address");
        assert_eq!(guard.begin_sign_up(None, start).expect("not counted"), None);
        guard
            .begin_sign_up(Some(here), start + WINDOW)
            .expect("a new window");
        // Sign-ups are not failed sign-ins: the address still signs in.
        guard
            .begin("alice", Some(here), start)
            .expect("let through");
    }

    #[tokio::test]
    async fn a_sign_up_past_the_limit_is_refused_unhashed() {
        let guard = SignInGuard::new(SignInLimits::default().with_sign_ups_per_address(1));
        let here: IpAddr = [192, 0, 2, 1].into();
        let hash = guard
            .hash_for_sign_up(Some(here), "correct horse")
            .await
            .expect("hashed");
        assert!(verify_password("correct horse", &hash).await.expect("pool"));
        let refused = guard
            .hash_for_sign_up(Some(here), "correct horse")
            .await
            .expect_err("the second");
        assert_eq!(refused.code.as_str(), "RATE_LIMITED");
    }

    #[test]
    fn the_pool_is_sized_once() {
        let threads = password_threads();
        assert!(threads >= 1);
        assert_eq!(
            set_password_threads(NonZeroUsize::MIN),
            Err(PasswordPoolStarted(threads))
        );
    }

    const WINDOW: Duration = Duration::from_secs(60);

    fn guard(per_account: u32, per_address: u32) -> SignInGuard {
        SignInGuard::new(
            SignInLimits::default()
                .with_failures_per_account(per_account)
                .with_failures_per_address(per_address)
                .with_window(WINDOW),
        )
    }

    fn code(result: Result<Attempt, MizanError>) -> &'static str {
        result.map_or_else(|error| error.code.as_str(), |_| "let through")
    }

    #[test]
    fn an_account_past_its_failures_is_refused_until_its_window_ends() {
        let guard = guard(5, 1000);
        let start = Instant::now();
        for _ in 0..5 {
            guard
                .begin("alice@example.com", None, start)
                .expect("let through");
        }
        let refused = guard
            .begin("alice@example.com", None, start + Duration::from_secs(1))
            .expect_err("the sixth");
        assert_eq!(refused.code.as_str(), "RATE_LIMITED");
        assert_eq!(
            refused.message,
            "too many failed sign-ins for this account: try again in 59 seconds"
        );
        assert_eq!(
            refused.details,
            Some(serde_json::json!({ "retry_after": 59 }))
        );
        // The same name, typed differently, is the same account; another account is not limited.
        assert_eq!(
            code(guard.begin(" Alice@Example.com", None, start)),
            "RATE_LIMITED"
        );
        assert_eq!(
            code(guard.begin("bob@example.com", None, start)),
            "let through"
        );
        // Refusals are not failures: the window ends when it would have.
        assert_eq!(
            code(guard.begin("alice@example.com", None, start + WINDOW)),
            "let through"
        );
    }

    #[test]
    fn a_right_password_clears_its_accounts_failures_but_not_its_addresses() {
        let guard = guard(3, 4);
        let here: IpAddr = [192, 0, 2, 1].into();
        let now = Instant::now();
        for _ in 0..2 {
            guard.begin("alice", Some(here), now).expect("let through");
        }
        let right = guard.begin("alice", Some(here), now).expect("let through");
        guard.succeeded(&right);
        // Alice starts again from none; the address keeps its two failures (the right one was
        // taken back): two more and it is full.
        guard.begin("alice", Some(here), now).expect("let through");
        guard.begin("alice", Some(here), now).expect("let through");
        assert_eq!(code(guard.begin("carol", Some(here), now)), "RATE_LIMITED");
    }

    #[test]
    fn an_address_past_its_failures_is_refused_for_every_account() {
        let guard = guard(5, 3);
        let here: IpAddr = [192, 0, 2, 1].into();
        let now = Instant::now();
        for name in ["a", "b", "c"] {
            guard.begin(name, Some(here), now).expect("let through");
        }
        let refused = guard.begin("d", Some(here), now).expect_err("the fourth");
        assert!(
            refused
                .message
                .starts_with("too many failed sign-ins for your network address"),
            "{}",
            refused.message
        );
        // Another address, or no known address, is not limited by this one's failures.
        assert_eq!(
            code(guard.begin("d", Some([192, 0, 2, 2].into()), now)),
            "let through"
        );
        assert_eq!(code(guard.begin("e", None, now)), "let through");
    }

    #[test]
    fn an_ipv6_client_counts_with_its_whole_slash_64() {
        let guard = guard(5, 2);
        let now = Instant::now();
        let first: IpAddr = "2001:db8:1:2::1".parse().expect("address");
        let second: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("address");
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().expect("address");
        guard.begin("a", Some(first), now).expect("let through");
        guard.begin("b", Some(second), now).expect("let through");
        assert_eq!(code(guard.begin("c", Some(first), now)), "RATE_LIMITED");
        assert_eq!(code(guard.begin("c", Some(elsewhere), now)), "let through");
    }

    #[test]
    fn a_flood_of_made_up_names_keeps_the_table_bounded() {
        let guard = SignInGuard::new(SignInLimits::default().with_tracked(1000));
        let start = Instant::now();
        for n in 0..20_000u64 {
            let at = start + Duration::from_millis(n);
            guard
                .begin(&format!("nobody-{n}@example.com"), None, at)
                .expect("let through");
            assert!(guard.lock().accounts.windows.len() <= 1000);
        }
        // The newest are the ones kept.
        assert_eq!(
            code(guard.begin(
                "nobody-19999@example.com",
                None,
                start + Duration::from_secs(20)
            )),
            "let through"
        );
        assert!(
            guard
                .lock()
                .accounts
                .windows
                .contains_key(&guard.account_key("nobody-19999@example.com"))
        );
    }

    #[tokio::test]
    async fn check_counts_wrong_passwords_and_a_right_one_clears_them() {
        let hash = hash_password("right").await.expect("hash");
        let guard = guard(2, 100);
        assert!(
            !guard
                .check("alice", None, "wrong", &hash)
                .await
                .expect("checked")
        );
        assert!(
            guard
                .check("alice", None, "right", &hash)
                .await
                .expect("checked")
        );
        assert!(
            !guard
                .check("alice", None, "wrong", &hash)
                .await
                .expect("checked")
        );
        assert!(
            !guard
                .check("alice", None, "wrong", &hash)
                .await
                .expect("checked")
        );
        let refused = guard
            .check("alice", None, "right", &hash)
            .await
            .expect_err("past the limit, a right password too");
        assert_eq!(refused.code.as_str(), "RATE_LIMITED");
    }
}
