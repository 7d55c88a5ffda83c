//! Loading the MISP knowledge bases from disk into the store. The knowledge
//! base directory (`CYDEF_KB_DIR`) holds the upstream repositories' own
//! layouts; object templates are the misp-objects repository's
//! `objects/<name>/definition.json`, found at `<kb_dir>/objects/objects/`
//! (or `<kb_dir>/objects/` when that holds the template folders directly).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cydef_model::object_template::NewObjectTemplate;

use crate::{Store, StoreError, StoreResult, TemplateLoad};

/// A file that could not be read as a template, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub reason: String,
}

/// What reading and storing the templates did.
#[derive(Debug, Clone, Default)]
pub struct TemplateLoadReport {
    /// The directory the templates were read from.
    pub dir: PathBuf,
    /// `definition.json` files found.
    pub files: usize,
    pub load: TemplateLoad,
    pub skipped: Vec<SkippedFile>,
    pub read_time: Duration,
    pub store_time: Duration,
}

/// The folder holding one sub-folder per template.
pub fn object_templates_dir(kb_dir: &Path) -> PathBuf {
    let nested = kb_dir.join("objects").join("objects");
    if nested.is_dir() {
        nested
    } else {
        kb_dir.join("objects")
    }
}

/// Reads every `<dir>/*/definition.json` under the knowledge base's object
/// templates folder, in folder-name order. Unreadable or invalid files are
/// skipped and listed; a missing folder is an error.
pub fn read_object_templates(
    kb_dir: &Path,
) -> std::io::Result<(PathBuf, usize, Vec<NewObjectTemplate>, Vec<SkippedFile>)> {
    let dir = object_templates_dir(kb_dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path().join("definition.json"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    // Parsed on a few threads: a few hundred files of JSON.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let per_thread = files.len().div_ceil(threads).max(1);
    let parsed: Vec<(PathBuf, Result<NewObjectTemplate, String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| (p.clone(), parse(p)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join().unwrap_or_else(|_| {
                    vec![(dir.clone(), Err("a reader thread panicked".to_owned()))]
                })
            })
            .collect()
    });
    let mut templates = Vec::with_capacity(files.len());
    let mut skipped = Vec::new();
    for (path, result) in parsed {
        match result {
            Ok(t) => templates.push(t),
            Err(reason) => skipped.push(SkippedFile { path, reason }),
        }
    }
    Ok((dir, files.len(), templates, skipped))
}

fn parse(path: &Path) -> Result<NewObjectTemplate, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    NewObjectTemplate::from_definition(&value)
}

/// Reads the object templates of `kb_dir` and stores them (new UUIDs added,
/// higher versions replacing lower ones). Blocking file I/O: call it from a
/// blocking-friendly context or accept a few milliseconds of it.
pub async fn load_object_templates(
    store: &dyn Store,
    kb_dir: &Path,
    now: i64,
) -> StoreResult<TemplateLoadReport> {
    let started = Instant::now();
    let (dir, files, templates, skipped) = read_object_templates(kb_dir).map_err(|e| {
        StoreError::Other(sqlx::Error::Io(std::io::Error::new(
            e.kind(),
            format!(
                "reading object templates from {}: {e}",
                object_templates_dir(kb_dir).display()
            ),
        )))
    })?;
    let read_time = started.elapsed();
    let stored_at = Instant::now();
    let load = store.upsert_object_templates(&templates, now).await?;
    Ok(TemplateLoadReport {
        dir,
        files,
        load,
        skipped,
        read_time,
        store_time: stored_at.elapsed(),
    })
}
