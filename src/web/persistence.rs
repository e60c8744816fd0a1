//! The browser's side of persistence: one IndexedDB database per world, loaded once at start-up, one transaction per
//! Run; the program's declarations in localStorage; a BroadcastChannel telling other tabs that data changed.

use crate::engine::changes::ChangeSet;
use crate::engine::database::Cluster;
use crate::engine::generator::Generator;
use crate::playground::Side;
use crate::storage::codec::{self, LoadProblem};
use crate::storage::indexeddb::IdbStore;
use crate::storage::StorageError;
use std::cell::Cell;
use std::rc::Rc;

/// Which data the page works on: the free playground, or the open lesson's own worlds (a lesson never touches the
/// playground's data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Playground,
    Lesson,
}

thread_local! {
    static SPACE: Cell<Space> = const { Cell::new(Space::Playground) };
}

pub fn space() -> Space {
    SPACE.with(Cell::get)
}

pub fn set_space(space: Space) {
    SPACE.with(|cell| cell.set(space));
}

/// The IndexedDB database of one world in the current space.
pub fn store_name(side: Side) -> String {
    match space() {
        Space::Playground => side.store_name().to_string(),
        Space::Lesson => format!("{}-lesson", side.store_name()),
    }
}

fn keyed(key: &str) -> String {
    match space() {
        Space::Playground => key.to_string(),
        Space::Lesson => format!("{key}.lesson"),
    }
}

/// The two worlds' stores.
#[derive(Clone)]
pub struct Stores {
    raw: Rc<IdbStore>,
    mongoose: Rc<IdbStore>,
}

impl Stores {
    pub async fn open() -> Result<Self, StorageError> {
        let raw = IdbStore::open(&store_name(Side::Raw)).await?;
        let mongoose = IdbStore::open(&store_name(Side::Mongoose)).await?;
        Ok(Self { raw: Rc::new(raw), mongoose: Rc::new(mongoose) })
    }

    fn store(&self, side: Side) -> &IdbStore {
        match side {
            Side::Raw => &self.raw,
            Side::Mongoose => &self.mongoose,
        }
    }

    /// Loads one world's cluster; records that do not decode are skipped and reported, the rest loads.
    pub async fn load(&self, side: Side) -> Result<(Cluster, Vec<LoadProblem>), StorageError> {
        let records = self.store(side).load_all().await?;
        let mut cluster = Cluster::new(Generator::Live);
        let mut problems = Vec::new();
        match codec::stored_format(&records) {
            None if records.is_empty() => self.store(side).apply(&[codec::format_record()]).await?,
            Some(version) if version > codec::FORMAT_VERSION => {
                problems.push(LoadProblem {
                    key: codec::FORMAT_KEY.to_string(),
                    reason: format!(
                        "stored by a newer crudlab (format {version}, this page reads {}); loading what it can",
                        codec::FORMAT_VERSION
                    ),
                });
            }
            _ => {}
        }
        problems.extend(codec::load(&mut cluster, &records));
        Ok((cluster, problems))
    }

    /// Writes one world's changes of a Run in one readwrite transaction.
    pub async fn persist(&self, side: Side, cluster_after: &Cluster, changes: &ChangeSet) -> Result<(), StorageError> {
        if changes.is_empty() {
            return Ok(());
        }
        let batch = codec::batch_for(cluster_after, changes);
        self.store(side).apply(&batch).await
    }

    /// Empties one world's store and writes a new cluster's records (Reset).
    pub async fn replace(&self, side: Side, cluster: &Cluster) -> Result<(), StorageError> {
        self.store(side).clear().await?;
        self.store(side).apply(&codec::records_of(cluster)).await
    }
}

const PRELUDE_KEY: &str = "crudlab.prelude";
const EDITOR_KEY: &str = "crudlab.editor";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.local_storage().ok().flatten())
}

/// The program's declarations saved by the last session (schemas, models, functions).
pub fn saved_prelude() -> Vec<String> {
    local_storage()
        .and_then(|storage| storage.get_item(&keyed(PRELUDE_KEY)).ok().flatten())
        .and_then(|text| serde_json::from_str::<Vec<String>>(&text).ok())
        .unwrap_or_default()
}

pub fn save_prelude(prelude: &[String]) {
    if let (Some(storage), Ok(text)) = (local_storage(), serde_json::to_string(prelude)) {
        let _ = storage.set_item(&keyed(PRELUDE_KEY), &text);
    }
}

