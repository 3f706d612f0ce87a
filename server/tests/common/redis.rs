//! A throwaway redis-server for a test: started on a free loopback port with no persistence,
//! killed when dropped; it can be killed and started again on the same port, as an outage.

use std::{
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::postgres::free_port;

/// A redis-server of its own, killed on drop.
pub struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    /// Starts one; panics with a word on installing it when Debian's package is missing.
    pub fn start() -> Self {
        let mut redis = Self {
            port: free_port(),
            child: None,
        };
        redis.start_again();
        redis
    }

    /// Starts the server (again, after [`kill`](Self::kill)) on the same port, and waits until
    /// it accepts connections.
    pub fn start_again(&mut self) {
        let program = ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .unwrap_or("redis-server");
        let child = Command::new(program)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start redis-server ({error}): install Debian's redis-server")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start in 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL): its clients lose their connections at once.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}
