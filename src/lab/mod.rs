//! The lab: both worlds (the playground) with their two stores, and every user action on them — Run, Undo, Redo,
//! Import, Reset, Restart server, a write announced by another tab, and the lesson actions (`lessons.rs`) — in
//! plain Rust, generic over the
//! [`Store`] trait, so each action is tested natively with the in-memory store (including one that refuses the
//! next batch) and runs unchanged on IndexedDB in the browser.
//!
//! Every write goes through [`persist_or_roll_back`], one batch (one transaction) per world, computed from the
//! action's change set: after any failure memory equals disk again, and the undo and redo stacks describe memory.
//! An action returns what it did and the notices to show; `web/` only renders them.

use crate::engine::changes::ChangeSet;
use crate::engine::database::Cluster;
use crate::engine::generator::Generator;
use crate::playground::{DatabaseAccess, Playground, RestartLog, RunOutcome, Side};
use crate::shell::error::ParseError;
use crate::storage::{clear, load_cluster, persist_or_roll_back, StorageError, Store};

/// How a notice reads: information, something to look at, or a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Warning,
    Error,
}

/// One line of the notice strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Self {
        Self { kind: NoticeKind::Info, text: text.into() }
    }
    pub fn warning(text: impl Into<String>) -> Self {
        Self { kind: NoticeKind::Warning, text: text.into() }
    }
    pub fn error(text: impl Into<String>) -> Self {
        Self { kind: NoticeKind::Error, text: text.into() }
    }
}

/// What an action did: the notices to show, and whether it wrote to storage (other tabs are then told).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    pub notices: Vec<Notice>,
    pub wrote: bool,
}

/// The two worlds' stores.
#[derive(Debug, Clone)]
pub struct WorldStores<S> {
    pub raw: S,
    pub mongoose: S,
}

impl<S> WorldStores<S> {
    pub fn get(&self, side: Side) -> &S {
        match side {
            Side::Raw => &self.raw,
            Side::Mongoose => &self.mongoose,
        }
    }

    pub fn get_mut(&mut self, side: Side) -> &mut S {
        match side {
            Side::Raw => &mut self.raw,
            Side::Mongoose => &mut self.mongoose,
        }
    }
}

/// The lab: the playground and the stores its worlds persist to. `names` are the stores' names, for messages.
pub struct Lab<S: Store> {
    playground: Playground,
    stores: WorldStores<S>,
    names: [String; 2],
    deterministic: bool,
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Raw => 0,
        Side::Mongoose => 1,
    }
}

impl<S: Store> Lab<S> {
    /// Loads both worlds from their stores (records that do not load are reported and skipped) and replays the
    /// program's saved declarations. Fails only when a store cannot be read at all.
    pub async fn open(
        mut stores: WorldStores<S>,
        names: [String; 2],
        generator: Generator,
        prelude: &[String],
    ) -> Result<(Self, Vec<Notice>), StorageError> {
        let (raw, mongoose, problems) = load_both(&mut stores, &names, &generator).await?;
        let deterministic = generator.is_deterministic();
        let mut playground = Playground::from_clusters(raw, mongoose, deterministic);
        playground.replay_prelude(prelude);
        Ok((Self { playground, stores, names, deterministic }, problems))
    }

    /// A lab over worlds built in memory (a lesson's seed): every collection is written to the emptied stores first.
    pub async fn replace(
        mut stores: WorldStores<S>,
        names: [String; 2],
        playground: Playground,
    ) -> Result<Self, StorageError> {
        for side in Side::BOTH {
            let store = stores.get_mut(side);
            clear(store).await?;
            store.apply_batch(&crate::storage::codec::records_of(&playground.world(side).cluster)).await?;
        }
        let deterministic = playground.world(Side::Raw).cluster.generator.is_deterministic();
        Ok(Self { playground, stores, names, deterministic })
    }

    pub fn playground(&self) -> &Playground {
        &self.playground
    }

    /// For reads and checks that do not write (completion, explain, lesson checks, switches).
    pub fn playground_mut(&mut self) -> &mut Playground {
        &mut self.playground
    }

