//! Runtime settings: `Leptos.toml`, overridden key by key by environment variables.
//!
//! Precedence, highest first: the environment variable named for a key, the key in
//! `Leptos.toml`, the built-in default. The file is looked for at `$MIZAN_SETTINGS` (which must
//! then exist) or else at `./Leptos.toml` (optional: a missing file means all defaults). Unknown
//! keys are an error, so a typo never silently falls back to a default. The file was called
//! `Settings.toml` before; one found under that name instead is refused with a word on the
//! rename, rather than its settings being silently left out.
//!
//! Where the site is served and where its bundle lives are not here: they are Leptos' own options
//! (`leptos::config::get_configuration`), which cargo-leptos fills from the app's `Cargo.toml`
//! and every `LEPTOS_*` variable overrides.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
};

use serde::Deserialize;

/// The file name looked for in the working directory when `MIZAN_SETTINGS` is not set.
pub const DEFAULT_SETTINGS_FILE: &str = "Leptos.toml";

/// The settings file's former name, refused when found without a [`DEFAULT_SETTINGS_FILE`].
pub const FORMER_SETTINGS_FILE: &str = "Settings.toml";

/// Environment variable naming the settings file explicitly.
pub const SETTINGS_FILE_VAR: &str = "MIZAN_SETTINGS";

/// Everything the server reads at start.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The database the server connects to.
    pub database: DatabaseSettings,
    /// Logging.
    pub log: LogSettings,
    /// Bearer tokens.
    pub auth: AuthSettings,
    /// Cross-site request policy and cookie security.
    pub security: SecuritySettings,
    /// What one client may hold open or make the server wait for.
    pub limits: LimitsSettings,
    /// What links this node to the app's others.
    pub broker: BrokerSettings,
    /// The file these settings were read from; `None` when only defaults and environment applied.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// A settings value is none of the words its key accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of {expected}")]
pub struct UnknownChoice {
    /// The value given.
    pub value: String,
    /// The words accepted.
    pub expected: &'static str,
}

/// The `[database]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// Connection URL (`DATABASE_URL`): `sqlite://app.db` (the file is created if it does not
    /// exist) or `postgres://user:password@host:port/database`. No default: an app names its own
    /// database.
    pub url: String,
    /// Upper bound of each of the two pools' connections (`MIZAN_DATABASE_MAX_CONNECTIONS`): the
    /// app's queries, and the engine's own for sessions and migrations.
    pub max_connections: u32,
}

/// The `[log]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A `tracing` filter directive such as `info,mizan=debug` (`RUST_LOG`).
    pub filter: String,
    /// `text` for people, `json` for log collectors (`MIZAN_LOG_FORMAT`).
    pub format: LogFormat,
}

/// The `[auth]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// HS256 secret for `Authorization: Bearer` tokens (`MIZAN_JWT_SECRET`); empty disables them.
    /// Keep it out of files in real deployments: set the variable.
    pub jwt_secret: String,
}

/// The `[security]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Origins besides the site itself allowed to send state-changing requests
    /// (`MIZAN_TRUSTED_ORIGINS`, comma-separated), e.g. `https://admin.example.com`.
    pub trusted_origins: Vec<String>,
    /// Mark cookies (the session's) `Secure`, sent over HTTPS only (`MIZAN_SECURE_COOKIES`,
    /// `true`/`false`). Off by default for `http://127.0.0.1`; turn it on behind HTTPS.
    pub secure_cookies: bool,
    /// The site's secret key (`MIZAN_SECRET_KEY`), at least 32 bytes: it signs what the browser
    /// brings back (the outcome of a form posted without JavaScript). Empty: a random key per
    /// process, so those outcomes do not survive a restart or reach another node. Give every
    /// node the same one; keep it out of files in real deployments: set the variable.
    pub secret_key: String,
    /// The reverse proxies in front of the server, addresses or networks
    /// (`MIZAN_TRUSTED_PROXIES`, comma-separated), e.g. `127.0.0.1` or `10.0.0.0/8`: their
    /// `X-Forwarded-For` and `X-Forwarded-Proto` are believed, nobody else's.
    pub trusted_proxies: Vec<String>,
    /// The site's origin as visitors reach it (`MIZAN_SITE_ORIGIN`), e.g.
    /// `https://app.example.com`; empty: the request's `Host` with the scheme the client used.
    pub site_origin: String,
}

