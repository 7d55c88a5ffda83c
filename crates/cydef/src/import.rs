//! `cydef import PATH…`: loads MISP event files, or MISP feed directories
//! (`manifest.json` + `<uuid>.json`), straight into the database, as the site
//! admin (creator organisations are kept, as for a sync).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use cydef_http::ingest::{self, Importer, Outcome};
use cydef_http::sharing::check_sharing_groups;
use cydef_model::event::edit::{plan_edit, EditRefusal};
use cydef_model::event::{parse_events, EventIn, Rejection};
use cydef_model::role::Permission;
use cydef_model::{time_fmt, EntityRef};
use cydef_store::Store;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    /// Already stored and older than the file: updated with MISP's edit
    /// rules (as a feed pull does).
    pub updated: usize,
    /// Already stored, and the file is not newer: left as they are.
    pub skipped_existing: usize,
    pub skipped_blocklisted: usize,
    pub failed: usize,
    /// Why each failed file failed: `path: reason` (also printed as it
    /// happens).
    pub failures: Vec<String>,
    pub attributes: usize,
}

/// The event files a path names: a file, a feed directory (its manifest's
/// entries) or a directory of `.json` files.
pub fn event_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    if !path.is_dir() {
        bail!("{} is neither a file nor a directory", path.display());
    }
    let manifest = path.join("manifest.json");
    if manifest.is_file() {
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", manifest.display()))?;
        let mut files: Vec<PathBuf> = map
            .keys()
            .map(|uuid| path.join(format!("{uuid}.json")))
            .collect();
        files.sort();
        return Ok(files);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    if files.is_empty() {
        eprintln!(
            "warning: {} has no manifest.json and no .json event files (a MISP feed's files may be in a subdirectory)",
            path.display()
        );
    }
    files.sort();
    Ok(files)
}

/// The importer is a site admin ([`site_admin`]): it may use every group
/// this instance has, and only those (API rules, `cydef_http::sharing`).
const SITE_ADMIN: bool = true;

async fn site_admin(store: &dyn Store) -> anyhow::Result<Importer> {
    let roles = store.list_roles().await?;
    let users = store.list_users(None).await?;
    let admin = users
        .iter()
        .find(|u| {
            !u.disabled
                && roles
                    .iter()
                    .any(|r| r.id == u.role_id && r.has(Permission::SiteAdmin))
        })
        .context("no enabled site admin to import as")?;
    Ok(Importer {
        user_id: admin.id,
        org_id: admin.org_id,
        keep_creator: true,
        may_publish: true,
    })
}

fn draw(done: usize, total: usize, s: &Summary) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r[{}{}] {done}/{total}  created {}  updated {}  skipped {}  failed {}",
        "#".repeat(filled),
        "-".repeat(width - filled),
        s.created,
        s.updated,
        s.skipped_existing + s.skipped_blocklisted,
        s.failed
    );
    let _ = std::io::stderr().flush();
}

/// Imports every event the paths name. Problems with single files are
/// reported and counted; the import goes on.
pub async fn run(store: &dyn Store, paths: &[PathBuf], progress: bool) -> anyhow::Result<Summary> {
    let who = site_admin(store).await?;
    let mut files = Vec::new();
    for p in paths {
        files.extend(event_files(p)?);
    }
    let mut summary = Summary::default();
    for (i, file) in files.iter().enumerate() {
        match import_file(store, &who, file).await {
            Ok(outcomes) => {
                for (outcome, attributes) in outcomes {
                    match outcome {
                        FileOutcome::Stored(Outcome::Created(_)) => {
                            summary.created += 1;
                            summary.attributes += attributes;
                        }
                        FileOutcome::Updated => summary.updated += 1,
                        FileOutcome::Stored(Outcome::Exists(_)) => summary.skipped_existing += 1,
                        FileOutcome::Stored(Outcome::Blocklisted) => {
                            summary.skipped_blocklisted += 1
                        }
                    }
                }
            }
            Err(e) => {
                summary.failed += 1;
                let failure = format!("{}: {e:#}", file.display());
                if progress {
                    eprintln!();
                }
                eprintln!("{failure}");
                summary.failures.push(failure);
            }
        }
        if progress {
            draw(i + 1, files.len(), &summary);
        }
    }
    if progress {
        eprintln!();
    }
    Ok(summary)
}

/// What became of one event of a file.
enum FileOutcome {
    Stored(Outcome),
    Updated,
}

/// Updates the stored event `id` with `doc` when the document is newer (it
/// has a `timestamp` above the stored one), with the rules of
/// `events/edit`; returns whether it did.
async fn update_if_newer(
    store: &dyn Store,
    who: &Importer,
    id: i64,
    doc: &EventIn,
) -> anyhow::Result<bool> {
    if doc.timestamp.is_none() {
        return Ok(false);
    }
    let stored = store.find_event(EntityRef::Id(id)).await?;
    let contents = store.event_contents(id).await?;
    match plan_edit(&stored, &contents, doc) {
        Err(EditRefusal::NotNewer) => Ok(false),
        Err(EditRefusal::Rejected(r)) => Err(anyhow::anyhow!("update refused: {}", reasons(&r))),
        Ok(mut plan) => {
            let refused =
                check_sharing_groups(store, who.org_id, SITE_ADMIN, &mut plan.event).await?;
            if !refused.is_empty() {
                bail!("update refused: {}", reasons(&refused));
            }
            ingest::sighting_orgs(store, who, &mut plan.event).await?;
            store
                .edit_event(id, &plan, who.org_id, time_fmt::now())
                .await?;
            Ok(true)
        }
    }
}

fn reasons(rejections: &[Rejection]) -> String {
    rejections
        .iter()
        .map(|r| format!("{} {}: {}", r.path, r.field, r.message))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn import_file(
    store: &dyn Store,
    who: &Importer,
    file: &Path,
) -> anyhow::Result<Vec<(FileOutcome, usize)>> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).context("not JSON")?;
    let docs = parse_events(value).map_err(|e| anyhow::anyhow!(e.0))?;
    // Every event of the file is checked before any is stored: a refused
    // file leaves nothing written.
    let mut checked = Vec::with_capacity(docs.len());
    for doc in docs {
        let mut ev = doc
            .validate()
            .map_err(|r| anyhow::anyhow!("refused: {}", reasons(&r)))?;
        let refused = check_sharing_groups(store, who.org_id, SITE_ADMIN, &mut ev).await?;
        if !refused.is_empty() {
            bail!("refused: {}", reasons(&refused));
        }
        checked.push((doc, ev));
    }
    let mut out = Vec::new();
    for (doc, ev) in checked {
        let count = ev.attribute_count();
        let outcome = match ingest::import(store, who, ev).await? {
            Outcome::Exists(id) if update_if_newer(store, who, id, &doc).await? => {
                FileOutcome::Updated
            }
            other => FileOutcome::Stored(other),
        };
        out.push((outcome, count));
    }
    Ok(out)
}