    pub fn stores(&self) -> &WorldStores<S> {
        &self.stores
    }

    pub fn store_name(&self, side: Side) -> &str {
        &self.names[side_index(side)]
    }

    /// Persists one world's change set, or rolls memory back to what the store holds; says which on failure.
    async fn persist(&mut self, side: Side, changes: &ChangeSet, failure: &str) -> Result<bool, Notice> {
        if changes.is_empty() {
            return Ok(false);
        }
        let cluster = &mut self.playground.world_mut(side).cluster;
        match persist_or_roll_back(self.stores.get_mut(side), cluster, changes).await {
            Ok(()) => Ok(true),
            Err(error) => Err(Notice::error(format!("{}: {error}. {failure}", self.names[side_index(side)]))),
        }
    }

    /// Persists each world's change set; a world whose write is refused is rolled back in memory
    /// ([`persist_or_roll_back`]), `refused` then mends that world's history, and a notice says what happened.
    async fn persist_both(
        &mut self,
        changes: [(Side, &ChangeSet); 2],
        failure: &str,
        refused: impl Fn(&mut Playground, Side, &ChangeSet),
    ) -> Done {
        let mut done = Done::default();
        for (side, changes) in changes {
            match self.persist(side, changes, failure).await {
                Ok(wrote) => done.wrote |= wrote,
                Err(notice) => {
                    refused(&mut self.playground, side, changes);
                    done.notices.push(notice);
                }
            }
        }
        done
    }

    /// Run: the program in both worlds, then one transaction per world. A world whose transaction fails is rolled
    /// back in memory and its statements leave the undo history, so nothing is lost or half-saved.
    pub async fn run(&mut self, source: &str, access: DatabaseAccess) -> Result<(RunOutcome, Done), ParseError> {
        self.playground.access = access;
        let outcome = self.playground.run(source)?;
        let sides = [(Side::Raw, outcome.changes(Side::Raw)), (Side::Mongoose, outcome.changes(Side::Mongoose))];
        let done = self
            .persist_both(sides, "The change was undone in memory, so nothing is lost or half-saved.", |p, side, c| {
                p.forget_changes(side, c)
            })
            .await;
        Ok((outcome, done))
    }

    /// Undo: the last statement that changed data is reverted in both worlds and persisted. A world whose write
    /// fails keeps the statement (in memory, on disk and on the undo stack). None when there is nothing to undo.
    pub async fn undo(&mut self) -> Option<Done> {
        let (raw, mongoose) = self.playground.undo()?;
        let sides = [(Side::Raw, &raw), (Side::Mongoose, &mongoose)];
        let mut done = self
            .persist_both(sides, "Undo could not be saved: the statement stays done.", |p, side, _| {
                p.undo_refused(side)
            })
            .await;
        done.notices.push(Notice::info("Undone: the last statement's changes were reverted in both databases."));
        Some(done)
    }

    /// Redo: the last undone statement is applied again in both worlds and persisted; a refused world stays undone.
    pub async fn redo(&mut self) -> Option<Done> {
        let (raw, mongoose) = self.playground.redo()?;
        let sides = [(Side::Raw, &raw), (Side::Mongoose, &mongoose)];
        let mut done = self
            .persist_both(sides, "Redo could not be saved: the statement stays undone.", |p, side, _| {
                p.redo_refused(side)
            })
            .await;
        done.notices.push(Notice::info("Redone: the undone statement's changes are back in both databases."));
        Some(done)
    }

    /// Import: Extended JSON checked first, then applied all or nothing in one world and persisted in one
    /// transaction. Returns the plan's summary lines; on any refusal nothing changed.
    pub async fn import(&mut self, side: Side, text: &str, target: Option<(&str, &str)>) -> Result<Done, Notice> {
        let cluster = &mut self.playground.world_mut(side).cluster;
        let plan = crate::storage::exchange::plan_import(cluster, text, target)
            .map_err(|e| Notice::error(format!("Import refused, nothing changed: {e}")))?;
        let changes = crate::storage::exchange::apply_import(cluster, &plan)
            .map_err(|e| Notice::error(format!("Import refused, nothing changed: {e}")))?;
        let wrote = self.persist(side, &changes, "Import not saved, nothing changed.").await?;
        let summary = plan.summary().join("; ");
        Ok(Done { notices: vec![Notice::info(format!("Imported into {}: {summary}", self.store_name(side)))], wrote })
    }

