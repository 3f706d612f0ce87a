//! One instance per data directory: a second start on the same directory is refused with a
//! clear word rather than sharing the SQLite file and the window's port.

use std::{
    fs::{File, TryLockError},
    path::{Path, PathBuf},
};

/// The lock file's name in the data directory.
const LOCK_FILE: &str = "mizan-desktop.lock";

/// Why this instance may not run.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// Another instance holds the data directory.
    #[error(
        "mizan-desktop is already running on {}: switch to its window, or close it first",
        dir.display()
    )]
    AlreadyRunning {
        /// The data directory.
        dir: PathBuf,
    },
    /// The lock file cannot be opened or locked.
    #[error("cannot lock {}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The data directory, held for this process (released when dropped, or when it ends).
pub struct Lock(
    #[allow(
        dead_code,
        reason = "held, not read: the lock lasts as long as the file"
    )]
    File,
);

impl Lock {
    /// Takes `dir` for this process.
    pub fn take(dir: &Path) -> Result<Self, InstanceError> {
        let path = dir.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| InstanceError::Lock {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(TryLockError::WouldBlock) => Err(InstanceError::AlreadyRunning {
                dir: dir.to_owned(),
            }),
            Err(TryLockError::Error(source)) => Err(InstanceError::Lock { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{InstanceError, Lock};

    #[test]
    fn a_second_instance_on_one_data_directory_is_refused_until_the_first_ends() {
        let dir = std::env::temp_dir().join(format!("mizan-desktop-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let first = Lock::take(&dir).expect("the first takes it");
        let Err(InstanceError::AlreadyRunning { dir: held }) = Lock::take(&dir) else {
            panic!("a second is refused")
        };
        assert_eq!(held, dir);
        drop(first);
        Lock::take(&dir).expect("free again once the first ended");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
