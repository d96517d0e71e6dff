//! The data directory's lock: one process at a time opens a chain, and `rampart dev --reset`
//! deletes nothing while another process holds the directory.
//!
//! The lock is an OS file lock (`flock` on Unix, `LockFileEx` on Windows, through
//! `std::fs::File::try_lock`) on `LOCK` inside the directory, so it is released when the process
//! exits however it exits. The file records its holder (process id and command line) so a refusal
//! can name it.

use crate::NodeError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "LOCK";

/// A held lock on a data directory; released on drop.
#[derive(Debug)]
pub struct DataDirLock {
    path: PathBuf,
    _file: File,
}

impl DataDirLock {
    /// Creates `dir` if needed and takes its lock, or fails naming the process that holds it.
    pub fn acquire(dir: &Path) -> Result<Self, NodeError> {
        std::fs::create_dir_all(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process".to_owned()
                } else {
                    holder.to_owned()
                };
                return Err(NodeError::Locked(format!(
                    "the data directory {} is in use by {holder}; stop it first or use another --data-dir",
                    dir.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(e.into()),
        }
        file.set_len(0)?;
        file.rewind()?;
        let command: Vec<String> = std::env::args().collect();
        writeln!(file, "pid {} ({})", std::process::id(), command.join(" "))?;
        file.sync_all()?;
        Ok(Self {
            path: dir.to_path_buf(),
            _file: file,
        })
    }

    /// The locked directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes everything in the directory but the lock file (what `--reset` does, under the
    /// lock).
    pub fn clear(&self) -> Result<(), NodeError> {
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            if entry.file_name() == LOCK_FILE {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_directory_is_refused_naming_its_holder_and_clear_keeps_the_lock() {
        let dir = std::env::temp_dir().join(format!("rampart-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let held = DataDirLock::acquire(&dir).expect("first lock");
        std::fs::write(dir.join("chain.redb"), b"x").expect("write");
        let err = DataDirLock::acquire(&dir).expect_err("second lock refused");
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        held.clear().expect("clear");
        assert!(!dir.join("chain.redb").exists());
        assert!(dir.join(LOCK_FILE).exists());
        drop(held);
        DataDirLock::acquire(&dir).expect("free again");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