    /// Reset: both stores emptied (one transaction each), then both worlds empty with no declarations. If a store
    /// refuses, the worlds in memory stay as they were and say what the store holds.
    pub async fn reset(&mut self, generator: Generator) -> Done {
        let mut done = Done::default();
        for side in Side::BOTH {
            if let Err(error) = clear(self.stores.get_mut(side)).await {
                done.notices.push(Notice::error(format!("Reset failed: {error}")));
                // The other store may be empty now: reload what both really hold.
                if let Ok((raw, mongoose, _)) = load_both(&mut self.stores, &self.names, &generator).await {
                    self.playground.restart(raw, mongoose);
                }
                return done;
            }
            done.wrote = true;
        }
        let empty = Cluster::new(generator);
        self.playground = Playground::from_clusters(empty.clone(), empty, self.deterministic);
        done.notices.push(Notice::info("Reset: both databases are empty and no models are declared."));
        done
    }

    /// Restart server: the variables go, the data comes back from the stores and the declarations run again.
    pub async fn restart(&mut self) -> Result<(RestartLog, Done), Notice> {
        let generator = self.playground.world(Side::Raw).cluster.generator.clone();
        let (raw, mongoose, problems) = load_both(&mut self.stores, &self.names, &generator)
            .await
            .map_err(|e| Notice::error(format!("Restart failed: {e}")))?;
        let log = self.playground.restart(raw, mongoose);
        let mut notices = vec![Notice::info("Server restarted: its memory is gone, the database kept everything.")];
        let lost = if log.lost.is_empty() { "none".to_string() } else { log.lost.join(", ") };
        notices.push(Notice::info(format!("Lost with the server's memory: variables {lost}.")));
        if !log.reinitialized.is_empty() {
            notices.push(Notice::info(format!("Set again as the program starts: {}.", log.reinitialized.join(", "))));
        }
        let back: Vec<String> = log
            .restored
            .iter()
            .filter(|(side, _, _)| *side == Side::Mongoose)
            .map(|(_, ns, n)| format!("{ns} ({n})"))
            .collect();
        notices.push(Notice::info(format!(
            "Came back from the database: {}; {} declaration(s) of your code ran again.",
            if back.is_empty() { "no collections".to_string() } else { back.join(", ") },
            log.replayed
        )));
        notices.extend(problems);
        Ok((log, Done { notices, wrote: false }))
    }

    /// Another tab wrote: reload both worlds from the stores, as after a restart, and say so.
    pub async fn reload_after_write_elsewhere(&mut self) -> Result<Done, Notice> {
        let (_, _) = self.restart().await?;
        Ok(Done {
            notices: vec![Notice::info("Another tab changed the data: reloaded it from the database.")],
            wrote: false,
        })
    }
}

/// Both worlds' clusters from their stores with `generator`, and a warning per record that did not load.
async fn load_both<S: Store>(
    stores: &mut WorldStores<S>,
    names: &[String; 2],
    generator: &Generator,
) -> Result<(Cluster, Cluster, Vec<Notice>), StorageError> {
    let mut problems = Vec::new();
    let (mut raw, raw_problems) = load_cluster(&mut stores.raw).await?;
    let (mut mongoose, mongoose_problems) = load_cluster(&mut stores.mongoose).await?;
    for (name, found) in [(&names[0], raw_problems), (&names[1], mongoose_problems)] {
        problems.extend(found.into_iter().map(|p| Notice::warning(format!("{name}: {p}"))));
    }
    raw.generator = generator.clone();
    mongoose.generator = generator.clone();
    Ok((raw, mongoose, problems))
}

pub mod lessons;

#[cfg(test)]
mod tests;