/// The `[limits]` table: per-client bounds (mizan's defaults unless set).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSettings {
    /// Sockets and event streams one session may hold open (`MIZAN_SOCKETS_PER_SESSION`).
    pub sockets_per_session: usize,
    /// Sockets and event streams one client address may hold open
    /// (`MIZAN_SOCKETS_PER_ADDRESS`).
    pub sockets_per_address: usize,
    /// Seconds a connection may take to send its headers, or sit idle between requests
    /// (`MIZAN_HEADER_READ_TIMEOUT_SECS`).
    pub header_read_timeout_secs: u64,
    /// Seconds between checks of an open socket's identity against the stores
    /// (`MIZAN_IDENTITY_RECHECK_SECS`).
    pub identity_recheck_secs: u64,
}

impl Default for LimitsSettings {
    fn default() -> Self {
        Self {
            sockets_per_session: 32,
            sockets_per_address: 64,
            header_read_timeout_secs: 10,
            identity_recheck_secs: 30,
        }
    }
}

/// The `[broker]` table: what links this node to the app's other nodes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerSettings {
    /// Which broker (`MIZAN_BROKER`): `in-process`, a node on its own (the default); `redis`;
    /// or `postgres`, on the app's database. Setting `REDIS_URL` alone chooses `redis`.
    pub kind: BrokerKind,
    /// The Redis server (`REDIS_URL`), e.g. `redis://127.0.0.1:6379`.
    pub url: String,
    /// The pub/sub channel the app's nodes share (`MIZAN_BROKER_CHANNEL`): apps sharing one
    /// Redis server or database each need their own.
    pub channel: String,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        Self {
            kind: BrokerKind::None,
            url: String::new(),
            channel: "mizan".into(),
        }
    }
}

/// Which broker links the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrokerKind {
    /// None: this node is on its own; pushes reach its own sockets only.
    #[serde(rename = "in-process")]
    None,
    /// Redis pub/sub.
    Redis,
    /// PostgreSQL `LISTEN/NOTIFY`.
    Postgres,
}

impl FromStr for BrokerKind {
    type Err = UnknownChoice;

    fn from_str(value: &str) -> Result<Self, UnknownChoice> {
        match value.to_ascii_lowercase().as_str() {
            "in-process" => Ok(Self::None),
            "redis" => Ok(Self::Redis),
            "postgres" => Ok(Self::Postgres),
            _ => Err(UnknownChoice {
                value: value.to_owned(),
                expected: "`in-process`, `redis`, `postgres`",
            }),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = UnknownChoice;

    fn from_str(value: &str) -> Result<Self, UnknownChoice> {
        match value.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(UnknownChoice {
                value: value.to_owned(),
                expected: "`text`, `json`",
            }),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 8,
        }
    }
}

/// The default log filter: `info`, except tower-sessions' `info` spans around each session load
/// and save (they say nothing a request log lacks).
pub const DEFAULT_LOG_FILTER: &str = "info,tower_sessions=warn,tower_sessions_core=warn";

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            filter: DEFAULT_LOG_FILTER.into(),
            format: LogFormat::Text,
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The settings file exists (or was named by `MIZAN_SETTINGS`) but could not be read.
    #[error("cannot read settings file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The settings file is not valid TOML or has an unknown key or a value of the wrong type.
    #[error("settings file {path} is invalid")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML parser reported, with line and column.
        source: toml::de::Error,
    },
    /// No [`DEFAULT_SETTINGS_FILE`] was found, but a file under its former name was: its
    /// settings would otherwise be silently left out.
    #[error(
        "found {} but no Leptos.toml: the settings file is now called Leptos.toml; rename it \
         (its keys are unchanged)",
        found.display()
    )]
    Renamed {
        /// The file under the former name.
        found: PathBuf,
    },
    /// An environment variable overriding a key holds a value that does not parse.
    #[error("environment variable {var}={value:?} is invalid: expected {expected}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
}

