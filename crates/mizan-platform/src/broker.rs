//! The brokers between the nodes of an app, chosen by the settings' `[broker]` table: Redis
//! pub/sub (`REDIS_URL`), or PostgreSQL's `LISTEN/NOTIFY` on the app's own database, for
//! deployments without Redis. Without either, a server is a node on its own.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::future::BoxFuture;
use mizan::server::{Broker, BrokerError, Inbox};
use redis::{
    AsyncCommands, PushInfo, PushKind,
    aio::{AsyncPushSender, ConnectionManager, ConnectionManagerConfig, SendError},
};
use sqlx::postgres::{PgListener, PgPool};

use crate::{
    database::{Database, Engine, redact},
    settings::{BrokerKind, BrokerSettings},
};

/// How long a broker's server may take to accept a connection or answer a command before the
/// node counts it as down (a publish then fails fast instead of piling up).
const BROKER_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a node tries again to reach a broker's server that went away.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// The largest payload PostgreSQL's `NOTIFY` carries (8000 bytes, less its terminator).
pub const POSTGRES_NOTIFY_LIMIT: usize = 7999;

/// Why the broker the settings name cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerSetupError {
    /// `broker.kind = "redis"` (or `MIZAN_BROKER=redis`) without a URL.
    #[error(
        "the redis broker needs a URL: set REDIS_URL (or broker.url), e.g. redis://127.0.0.1:6379"
    )]
    MissingRedisUrl,
    /// The Redis URL does not parse.
    #[error("REDIS_URL {url} is invalid: {reason}")]
    InvalidRedisUrl {
        /// The URL, its password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The Redis server did not answer at start.
    #[error("cannot reach the redis broker at {url}")]
    Redis {
        /// The URL, its password hidden.
        url: String,
        /// The client's error.
        source: redis::RedisError,
    },
    /// `broker.kind = "postgres"` on a database that is not PostgreSQL.
    #[error(
        "the postgres broker runs on the app's database, which must then be PostgreSQL (DATABASE_URL=postgres://...)"
    )]
    NotPostgres,
}

/// The broker the settings chose.
pub enum NodeBroker {
    /// Redis pub/sub.
    Redis(RedisBroker),
    /// PostgreSQL `LISTEN/NOTIFY`.
    Postgres(PostgresBroker),
}

/// The broker `settings` name, over `database` for the PostgreSQL one; `None` for a node on its
/// own (the default).
pub async fn connect_broker(
    settings: &BrokerSettings,
    database: &Database,
) -> Result<Option<NodeBroker>, BrokerSetupError> {
    Ok(match settings.kind {
        BrokerKind::None => None,
        BrokerKind::Redis => Some(NodeBroker::Redis(
            RedisBroker::connect(&settings.url, &settings.channel).await?,
        )),
        BrokerKind::Postgres => match database.engine() {
            Engine::Postgres(pool) => Some(NodeBroker::Postgres(PostgresBroker::new(
                pool.clone(),
                &settings.channel,
            ))),
            Engine::Sqlite(_) => return Err(BrokerSetupError::NotPostgres),
        },
    })
}

impl Broker for NodeBroker {
    fn name(&self) -> &'static str {
        match self {
            Self::Redis(broker) => broker.name(),
            Self::Postgres(broker) => broker.name(),
        }
    }

    fn max_message_bytes(&self) -> usize {
        match self {
            Self::Redis(broker) => broker.max_message_bytes(),
            Self::Postgres(broker) => broker.max_message_bytes(),
        }
    }

    fn publish(&self, message: String) -> BoxFuture<'_, Result<(), BrokerError>> {
        match self {
            Self::Redis(broker) => broker.publish(message),
            Self::Postgres(broker) => broker.publish(message),
        }
    }

    fn subscribe(&self, inbox: Inbox) -> BoxFuture<'_, Result<(), BrokerError>> {
        match self {
            Self::Redis(broker) => broker.subscribe(inbox),
            Self::Postgres(broker) => broker.subscribe(inbox),
        }
    }
}

/// Redis pub/sub on one channel: one connection publishes, another (RESP3, resubscribing by
/// itself after an outage) receives.
pub struct RedisBroker {
    client: redis::Client,
    publisher: ConnectionManager,
    channel: String,
}

impl RedisBroker {
    /// Connects to the Redis server at `url` (`redis://[:PASSWORD@]HOST:PORT[/DB]`), to carry
    /// the app's messages on `channel`.
    pub async fn connect(url: &str, channel: &str) -> Result<Self, BrokerSetupError> {
        if url.is_empty() {
            return Err(BrokerSetupError::MissingRedisUrl);
        }
        let shown = redact(url);
        let invalid = |reason: String| BrokerSetupError::InvalidRedisUrl {
            url: shown.clone(),
            reason,
        };
        let mut parsed = url::Url::parse(url).map_err(|error| invalid(error.to_string()))?;
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(invalid("expected redis://HOST:PORT".into()));
        }
        // Pushes (the subscription's messages, the news of a lost connection) need RESP3.
        if !parsed.query_pairs().any(|(key, _)| key == "protocol") {
            parsed.query_pairs_mut().append_pair("protocol", "resp3");
        }
        let client =
            redis::Client::open(parsed.as_str()).map_err(|error| invalid(error.to_string()))?;
        let publisher = ConnectionManager::new_with_config(client.clone(), manager_config())
            .await
            .map_err(|source| BrokerSetupError::Redis {
                url: shown.clone(),
                source,
            })?;
        Ok(Self {
            client,
            publisher,
            channel: channel.to_owned(),
        })
    }
}

