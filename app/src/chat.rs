//! The example's chat: a typed channel with one group per room, open to signed-in users. The
//! message types are shared by both builds (the browser sends and shows them); the channel
//! itself runs on the server.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// Which room a subscription is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
pub struct ChatRoom {
    /// The room's name.
    #[validate(length(min = 1, max = 40, message = "must be 1 to 40 characters"))]
    pub room: String,
}

/// What a member says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
pub struct ChatSay {
    /// The text.
    #[validate(length(min = 1, max = 500, message = "must be 1 to 500 characters"))]
    pub text: String,
}

/// What the room hears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChatLine {
    /// The text.
    pub text: String,
    /// Who said it (their display name).
    pub user: String,
}

/// The chat channel (`"chat"`).
pub struct ChatChannel;

impl mizan::ChannelSpec for ChatChannel {
    const NAME: &'static str = "chat";
    type Params = ChatRoom;
    type ClientMessage = ChatSay;
    type ServerMessage = ChatLine;
}

#[cfg(feature = "ssr")]
mod server {
    use mizan::{
        MizanError,
        server::{Channel, RequestContext},
    };

    use super::{ChatChannel, ChatLine, ChatRoom, ChatSay};
    use crate::users::AppUser;

    impl Channel for ChatChannel {
        async fn authorize(ctx: &RequestContext, _room: &ChatRoom) -> Result<(), MizanError> {
            ctx.user_as::<AppUser>()
                .map(|_| ())
                .ok_or_else(|| MizanError::unauthorized("sign in to chat"))
        }

        fn group(room: &ChatRoom) -> String {
            format!("chat:{}", room.room)
        }

        async fn receive(
            ctx: &RequestContext,
            _room: &ChatRoom,
            say: ChatSay,
        ) -> Result<Option<ChatLine>, MizanError> {
            let user = ctx
                .user_as::<AppUser>()
                .map(|user| user.name.clone())
                .ok_or_else(|| MizanError::unauthorized("sign in to chat"))?;
            // The length rule counts spaces: a message of spaces alone says nothing.
            let text = say.text.trim();
            if text.is_empty() {
                return Err(MizanError::invalid_field("text", "must not be blank"));
            }
            Ok(Some(ChatLine {
                text: text.to_owned(),
                user,
            }))
        }
    }

    mizan::register_channel!(ChatChannel);
}
