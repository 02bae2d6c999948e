//! An output folder that receives the files of one run all together or not at all.
//!
//! [`OutputDir::prepare`] checks the folder before any work is done (it exists or can be
//! created, it is a folder, the output names are free or plain files) and opens a hidden
//! staging folder inside it. The run writes every file into the staging folder; only
//! [`OutputDir::commit`] moves them into place, renaming the manifest (`report.json`) last,
//! so a run that fails leaves the previous run's files as they were, and a present manifest
//! always describes the files beside it. A staging folder left by a killed process is named
//! `.qcs-partial-<pid>-<serial>` and can be deleted.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A checked output folder with its staging folder; dropping it without [`commit`] removes
/// what was staged.
///
/// [`commit`]: OutputDir::commit
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    names: Vec<String>,
    committed: bool,
}

impl OutputDir {
    /// Checks `dir` for the files `names` (the last one is the manifest, renamed last) and
    /// opens the staging folder. `option` names the option the folder came from, in errors.
    pub fn prepare(dir: &Path, names: &[&str], option: &str) -> Result<Self> {
        if dir.exists() && !dir.is_dir() {
            bail!("{option} {}: exists and is not a directory", dir.display());
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{option} {}: cannot create directory", dir.display()))?;
        for name in names {
            let p = dir.join(name);
            if p.exists() && !p.is_file() {
                bail!(
                    "{option} {}: {} exists and is not a regular file; it would not be replaced",
                    dir.display(),
                    p.display()
                );
            }
        }
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let staging = dir.join(format!(".qcs-partial-{}-{serial}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("{}: cannot remove", staging.display()))?;
        }
        std::fs::create_dir(&staging).with_context(|| {
            format!(
                "{option} {}: cannot write into the directory",
                dir.display()
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            staging,
            names: names.iter().map(|s| s.to_string()).collect(),
            committed: false,
        })
    }

    /// Where the run writes `name` (inside the staging folder).
    pub fn staged(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// The final path of `name`.
    pub fn final_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Moves every staged file into the folder, the manifest (the last name) last, and removes
    /// the staging folder. Errors: a name that was not written.
    pub fn commit(mut self) -> Result<()> {
        for name in &self.names {
            let from = self.staging.join(name);
            if !from.is_file() {
                bail!("{}: the run did not write {name}", self.dir.display());
            }
        }
        for name in &self.names {
            let (from, to) = (self.staging.join(name), self.dir.join(name));
            std::fs::rename(&from, &to)
                .with_context(|| format!("{}: cannot move into place", to.display()))?;
        }
        self.committed = true;
        std::fs::remove_dir_all(&self.staging)
            .with_context(|| format!("{}: cannot remove", self.staging.display()))
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("qcs-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_failed_run_leaves_the_previous_files_and_no_staging() {
        let d = temp("failed");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("a.txt"), "old a").unwrap();
        std::fs::write(d.join("report.json"), "old report").unwrap();
        {
            let out = OutputDir::prepare(&d, &["a.txt", "b.txt", "report.json"], "--out").unwrap();
            std::fs::write(out.staged("a.txt"), "new a").unwrap();
            // The run fails here: b.txt and the report are never written.
        }
        assert_eq!(std::fs::read_to_string(d.join("a.txt")).unwrap(), "old a");
        assert_eq!(
            std::fs::read_to_string(d.join("report.json")).unwrap(),
            "old report"
        );
        assert!(!d.join("b.txt").exists());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2, "staging removed");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn commit_moves_every_file_and_refuses_a_missing_one() {
        let d = temp("commit");
        let out = OutputDir::prepare(&d, &["a.txt", "report.json"], "--out").unwrap();
        std::fs::write(out.staged("a.txt"), "a").unwrap();
        let err = {
            let out2 = OutputDir::prepare(&d, &["a.txt", "report.json"], "--out").unwrap();
            std::fs::write(out2.staged("a.txt"), "a2").unwrap();
            out2.commit().unwrap_err()
        };
        assert!(
            err.to_string()
                .ends_with("the run did not write report.json"),
            "{err}"
        );
        std::fs::write(out.staged("report.json"), "r").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(d.join("a.txt")).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(d.join("report.json")).unwrap(), "r");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_file_or_a_directory_in_the_way_is_refused_before_any_work() {
        let d = temp("inway");
        std::fs::create_dir_all(d.join("report.json")).unwrap();
        let err = OutputDir::prepare(&d, &["report.json"], "--out").unwrap_err();
        assert!(
            err.to_string()
                .contains("report.json exists and is not a regular file"),
            "{err}"
        );
        let f = d.join("file");
        std::fs::write(&f, "x").unwrap();
        let err = OutputDir::prepare(&f, &["report.json"], "--out").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("--out {}: exists and is not a directory", f.display())
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
