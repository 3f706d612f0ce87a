//! `generated.channels.ts`: per channel of the document's `x-mizan-channels`, its message types
//! and a `useXxxChannel(params)` hook.

use std::fmt::Write;

use serde_json::Value;

use crate::{ExportError, HEADER, REALTIME_ENTRY, names::pascal, types::type_of};

/// One channel of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTypes {
    /// Its wire name.
    pub name: String,
    /// The TypeScript type of its params, a client message and what the group hears.
    pub params: String,
    /// See `params`.
    pub client: String,
    /// See `params`.
    pub server: String,
}

/// Every channel of `openapi`, in name order.
pub fn read(openapi: &Value) -> Result<Vec<ChannelTypes>, ExportError> {
    let Some(list) = openapi.get("x-mizan-channels") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| ExportError::NotMizanOpenApi {
            reason: "`x-mizan-channels` is not a list".to_owned(),
        })?;
    let mut channels = list
        .iter()
        .map(|channel| {
            let name = channel.get("name").and_then(Value::as_str).ok_or_else(|| {
                ExportError::NotMizanOpenApi {
                    reason: "a channel has no `name`".to_owned(),
                }
            })?;
            Ok(ChannelTypes {
                name: name.to_owned(),
                params: type_of(&channel["params"], 0),
                client: type_of(&channel["client"], 0),
                server: type_of(&channel["server"], 0),
            })
        })
        .collect::<Result<Vec<_>, ExportError>>()?;
    channels.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(channels)
}

/// The file's contents. Without channels it imports nothing: an unused import fails
/// `noUnusedLocals`.
pub fn emit(channels: &[ChannelTypes]) -> String {
    let mut out = String::from(HEADER);
    if !channels.is_empty() {
        let _ = writeln!(
            out,
            "\nimport {{ defineChannel, useMizanChannel, type ChannelState }} from '{REALTIME_ENTRY}';"
        );
    }
    let named = channels
        .iter()
        .flat_map(|c| [&c.params, &c.client, &c.server])
        .any(|ty| ty.contains("components["));
    if named {
        out.push_str("\nimport type { components } from './generated.mizan';\n");
    }
    for channel in channels {
        let base = pascal(&channel.name);
        let _ = write!(
            out,
            "\n/** What a `{name}` subscription names. */\nexport type {base}Params = {params};\n\
             /** What a client sends to `{name}`. */\nexport type {base}ClientMessage = {client};\n\
             /** What `{name}`'s group hears. */\nexport type {base}ServerMessage = {server};\n",
            name = channel.name,
            params = channel.params,
            client = channel.client,
            server = channel.server,
        );
    }
    out.push_str("\n/** Every channel, for `useMizanChannel`. */\nexport const channels = {");
    for channel in channels {
        let base = pascal(&channel.name);
        let _ = write!(
            out,
            "\n  {name}: defineChannel<{base}Params, {base}ClientMessage, {base}ServerMessage>('{name}'),",
            name = channel.name
        );
    }
    out.push_str(if channels.is_empty() {
        "} as const;\n"
    } else {
        "\n} as const;\n"
    });
    for channel in channels {
        let base = pascal(&channel.name);
        let _ = write!(
            out,
            "\n/** The `{name}` channel with `params`, while the component lives: the socket's \
             status, what the group heard, `send`. */\nexport function use{base}Channel(\n  \
             params: {base}Params,\n): ChannelState<{base}ClientMessage, {base}ServerMessage> {{\n  \
             return useMizanChannel(channels.{name}, params);\n}}\n",
            name = channel.name
        );
    }
    out
}