impl Settings {
    /// Loads settings from the file and the process environment, as the module docs describe.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_with(|var| std::env::var(var).ok())
    }

    /// Loads settings with `env` standing in for the process environment (for tests and embedding).
    pub fn load_with(env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        Self::load_in(Path::new("."), env)
    }

    /// The same, with `dir` standing in for the working directory: where the default file is
    /// looked for, and what a relative `MIZAN_SETTINGS` is read from.
    pub fn load_in(
        dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let (path, required) = match env(SETTINGS_FILE_VAR) {
            Some(path) => (dir.join(path), true),
            None => (dir.join(DEFAULT_SETTINGS_FILE), false),
        };
        let mut settings = match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path)?,
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
                let former = dir.join(FORMER_SETTINGS_FILE);
                if former.is_file() {
                    return Err(SettingsError::Renamed { found: former });
                }
                Self::default()
            }
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        settings.apply_env(env)?;
        Ok(settings)
    }

    /// Parses the TOML text of a settings file; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SettingsError> {
        let mut settings: Self = toml::from_str(text).map_err(|source| SettingsError::Parse {
            path: path.to_owned(),
            source,
        })?;
        settings.source = Some(path.to_owned());
        Ok(settings)
    }

    /// Applies the environment overrides listed on each field.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        fn parsed<T: FromStr>(
            env: &impl Fn(&str) -> Option<String>,
            var: &'static str,
            expected: &'static str,
            slot: &mut T,
        ) -> Result<(), SettingsError> {
            if let Some(value) = env(var) {
                *slot = value.trim().parse().map_err(|_| SettingsError::Env {
                    var,
                    value,
                    expected,
                })?;
            }
            Ok(())
        }
        fn text(env: &impl Fn(&str) -> Option<String>, var: &'static str, slot: &mut String) {
            if let Some(value) = env(var) {
                *slot = value;
            }
        }

        text(&env, "DATABASE_URL", &mut self.database.url);
        parsed(
            &env,
            "MIZAN_DATABASE_MAX_CONNECTIONS",
            "a positive whole number",
            &mut self.database.max_connections,
        )?;
        if self.database.max_connections == 0 {
            return Err(SettingsError::Env {
                var: "MIZAN_DATABASE_MAX_CONNECTIONS",
                value: "0".into(),
                expected: "a positive whole number",
            });
        }
        text(&env, "RUST_LOG", &mut self.log.filter);
        text(&env, "MIZAN_JWT_SECRET", &mut self.auth.jwt_secret);
        text(&env, "MIZAN_SECRET_KEY", &mut self.security.secret_key);
        parsed(
            &env,
            "MIZAN_SECURE_COOKIES",
            "true or false",
            &mut self.security.secure_cookies,
        )?;
        let list = |var| {
            env(var).map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        };
        if let Some(origins) = list("MIZAN_TRUSTED_ORIGINS") {
            self.security.trusted_origins = origins;
        }
        if let Some(proxies) = list("MIZAN_TRUSTED_PROXIES") {
            self.security.trusted_proxies = proxies;
        }
        text(&env, "MIZAN_SITE_ORIGIN", &mut self.security.site_origin);
        let limits = &mut self.limits;
        for (var, slot) in [
            ("MIZAN_SOCKETS_PER_SESSION", &mut limits.sockets_per_session),
            ("MIZAN_SOCKETS_PER_ADDRESS", &mut limits.sockets_per_address),
        ] {
            parsed(&env, var, "a positive whole number", slot)?;
            if *slot == 0 {
                return Err(SettingsError::Env {
                    var,
                    value: "0".into(),
                    expected: "a positive whole number",
                });
            }
        }
        for (var, slot) in [
            (
                "MIZAN_HEADER_READ_TIMEOUT_SECS",
                &mut limits.header_read_timeout_secs,
            ),
            (
                "MIZAN_IDENTITY_RECHECK_SECS",
                &mut limits.identity_recheck_secs,
            ),
        ] {
            parsed(&env, var, "a positive whole number of seconds", slot)?;
            if *slot == 0 {
                return Err(SettingsError::Env {
                    var,
                    value: "0".into(),
                    expected: "a positive whole number of seconds",
                });
            }
        }
        parsed(
            &env,
            "MIZAN_LOG_FORMAT",
            "text or json",
            &mut self.log.format,
        )?;
        if let Some(url) = env("REDIS_URL") {
            self.broker.url = url;
            self.broker.kind = BrokerKind::Redis;
        }
        parsed(
            &env,
            "MIZAN_BROKER",
            "in-process, redis or postgres",
            &mut self.broker.kind,
        )?;
        text(&env, "MIZAN_BROKER_CHANNEL", &mut self.broker.channel);
        if self.broker.channel.is_empty() {
            return Err(SettingsError::Env {
                var: "MIZAN_BROKER_CHANNEL",
                value: String::new(),
                expected: "a channel name",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The error and its sources, as a person reads them.
    fn chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        text
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |var| map.get(var).cloned()
    }

    #[test]
    fn defaults_name_no_app() {
        let settings = Settings::default();
        assert_eq!(settings.database.url, "", "an app names its own database");
        assert_eq!(settings.log.filter, DEFAULT_LOG_FILTER);
        assert!(!settings.security.secure_cookies);
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut settings =
            Settings::parse("[database]\nurl = \"sqlite://a.db\"\n", Path::new("t.toml"))
                .expect("valid");
        settings
            .apply_env(env_of(&[
                ("DATABASE_URL", "sqlite://b.db"),
                ("MIZAN_LOG_FORMAT", "json"),
                (
                    "MIZAN_TRUSTED_ORIGINS",
                    "https://a.example, https://b.example",
                ),
                ("MIZAN_JWT_SECRET", "s3cret"),
                ("MIZAN_SECURE_COOKIES", "true"),
                ("MIZAN_SECRET_KEY", "a-site-key-of-at-least-32-bytes-long"),
            ]))
            .expect("valid overrides");
        assert_eq!(
            settings.security.secret_key,
            "a-site-key-of-at-least-32-bytes-long"
        );
        assert!(settings.security.secure_cookies);
        assert_eq!(settings.database.url, "sqlite://b.db");
        assert_eq!(settings.log.format, LogFormat::Json);
        assert_eq!(
            settings.security.trusted_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(settings.auth.jwt_secret, "s3cret");
    }

    #[test]
    fn proxies_origin_and_limits_come_from_the_file_and_the_environment() {
        let mut settings = Settings::parse(
            "[security]\ntrusted_proxies = [\"127.0.0.1\"]\n[limits]\nsockets_per_address = 500\n",
            Path::new("t.toml"),
        )
        .expect("valid");
        assert_eq!(settings.security.trusted_proxies, ["127.0.0.1"]);
        assert_eq!(settings.limits.sockets_per_address, 500);
        assert_eq!(settings.limits.sockets_per_session, 32, "the default stays");
        settings
            .apply_env(env_of(&[
                ("MIZAN_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
                ("MIZAN_SITE_ORIGIN", "https://app.example"),
                ("MIZAN_SOCKETS_PER_SESSION", "8"),
                ("MIZAN_IDENTITY_RECHECK_SECS", "5"),
            ]))
            .expect("valid overrides");
        assert_eq!(settings.security.trusted_proxies, ["10.0.0.0/8", "::1"]);
        assert_eq!(settings.security.site_origin, "https://app.example");
        assert_eq!(settings.limits.sockets_per_session, 8);
        assert_eq!(settings.limits.identity_recheck_secs, 5);
        for var in [
            "MIZAN_SOCKETS_PER_ADDRESS",
            "MIZAN_HEADER_READ_TIMEOUT_SECS",
        ] {
            let error = Settings::default()
                .apply_env(env_of(&[(var, "0")]))
                .expect_err("zero is refused");
            assert!(error.to_string().contains(var), "{error}");
        }
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_file_and_key() {
        let error = Settings::parse("[database]\nulr = \"x\"\n", Path::new("Leptos.toml"))
            .expect_err("typo must not pass");
        let text = chain(&error);
        assert!(text.contains("Leptos.toml"), "{text}");
        assert!(text.contains("ulr"), "{text}");
        let error = Settings::parse("[site]\naddr = \"x\"\n", Path::new("Leptos.toml"))
            .expect_err("the site is Leptos' configuration, not a table here");
        assert!(chain(&error).contains("site"));
    }

    #[test]
    fn bad_environment_value_names_the_variable() {
        let mut settings = Settings::default();
        let error = settings
            .apply_env(env_of(&[("MIZAN_SECURE_COOKIES", "maybe")]))
            .expect_err("must be rejected");
        assert!(
            matches!(
                error,
                SettingsError::Env {
                    var: "MIZAN_SECURE_COOKIES",
                    ..
                }
            ),
            "{error}"
        );
        let error = Settings::default()
            .apply_env(env_of(&[("MIZAN_DATABASE_MAX_CONNECTIONS", "0")]))
            .expect_err("zero connections is useless");
        assert!(error.to_string().contains("MIZAN_DATABASE_MAX_CONNECTIONS"));
    }

    #[test]
    fn named_settings_file_must_exist_but_the_default_one_may_be_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.toml");
        let missing_text = missing.display().to_string();
        let error = Settings::load_with(env_of(&[(SETTINGS_FILE_VAR, &missing_text)]))
            .expect_err("an explicitly named file must exist");
        assert!(matches!(error, SettingsError::Read { .. }), "{error}");

        let present = dir.path().join("ok.toml");
        std::fs::write(&present, "[log]\nfilter = \"debug\"\n").expect("write");
        let present_text = present.display().to_string();
        let settings =
            Settings::load_with(env_of(&[(SETTINGS_FILE_VAR, &present_text)])).expect("loads");
        assert_eq!(settings.log.filter, "debug");
        assert_eq!(settings.source.as_deref(), Some(present.as_path()));
    }
    #[test]
    fn the_default_file_is_leptos_toml_in_the_working_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = Settings::load_in(dir.path(), env_of(&[])).expect("no file: defaults");
        assert_eq!(settings, Settings::default());

        std::fs::write(
            dir.path().join("Leptos.toml"),
            "[database]\nurl = \"sqlite://here.db\"\n",
        )
        .expect("write");
        let settings = Settings::load_in(dir.path(), env_of(&[])).expect("loads");
        assert_eq!(settings.database.url, "sqlite://here.db");
        assert_eq!(
            settings.source.as_deref(),
            Some(dir.path().join("Leptos.toml").as_path())
        );
    }

    #[test]
    fn a_settings_file_under_its_former_name_is_refused_with_the_new_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("Settings.toml"),
            "[database]\nurl = \"sqlite://old.db\"\n",
        )
        .expect("write");
        let error = Settings::load_in(dir.path(), env_of(&[]))
            .expect_err("its settings must not be silently left out");
        assert!(matches!(error, SettingsError::Renamed { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("Settings.toml")
                && text.contains("rename it")
                && text.contains("Leptos.toml"),
            "{text}"
        );

        // Beside the new file, the old one is left alone: the new one is read.
        std::fs::write(dir.path().join("Leptos.toml"), "[log]\nformat = \"json\"\n")
            .expect("write");
        let settings = Settings::load_in(dir.path(), env_of(&[])).expect("loads the new file");
        assert_eq!(settings.log.format, LogFormat::Json);
        assert_eq!(
            settings.database.url, "",
            "nothing is read from the old file"
        );
    }
}
