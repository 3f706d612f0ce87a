//! The client runtime: the live context instances on the page, which invalidation keys refresh
//! them (each instance once), and the batching that turns the refetches of one tick into one
//! request to `/api/mizan/batch/`.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    rc::Rc,
};

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{error::MizanError, invalidation::ContextKey, protocol::RawArgs};

/// Identifies a registered instance, to unregister it when its owner goes away.
pub type InstanceId = u64;

/// Reads an instance's current params (untracked).
pub type ParamsFn = Box<dyn Fn() -> BTreeMap<String, Value>>;

/// Starts an instance's refetch.
pub type RefreshFn = Rc<dyn Fn()>;

struct LiveInstance {
    id: InstanceId,
    name: &'static str,
    params: ParamsFn,
    refresh: RefreshFn,
}

thread_local! {
    static LIVE: RefCell<Vec<LiveInstance>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<InstanceId> = const { Cell::new(0) };
}

/// Registers a live instance of context `name`: `params` reads its current params, `refresh`
/// refetches it.
pub fn register(name: &'static str, params: ParamsFn, refresh: RefreshFn) -> InstanceId {
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    LIVE.with(|live| {
        live.borrow_mut().push(LiveInstance {
            id,
            name,
            params,
            refresh,
        });
    });
    id
}

/// Forgets an instance (its component was unmounted).
pub fn unregister(id: InstanceId) {
    LIVE.with(|live| live.borrow_mut().retain(|instance| instance.id != id));
}

/// How many instances are live (for tests and diagnostics).
pub fn live_count() -> usize {
    LIVE.with(|live| live.borrow().len())
}

/// Refetches every live instance some key covers, each once however many keys cover it.
/// Malformed keys are skipped (and logged). Returns how many instances refetch.
pub fn apply_invalidations(keys: &[String]) -> usize {
    let keys: Vec<ContextKey> = keys
        .iter()
        .filter_map(|text| match ContextKey::parse(text) {
            Ok(key) => Some(key),
            Err(error) => {
                tracing::warn!(%error, "ignoring a malformed invalidation key");
                None
            }
        })
        .collect();
    if keys.is_empty() {
        return 0;
    }
    // Collect first, call after: a refetch may register or drop instances.
    let refreshes: Vec<RefreshFn> = LIVE.with(|live| {
        live.borrow()
            .iter()
            .filter(|instance| {
                let params = (instance.params)();
                keys.iter().any(|key| key.covers(instance.name, &params))
            })
            .map(|instance| Rc::clone(&instance.refresh))
            .collect()
    });
    for refresh in &refreshes {
        refresh();
    }
    refreshes.len()
}

/// Calls the read function `name` with `args` in the next batch: every call made in the same
/// tick of the page shares one `POST /api/mizan/batch/`.
pub async fn fetch_batched<A: Serialize, T: DeserializeOwned>(
    name: &'static str,
    args: &A,
) -> Result<T, MizanError> {
    let args = RawArgs::from_value(args).map_err(|error| {
        MizanError::bad_request(format!("cannot encode the arguments: {error}"))
    })?;
    let envelope = batch::enqueue(name, args).await?;
    crate::caller::accept_remote(envelope)
}

#[cfg(target_arch = "wasm32")]
mod batch {
    //! The browser's batch queue.

    use std::{cell::RefCell, time::Duration};

    use futures::channel::oneshot;

    use crate::{
        error::MizanError,
        protocol::{
            BATCH_PATH, BatchOutcome, BatchRequest, BatchResponse, CallRequest, Envelope,
            MAX_BATCH_CALLS, RawArgs,
        },
    };

    struct Pending {
        name: &'static str,
        args: RawArgs,
        reply: oneshot::Sender<Result<Envelope, MizanError>>,
    }

    thread_local! {
        static QUEUE: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) async fn enqueue(name: &'static str, args: RawArgs) -> Result<Envelope, MizanError> {
        let (reply, answer) = oneshot::channel();
        let first = QUEUE.with(|queue| {
            let mut queue = queue.borrow_mut();
            queue.push(Pending { name, args, reply });
            queue.len() == 1
        });
        if first {
            leptos::task::spawn_local(flush());
        }
        answer.await.unwrap_or_else(|_| Err(MizanError::internal()))
    }