/// The editor's text, so a reload keeps what the student was typing.
pub fn saved_editor() -> Option<String> {
    local_storage().and_then(|storage| storage.get_item(&keyed(EDITOR_KEY)).ok().flatten())
}

pub fn save_editor(text: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(&keyed(EDITOR_KEY), text);
    }
}

/// The channel tabs use to tell each other that stored data changed.
pub const CHANNEL: &str = "crudlab-data";

/// Tells other tabs that this tab wrote data.
pub fn announce_write(tab: &str) {
    if let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) {
        let _ = channel.post_message(&wasm_bindgen::JsValue::from_str(tab));
        channel.close();
    }
}

const THEME_KEY: &str = "crudlab.theme";

/// Applies the saved colour theme (light unless the student chose dark) to the page.
pub fn apply_saved_theme() {
    let dark = local_storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).as_deref() == Some("dark");
    set_theme(dark);
}

fn set_theme(dark: bool) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

/// Switches between light and dark colours and remembers the choice.
pub fn toggle_theme() {
    let dark = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|root| root.get_attribute("data-theme"))
        .as_deref()
        != Some("dark");
    set_theme(dark);
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(THEME_KEY, if dark { "dark" } else { "light" });
    }
}

const PROGRESS_KEY: &str = "crudlab.lessons";

/// Saved lesson state: the open lesson (if any), every lesson's progress, and the completed lessons.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SavedLessons {
    pub open: Option<String>,
    /// Which lesson's data the lesson stores hold (reopening that lesson resumes it).
    #[serde(default)]
    pub data_of: Option<String>,
    /// Counts saves, so the newest copy wins when the page reads its progress back.
    #[serde(default)]
    pub revision: u64,
    pub progress: Vec<crate::lessons::Progress>,
    pub completed: Vec<String>,
}

thread_local! {
    /// The lesson progress as last read from or written to IndexedDB; the page reads it synchronously.
    static SAVED_LESSONS: std::cell::RefCell<SavedLessons> = std::cell::RefCell::new(SavedLessons::default());
}

/// The IndexedDB database holding lesson progress (one record, `lessons`, JSON).
const PROGRESS_STORE: &str = "crudlab-progress";

/// Reads the lesson progress from IndexedDB into the page (once, at start-up, before anything uses it).
pub async fn load_saved_lessons() -> Result<(), StorageError> {
    let store = IdbStore::open(PROGRESS_STORE).await?;
    let bytes = store.get(PROGRESS_KEY).await?;
    store.close();
    let stored: SavedLessons = bytes.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    // A save started just before a reload may not have reached IndexedDB; its synchronous mirror did.
    let mirrored: SavedLessons = local_storage()
        .and_then(|storage| storage.get_item(PROGRESS_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let newest = if mirrored.revision > stored.revision { mirrored } else { stored };
    SAVED_LESSONS.with(|cell| *cell.borrow_mut() = newest);
    Ok(())
}

impl SavedLessons {
    pub fn load() -> Self {
        SAVED_LESSONS.with(|cell| cell.borrow().clone())
    }

    /// Keeps the progress for the page at once and writes it to IndexedDB in its own transaction.
    pub fn save(&self) {
        let mut saved = self.clone();
        saved.revision = SAVED_LESSONS.with(|cell| cell.borrow().revision) + 1;
        SAVED_LESSONS.with(|cell| *cell.borrow_mut() = saved.clone());
        let Ok(bytes) = serde_json::to_vec(&saved) else { return };
        if let (Some(storage), Ok(text)) = (local_storage(), std::str::from_utf8(&bytes)) {
            let _ = storage.set_item(PROGRESS_KEY, text);
        }
        wasm_bindgen_futures::spawn_local(async move {
            let written = async {
                let store = IdbStore::open(PROGRESS_STORE).await?;
                let result =
                    store.apply(&[crate::storage::RecordChange::Put { key: PROGRESS_KEY.into(), bytes }]).await;
                store.close();
                result
            };
            if let Err(error) = written.await {
                web_sys::console::warn_1(&format!("lesson progress not saved: {error}").into());
            }
        });
    }

    /// The progress of a lesson, fresh if the student never opened it.
    pub fn progress_of(&self, lesson: &crate::lessons::Lesson) -> crate::lessons::Progress {
        self.progress
            .iter()
            .find(|p| p.lesson == lesson.id)
            .cloned()
            .unwrap_or_else(|| crate::lessons::Progress::new(lesson))
    }

    pub fn remember(&mut self, progress: &crate::lessons::Progress) {
        self.progress.retain(|p| p.lesson != progress.lesson);
        self.progress.push(progress.clone());
    }
}
