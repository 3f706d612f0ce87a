//! `index.ts`: one import for the app (`import { useEcho, MizanError } from './api'`).

use crate::{HEADER, RUNTIME_PACKAGE};

/// The file's contents.
pub fn emit() -> String {
    format!(
        "{HEADER}\nexport * from './generated.hooks';\nexport * from './generated.channels';\n\
         export * from './generated.forms';\n\
         export * from './generated.server';\n\
         export type {{ components, operations }} from './generated.mizan';\n\
         export {{ MizanError, getMizanHydration }} from \
         '{RUNTIME_PACKAGE}/core';\n"
    )
}
