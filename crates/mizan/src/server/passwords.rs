//! Passwords: Argon2id hashes made and checked on a small pool of blocking threads (never on the
//! async workers), and the [`SignInGuard`] that limits failed sign-ins per account and per client
//! address.
//!
//! One Argon2id hash or verification takes tens of milliseconds of CPU with the default
//! parameters (19 MiB, two passes): that is the point of it, and on an async worker it would hold
//! every other request of that worker for as long. So [`hash_password`] and [`verify_password`]
//! run on tokio's blocking threads, at most [`password_threads`] at once (by default one less than
//! the CPUs, at least one, so a storm of sign-ins leaves a core to the rest of the site); the rest
//! wait their turn without holding a thread.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    net::{IpAddr, Ipv6Addr},
    num::NonZeroUsize,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

use crate::error::MizanError;

/// How many hashes and verifications run at once, once chosen (by [`set_password_threads`] or
/// at the first use).
static PASSWORD_THREADS: OnceLock<usize> = OnceLock::new();

/// The permits of the password pool: one per thread hashing at a time.
static PASSWORD_POOL: OnceLock<Semaphore> = OnceLock::new();

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
/// no thread): [`set_password_threads`]'s choice, else one less than the CPUs, at least one.
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

/// Runs `work` on a blocking thread once the password pool has room, and waits for it without
/// holding an async worker.
async fn on_password_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, MizanError> {
    let pool = PASSWORD_POOL.get_or_init(|| Semaphore::new(password_threads()));
    // The pool is never closed, so acquiring fails only if it were.
    let permit = pool.acquire().await.map_err(|error| {
        tracing::error!(%error, "the password pool is closed");
        MizanError::internal()
    })?;
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

/// An Argon2id hash of `password` in PHC string form, with a fresh salt, computed on the password
/// pool (see the module docs).
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

/// Whether `password` matches a PHC hash, checked on the password pool (see the module docs); a
/// malformed hash never matches. An error only when the pool failed (`INTERNAL_ERROR`, logged).
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
    /// How long a window lasts, from its first failure. Default 15 minutes.
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

/// The failed sign-ins of one account or address in its current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    failures: u32,
}

/// Failure windows by key, at most [`SignInLimits::tracked`] of them.
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

    /// When `key`'s window ends, if it is full at `now`.
    fn refused_until(&self, key: &K, now: Instant, window: Duration) -> Option<Instant> {
        let current = self.windows.get(key)?;
        let ends = current.opened + window;
        (now < ends && current.failures >= self.limit).then_some(ends)
    }

    /// Counts one failure of `key` at `now`; the window it went into (its opening).
    fn charge(&mut self, key: K, now: Instant, window: Duration, tracked: usize) -> Instant {
        if !self.windows.contains_key(&key) && self.windows.len() >= tracked {
            self.make_room(now, window, tracked);
        }
        let current = self.windows.entry(key).or_insert(Window {
            opened: now,
            failures: 0,
        });
        if now >= current.opened + window {
            *current = Window {
                opened: now,
                failures: 0,
            };
        }
        current.failures = current.failures.saturating_add(1);
        current.opened
    }

    /// Takes back one failure of `key` counted in the window opened at `opened` (a right
    /// password, or a check that could not run); a window ended since is left alone.
    fn refund(&mut self, key: &K, opened: Instant) {
        if let Some(current) = self.windows.get_mut(key)
            && current.opened == opened
        {
            current.failures = current.failures.saturating_sub(1);
            if current.failures == 0 {
                self.windows.remove(key);
            }
        }
    }

    /// Forgets the windows that ended; when that is not a tenth of the table, also those opened
    /// earliest, down to nine tenths of `tracked`: each pass pays for many insertions.
    fn make_room(&mut self, now: Instant, window: Duration, tracked: usize) {
        self.windows
            .retain(|_, current| now < current.opened + window);
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

/// The two tables of a [`SignInGuard`].
#[derive(Debug)]
struct Failures {
    accounts: Table<u64>,
    addresses: Table<IpAddr>,
}

/// Shared state of a [`SignInGuard`].
#[derive(Debug)]
struct GuardState {
    limits: SignInLimits,
    /// Keys the account names: the table keeps a 64-bit hash of each, not the name, so a long
    /// name costs no more memory; the key is random per guard, so no one can pick names that
    /// collide.
    names: RandomState,
    failures: Mutex<Failures>,
}

/// Counts failed sign-ins per account and per client address, and refuses sign-ins past its
/// [`SignInLimits`] with `429 RATE_LIMITED`. A [`Site`](super::Site) installs one for its
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
                failures: Mutex::new(Failures {
                    accounts: Table::new(limits.failures_per_account),
                    addresses: Table::new(limits.failures_per_address),
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
    /// has an account (pass a real hash for an unknown one, so the timing is the same): counts and
    /// refusals never tell which names exist. Names that differ only in case or surrounding
    /// spaces count as one.
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        // The tables stay consistent between statements, so a panic elsewhere leaves them usable.
        self.state
            .failures
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
        let address = address.map(address_key);
        let SignInLimits {
            window, tracked, ..
        } = self.state.limits;
        let mut failures = self.lock();
        if let Some(ends) = failures.accounts.refused_until(&account, now, window) {
            return Err(refusal("this account", ends - now));
        }
        if let Some(ends) = address.and_then(|a| failures.addresses.refused_until(&a, now, window))
        {
            return Err(refusal("your network address", ends - now));
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

/// The address an address's failures are counted under: an IPv6 address's `/64` network.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

/// The `RATE_LIMITED` of a sign-in refused for `whose` failures, saying when to try again (and
/// `details.retry_after`, in seconds).
fn refusal(whose: &str, wait: Duration) -> MizanError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let when = match seconds {
        0..=59 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    };
    MizanError::rate_limited(format!(
        "too many failed sign-ins for {whose}: try again in {when}"
    ))
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