/// Short timeouts and a steady retry: a node notices an outage in seconds and never waits on it.
fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(BROKER_TIMEOUT))
        .set_response_timeout(Some(BROKER_TIMEOUT))
        .set_number_of_retries(2)
        .set_max_delay(RECONNECT_EVERY)
}

fn unavailable(broker: &'static str, error: impl std::fmt::Display) -> BrokerError {
    BrokerError::Unavailable {
        broker,
        reason: error.to_string(),
    }
}

/// Hands the subscription's pushes to a node's inbox; remembers a lost connection until the
/// subscription is confirmed again.
struct RedisPushes {
    inbox: Inbox,
    lost: Arc<AtomicBool>,
}

impl AsyncPushSender for RedisPushes {
    fn send(&self, info: PushInfo) -> Result<(), SendError> {
        match info.kind {
            PushKind::Message => {
                // [channel, payload]
                if let Some(payload) = info.data.into_iter().nth(1) {
                    match redis::from_redis_value::<String>(payload) {
                        Ok(message) => self.inbox.deliver(message),
                        Err(error) => tracing::warn!(%error, "an unreadable redis message"),
                    }
                }
            }
            // Said once per outage.
            PushKind::Disconnection if !self.lost.swap(true, Ordering::SeqCst) => {
                tracing::warn!("lost the redis broker: reconnecting");
            }
            // Subscribed again after an outage: what was published meanwhile is lost.
            PushKind::Subscribe if self.lost.swap(false, Ordering::SeqCst) => {
                tracing::info!("the redis broker is back: open pages refetch");
                self.inbox.missed();
            }
            _ => {}
        }
        if self.inbox.is_closed() {
            return Err(SendError);
        }
        Ok(())
    }
}

impl Broker for RedisBroker {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn publish(&self, message: String) -> BoxFuture<'_, Result<(), BrokerError>> {
        let mut publisher = self.publisher.clone();
        Box::pin(async move {
            publisher
                .publish::<_, _, ()>(&self.channel, message)
                .await
                .map_err(|error| unavailable("redis", error))
        })
    }

    fn subscribe(&self, inbox: Inbox) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(async move {
            let lost = Arc::new(AtomicBool::new(false));
            let config = manager_config()
                .set_push_sender(RedisPushes {
                    inbox: inbox.clone(),
                    lost: Arc::clone(&lost),
                })
                .set_automatic_resubscription();
            let mut subscriber = ConnectionManager::new_with_config(self.client.clone(), config)
                .await
                .map_err(|error| unavailable("redis", error))?;
            subscriber
                .subscribe(&self.channel)
                .await
                .map_err(|error| unavailable("redis", error))?;
            // The manager reconnects after a drop a few times, then only when asked: while the
            // connection is lost, ask every second, so the subscription comes back by itself.
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = inbox.closed() => return,
                        () = tokio::time::sleep(RECONNECT_EVERY) => {}
                    }
                    if lost.load(Ordering::SeqCst) {
                        let _: Result<(), _> =
                            redis::cmd("PING").query_async(&mut subscriber).await;
                    }
                }
            });
            Ok(())
        })
    }
}

/// PostgreSQL's `LISTEN/NOTIFY` on one channel of the app's database. A notification is
/// delivered when its transaction commits; mizan publishes a call's invalidation after the call
/// returned, so after the transactions it committed.
#[derive(Clone)]
pub struct PostgresBroker {
    pool: PgPool,
    channel: String,
}

impl PostgresBroker {
    /// A broker over `pool`'s database, carrying the app's messages on `channel`.
    pub fn new(pool: PgPool, channel: &str) -> Self {
        Self {
            pool,
            channel: channel.to_owned(),
        }
    }

    /// A listener on the channel.
    async fn listen(&self) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(&self.channel).await?;
        Ok(listener)
    }
}

impl Broker for PostgresBroker {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn max_message_bytes(&self) -> usize {
        POSTGRES_NOTIFY_LIMIT
    }

    fn publish(&self, message: String) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(async move {
            if message.len() > POSTGRES_NOTIFY_LIMIT {
                return Err(BrokerError::TooLarge {
                    broker: "postgres",
                    size: message.len(),
                    limit: POSTGRES_NOTIFY_LIMIT,
                });
            }
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(&self.channel)
                .bind(message)
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err(|error| unavailable("postgres", error))
        })
    }

    fn subscribe(&self, inbox: Inbox) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(async move {
            let mut listener = self
                .listen()
                .await
                .map_err(|error| unavailable("postgres", error))?;
            // The task listens again after an error with a handle of its own.
            let broker = self.clone();
            tokio::spawn(async move {
                loop {
                    let received = tokio::select! {
                        () = inbox.closed() => return,
                        received = listener.try_recv() => received,
                    };
                    match received {
                        Ok(Some(notification)) => inbox.deliver(notification.payload().to_owned()),
                        // Lost and listening again already: what came meanwhile is lost.
                        Ok(None) => inbox.missed(),
                        Err(error) => {
                            tracing::warn!(%error, "lost the postgres broker: reconnecting");
                            listener = loop {
                                tokio::select! {
                                    () = inbox.closed() => return,
                                    () = tokio::time::sleep(RECONNECT_EVERY) => {}
                                }
                                if let Ok(listener) = broker.listen().await {
                                    break listener;
                                }
                            };
                            tracing::info!("the postgres broker is back: open pages refetch");
                            inbox.missed();
                        }
                    }
                }
            });
            Ok(())
        })
    }
}
