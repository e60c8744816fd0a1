//! The browser's side of persistence: one IndexedDB database per world, loaded once at start-up, one transaction per
//! Run; the program's declarations in localStorage; a BroadcastChannel telling other tabs that data changed.

use crate::lab::{Lab, WorldStores};
use crate::playground::Side;
use crate::storage::indexeddb::IdbStore;
use crate::storage::memory::MemoryStore;
use crate::storage::{RecordChange, StorageError, Store};
use gloo_storage::{LocalStorage, Storage};
use std::cell::Cell;

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

/// Where a world of this page persists: IndexedDB, or memory when the browser offers no IndexedDB (a private
/// window of some browsers), so the page still works and says that nothing is saved.
pub enum PageStore {
    IndexedDb(IdbStore),
    Memory(MemoryStore),
}

impl Store for PageStore {
    async fn apply_batch(&mut self, batch: &[RecordChange]) -> Result<(), StorageError> {
        match self {
            PageStore::IndexedDb(store) => store.apply(batch).await,
            PageStore::Memory(store) => store.apply(batch),
        }
    }

    async fn records(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        match self {
            PageStore::IndexedDb(store) => store.load_all().await,
            PageStore::Memory(store) => Ok(store.load_all()),
        }
    }
}

/// The lab as this page runs it.
pub type PageLab = Lab<PageStore>;

/// The names of the current space's two IndexedDB databases, raw world first.
pub fn store_names() -> [String; 2] {
    [store_name(Side::Raw), store_name(Side::Mongoose)]
}

/// Opens the current space's two IndexedDB databases.
pub async fn open_stores() -> Result<WorldStores<PageStore>, StorageError> {
    let raw = IdbStore::open(&store_name(Side::Raw)).await?;
    let mongoose = IdbStore::open(&store_name(Side::Mongoose)).await?;
    Ok(WorldStores { raw: PageStore::IndexedDb(raw), mongoose: PageStore::IndexedDb(mongoose) })
}

/// Stores that keep nothing past the page, for a browser without IndexedDB.
pub fn memory_stores() -> WorldStores<PageStore> {
    WorldStores { raw: PageStore::Memory(MemoryStore::new()), mongoose: PageStore::Memory(MemoryStore::new()) }
}

const PRELUDE_KEY: &str = "crudlab.prelude";
const EDITOR_KEY: &str = "crudlab.editor";

/// A text kept in localStorage. gloo-storage keeps values as JSON; a plain text saved by an earlier version of
/// crudlab (before the values were JSON) is still read, so no student loses the editor's text in an update.
fn read_text(key: &str) -> Option<String> {
    LocalStorage::get::<String>(key).ok().or_else(|| LocalStorage::raw().get_item(key).ok().flatten())
}

/// The program's declarations saved by the last session (schemas, models, functions).
pub fn saved_prelude() -> Vec<String> {
    LocalStorage::get::<Vec<String>>(keyed(PRELUDE_KEY)).unwrap_or_default()
}

pub fn save_prelude(prelude: &[String]) {
    let _ = LocalStorage::set(keyed(PRELUDE_KEY), prelude);
}

/// The editor's text, so a reload keeps what the student was typing.
pub fn saved_editor() -> Option<String> {
    read_text(&keyed(EDITOR_KEY))
}

pub fn save_editor(text: &str) {
    let _ = LocalStorage::set(keyed(EDITOR_KEY), text);
}

/// The seed of `?deterministic` ObjectIds, one more on every page load so reloads never reuse an id.
pub fn next_deterministic_seed() -> u64 {
    const SEED_KEY: &str = "crudlab.seed";
    let seed = read_text(SEED_KEY).and_then(|text| text.parse::<u64>().ok()).unwrap_or(0) + 1;
    let _ = LocalStorage::set(SEED_KEY, seed.to_string());
    seed
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
    let dark = read_text(THEME_KEY).as_deref() == Some("dark");
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
    let _ = LocalStorage::set(THEME_KEY, if dark { "dark" } else { "light" });
}

const PROGRESS_KEY: &str = "crudlab.lessons";

pub use crate::lab::lessons::SavedLessons;

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
    let mirrored: SavedLessons = LocalStorage::get(PROGRESS_KEY).unwrap_or_default();
    let newest = if mirrored.revision > stored.revision { mirrored } else { stored };
    SAVED_LESSONS.with(|cell| *cell.borrow_mut() = newest);
    Ok(())
}

/// The lesson progress as the page last read or saved it.
pub fn saved_lessons() -> SavedLessons {
    SAVED_LESSONS.with(|cell| cell.borrow().clone())
}

/// Keeps the progress for the page at once (and in localStorage, synchronously, in case the page reloads) and
/// writes it to IndexedDB in its own transaction.
pub fn save_lessons(saved: &SavedLessons) {
    let mut saved = saved.clone();
    saved.revision = SAVED_LESSONS.with(|cell| cell.borrow().revision) + 1;
    SAVED_LESSONS.with(|cell| *cell.borrow_mut() = saved.clone());
    let _ = LocalStorage::set(PROGRESS_KEY, &saved);
    let Ok(bytes) = serde_json::to_vec(&saved) else { return };
    wasm_bindgen_futures::spawn_local(async move {
        let written = async {
            let store = IdbStore::open(PROGRESS_STORE).await?;
            let result = store.apply(&[crate::storage::RecordChange::Put { key: PROGRESS_KEY.into(), bytes }]).await;
            store.close();
            result
        };
        if let Err(error) = written.await {
            gloo_console::warn!(format!("lesson progress not saved: {error}"));
        }
    });
}