    async fn flush() {
        // A macrotask later every refetch started in this tick has queued its call.
        let (tick, ticked) = oneshot::channel::<()>();
        leptos::prelude::set_timeout(
            move || {
                let _ = tick.send(());
            },
            Duration::ZERO,
        );
        let _ = ticked.await;
        let mut pending: Vec<Pending> = QUEUE.with(|queue| queue.take());
        while !pending.is_empty() {
            let rest = pending.split_off(pending.len().min(MAX_BATCH_CALLS));
            send(pending).await;
            pending = rest;
        }
    }

    async fn send(pending: Vec<Pending>) {
        let request = BatchRequest {
            calls: pending
                .iter()
                .map(|p| CallRequest {
                    function: p.name.to_owned(),
                    args: p.args.clone(),
                })
                .collect(),
        };
        let answer = post(&request).await;
        let count = pending.len();
        match answer {
            Ok(response) if response.results.len() == count => {
                for (p, outcome) in pending.into_iter().zip(response.results) {
                    let _ = p.reply.send(match outcome {
                        BatchOutcome::Ok(envelope) => Ok(envelope),
                        BatchOutcome::Err { error } => Err(error),
                    });
                }
            }
            Ok(response) => {
                let error = MizanError::bad_request(format!(
                    "the batch answered {} results for {count} calls",
                    response.results.len()
                ));
                for p in pending {
                    let _ = p.reply.send(Err(error.clone()));
                }
            }
            Err(error) => {
                for p in pending {
                    let _ = p.reply.send(Err(error.clone()));
                }
            }
        }
    }

    async fn post(request: &BatchRequest) -> Result<BatchResponse, MizanError> {
        let unreachable = |error: gloo_net::Error| {
            MizanError::new(
                crate::error::ErrorCode::InternalError,
                format!("the server could not be reached: {error}"),
            )
        };
        let body = serde_json::to_string(request).map_err(|error| {
            MizanError::bad_request(format!("cannot encode the batch: {error}"))
        })?;
        let response = gloo_net::http::Request::post(BATCH_PATH)
            .header("content-type", "application/json")
            .body(body)
            .map_err(unreachable)?
            .send()
            .await
            .map_err(unreachable)?;
        let bytes = response.binary().await.map_err(unreachable)?;
        if !response.ok() {
            return Err(MizanError::from_body(&bytes));
        }
        serde_json::from_slice(&bytes).map_err(|error| {
            MizanError::bad_request(format!("the batch answer is malformed: {error}"))
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod batch {
    //! Outside the browser there is no page to batch for: contexts run in-process there.

    use crate::{
        error::MizanError,
        protocol::{Envelope, RawArgs},
    };

    pub(super) async fn enqueue(
        name: &'static str,
        _args: RawArgs,
    ) -> Result<Envelope, MizanError> {
        Err(MizanError::not_implemented(format!(
            "`{name}` is fetched through the browser's batch queue; on the server call it in-process"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::*;

    fn counter() -> (Rc<Cell<u32>>, RefreshFn) {
        let count = Rc::new(Cell::new(0));
        let seen = Rc::clone(&count);
        (count, Rc::new(move || seen.set(seen.get() + 1)))
    }

    fn params(value: Value) -> ParamsFn {
        Box::new(move || serde_json::from_value(value.clone()).unwrap_or_default())
    }

    #[test]
    fn invalidation_refetches_exactly_the_covered_instances_once() {
        let (user, user_refresh) = counter();
        let (one, one_refresh) = counter();
        let (two, two_refresh) = counter();
        let ids = [
            register("current_user", params(json!({})), user_refresh),
            register("user_profile", params(json!({"user_id": 1})), one_refresh),
            register("user_profile", params(json!({"user_id": 2})), two_refresh),
        ];
        // Two keys cover profile 1 (scoped and whole-context would too): it refetches once.
        let refreshed = apply_invalidations(&[
            r#"user_profile:{"user_id":1}"#.to_owned(),
            "current_user".to_owned(),
            r#"user_profile:{"user_id":1}"#.to_owned(),
            "not a key!".to_owned(),
        ]);
        assert_eq!(refreshed, 2);
        assert_eq!((user.get(), one.get(), two.get()), (1, 1, 0));

        assert_eq!(apply_invalidations(&["user_profile".to_owned()]), 2);
        assert_eq!((user.get(), one.get(), two.get()), (1, 2, 1));

        assert_eq!(apply_invalidations(&["unwatched".to_owned()]), 0);
        for id in ids {
            unregister(id);
        }
        assert_eq!(live_count(), 0);
        assert_eq!(apply_invalidations(&["user_profile".to_owned()]), 0);
    }
}
