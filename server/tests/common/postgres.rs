//! A throwaway PostgreSQL server for a test: a fresh cluster in a temporary directory, started on
//! a free loopback port, stopped by its own data directory's `pg_ctl` when dropped. Run as root,
//! it runs as the unprivileged `postgres` user (PostgreSQL refuses root).

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Command, Output},
};

/// Where PostgreSQL's programs are: `MIZAN_PG_BIN`, else the newest of Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn programs() -> PathBuf {
    if let Some(dir) = std::env::var_os("MIZAN_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin/pg_ctl \
             (install Debian's postgresql, or name its bin directory in MIZAN_PG_BIN)"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A free loopback port (another process could take it before the server binds it; the start
/// then fails loudly).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A PostgreSQL server of its own, stopped on drop.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    port: u16,
    // Last: removed after the server stopped.
    dir: tempfile::TempDir,
}

impl Postgres {
    /// Creates a cluster (user `mizan`, trusted on loopback only) and starts it.
    pub fn start() -> Self {
        let bin = programs();
        let dir = tempfile::tempdir().expect("tempdir");
        let as_postgres = is_root();
        if as_postgres {
            let chowned = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(
                chowned.success(),
                "cannot give {} to postgres",
                dir.path().display()
            );
        }
        let data = dir.path().join("data");
        let server = Self {
            bin,
            data,
            as_postgres,
            port: free_port(),
            dir,
        };
        server.run(
            "initdb",
            &[
                "--pgdata",
                &server.data.display().to_string(),
                "--username",
                "mizan",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            ],
        );
        server.start_again();
        server
    }

    /// Starts the server (again, after [`stop`](Self::stop)), on the same port and data.
    pub fn start_again(&self) {
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "--pgdata",
                &self.data.display().to_string(),
                "--log",
                &log.display().to_string(),
                "--options",
                &options,
                "--wait",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would (open connections are cut).
    pub fn stop(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("--pgdata")
            .arg(&self.data)
            .args(["--mode", "immediate", "--wait", "stop"])
            .output();
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://mizan@127.0.0.1:{}/postgres", self.port)
    }

    /// One of PostgreSQL's programs, as `postgres` when root, in a working directory that user
    /// may enter.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        command.current_dir(self.dir.path());
        command
    }

    /// Runs one of PostgreSQL's programs; panics with its output when it fails.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
        assert!(
            output.status.success(),
            "{program} failed: {}{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log(),
        );
        output
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
