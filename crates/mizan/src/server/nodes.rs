//! The link between this node and the app's other nodes: starts publishing through a
//! [`Broker`], subscribes to it (again and again while it is down), and fans what the other
//! nodes tell out to this node's sockets and channel groups.

use std::{sync::Arc, time::Duration};

use tower_sessions::session::Id;

use super::{
    broker::{Broker, Delivery, Outbox, inbox},
    channel::ChannelHub,
    hub::Hub,
};

/// How long a node waits before subscribing again to a broker that refused.
const SUBSCRIBE_RETRY: Duration = Duration::from_secs(1);

/// Links `hub` and `channels` to the other nodes through `broker` (on the current tokio
/// runtime): what happens here is told to them, what they tell is done here.
pub(crate) fn link(broker: Arc<dyn Broker>, hub: &Hub, channels: &ChannelHub) {
    if hub.is_linked() {
        // A second subscription would hear this node's messages under another id, twice.
        tracing::warn!("this node is linked to its broker already: the second one is ignored");
        return;
    }
    // 128 random bits: two nodes, or a node and its restart, never share one.
    let node: Arc<str> = Arc::from(Id::default().to_string());
    let outbox = Outbox::start(Arc::clone(&node), Arc::clone(&broker));
    hub.relay_to(outbox.clone());
    channels.relay_to(outbox);
    let (inbox, mut inbound) = inbox(Arc::clone(&node));
    tokio::spawn(async move {
        let mut failed = false;
        loop {
            if inbox.is_closed() {
                return;
            }
            match broker.subscribe(inbox.clone()).await {
                Ok(()) => break,
                Err(error) => {
                    if !failed {
                        tracing::warn!(%error, "cannot subscribe to the other nodes yet: retrying");
                    }
                    failed = true;
                    tokio::time::sleep(SUBSCRIBE_RETRY).await;
                }
            }
        }
        tracing::info!(broker = broker.name(), %node, "linked to the app's other nodes");
        if failed {
            // Pages opened while the broker was down may have missed what the others did.
            inbox.missed();
        }
    });
    let (hub, channels) = (hub.clone(), channels.clone());
    tokio::spawn(async move {
        loop {
            // The server shutting down ends the link: the inbox closes, and the broker's tasks
            // end with it.
            let delivery = tokio::select! {
                () = hub.closed() => return,
                delivery = inbound.next() => delivery,
            };
            let Some(delivery) = delivery else { return };
            match delivery {
                Delivery::Event(event) => {
                    hub.apply(&event);
                    channels.apply(&event);
                }
                Delivery::Resync => hub.resync(),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use axum::extract::ws::Utf8Bytes;
    use tokio::sync::mpsc;
    use tower_sessions::session::Id;

    use super::link;
    use crate::{
        invalidation::ContextKey,
        server::{
            broker::InProcessBroker,
            channel::{ChannelHub, Channels, LocalChannels, Member},
            hub::{Caller, Connection, Hub, Owner},
        },
    };

    /// Two nodes of one app, linked through one in-process broker.
    fn two_nodes() -> [(Hub, ChannelHub); 2] {
        let broker = InProcessBroker::default();
        [(), ()].map(|()| {
            let hub = Hub::default();
            let channels = ChannelHub::new(Channels::default(), LocalChannels::default());
            link(Arc::new(broker.clone()), &hub, &channels);
            (hub, channels)
        })
    }

    /// Waits (up to 5 s) until `socket` has pending keys, and takes them.
    async fn pushed(socket: &Connection) -> Vec<String> {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let keys = socket.take_pending();
                if !keys.is_empty() {
                    return keys;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("pushed within 5 s")
    }

    fn watching(hub: &Hub, owner: Owner, key: &str) -> Arc<Connection> {
        let socket = hub.register(owner).expect("open");
        assert!(socket.watch(&ContextKey::parse(key).expect("a key")));
        socket
    }

    /// Lets the subscriptions, started on spawned tasks, take hold.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn a_calls_keys_reach_the_sockets_of_the_other_node_and_per_user_keys_only_the_callers() {
        let [(a, _), (b, _)] = two_nodes();
        settle().await;
        let user = |user| Owner {
            user: Some(user),
            ..Owner::default()
        };
        let anyone = watching(&b, Owner::default(), "site_stats");
        let alice = watching(&b, user(1), "current_user");
        let bob = watching(&b, user(2), "current_user");

        a.publish(&["site_stats".into()], None);
        assert_eq!(pushed(&anyone).await, ["site_stats"]);
        let caller = Caller {
            session: None,
            user: Some(1),
        };
        a.publish_to_caller(&["current_user".into()], None, caller);
        assert_eq!(pushed(&alice).await, ["current_user"]);
        // The broker keeps one node's order: a later message arriving means the first did too.
        a.publish(&["site_stats".into()], None);
        assert_eq!(pushed(&anyone).await, ["site_stats"]);
        assert!(bob.take_pending().is_empty(), "bob's value did not change");
    }

    #[tokio::test]
    async fn a_sign_out_and_a_changed_user_on_one_node_reach_the_sockets_of_the_other() {
        let [(a, _), (b, _)] = two_nodes();
        settle().await;
        let session = Id::default();
        let signed_in = b
            .register(Owner {
                session: Some(session),
                user: Some(7),
                ..Owner::default()
            })
            .expect("open");
        let other = b.register(Owner::default()).expect("open");

        a.user_changed(7, true);
        tokio::time::timeout(Duration::from_secs(5), signed_in.user_changed())
            .await
            .expect("told within 5 s");
        assert!(signed_in.take_refetch_own());
        a.end_session(&session);
        tokio::time::timeout(Duration::from_secs(5), async {
            while !signed_in.is_closed() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("closed within 5 s");
        assert!(!other.is_closed());
    }

    #[tokio::test]
    async fn a_channel_message_reaches_the_groups_members_on_both_nodes_once() {
        let [(_, a), (_, b)] = two_nodes();
        settle().await;
        let member = |layer: &ChannelHub, id: &str| {
            let (out, received) = mpsc::channel(8);
            layer
                .layer
                .join("chat:lobby", Member { id: id.into(), out });
            received
        };
        let (mut here, mut there) = (member(&a, "here"), member(&b, "there"));
        let mut elsewhere = {
            let (out, received) = mpsc::channel(8);
            b.layer.join(
                "chat:other",
                Member {
                    id: "elsewhere".into(),
                    out,
                },
            );
            received
        };
        a.broadcast("chat:lobby", "hello".into());
        let heard = |received: Option<Utf8Bytes>| received.map(|frame| frame.to_string());
        let within = Duration::from_secs(5);
        assert_eq!(
            heard(
                tokio::time::timeout(within, there.recv())
                    .await
                    .expect("in time")
            ),
            Some("hello".into())
        );
        assert_eq!(heard(here.recv().await), Some("hello".into()));
        b.broadcast("chat:lobby", "back".into());
        assert_eq!(
            heard(
                tokio::time::timeout(within, here.recv())
                    .await
                    .expect("in time")
            ),
            Some("back".into()),
            "the sender's own node does not hear its message twice: this is the next one"
        );
        assert!(elsewhere.try_recv().is_err(), "another group hears nothing");
    }

    #[tokio::test]
    async fn after_a_resync_every_socket_refetches_what_it_watches_and_reads_its_user_again() {
        let hub = Hub::default();
        let socket = watching(&hub, Owner::default(), r#"user_profile:{"user_id":1}"#);
        assert!(socket.watch(&ContextKey::parse("site_stats").expect("a key")));
        let idle = hub.register(Owner::default()).expect("open");
        hub.resync();
        assert_eq!(
            socket.take_pending(),
            ["site_stats", r#"user_profile:{"user_id":1}"#]
        );
        assert!(futures::FutureExt::now_or_never(socket.user_changed()).is_some());
        assert!(
            idle.take_pending().is_empty(),
            "nothing watched, nothing to refetch"
        );
    }
}
