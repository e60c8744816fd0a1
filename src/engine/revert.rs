//! Undoing a call's changes: rolls memory back when storage refuses a write, and powers undo in the playground.

use super::changes::{Change, ChangeSet};
use super::database::Cluster;
use super::error::MongoResult;

/// Applies the inverse of `changes`, newest first, so the cluster is as it was before the call.
pub fn revert(cluster: &mut Cluster, changes: &ChangeSet) -> MongoResult<()> {
    for (database, collection, change) in changes.entries.iter().rev() {
        let (db, _) = cluster.database_mut(database)?;
        let (coll, _) = db.collection_mut(collection)?;
        match change {
            Change::Inserted { record, .. } => {
                coll.remove_record(*record);
            }
            Change::Updated { record, before, .. } => coll.restore_record(*record, before.clone())?,
            Change::Deleted { record, doc } => coll.restore_record(*record, doc.clone())?,
            Change::IndexCreated { name, .. } => {
                coll.drop_index(name)?;
            }
            Change::IndexDropped { name, keys, options } => {
                coll.create_index_with(keys, options, Some(name))?;
            }
        }
    }
    for (database, collection, created) in changes.collections.iter().rev() {
        let (db, _) = cluster.database_mut(database)?;
        if *created {
            db.drop_collection(collection);
        } else {
            db.collection_mut(collection)?;
        }
    }
    Ok(())
}

/// Re-applies `changes` (redo after an undo).
pub fn reapply(cluster: &mut Cluster, changes: &ChangeSet) -> MongoResult<()> {
    for (database, collection, created) in &changes.collections {
        let (db, _) = cluster.database_mut(database)?;
        if *created {
            db.collection_mut(collection)?;
        }
    }
    for (database, collection, change) in &changes.entries {
        let (db, _) = cluster.database_mut(database)?;
        let (coll, _) = db.collection_mut(collection)?;
        match change {
            Change::Inserted { record, doc } => coll.restore_record(*record, doc.clone())?,
            Change::Updated { record, after, .. } => coll.restore_record(*record, after.clone())?,
            Change::Deleted { record, .. } => {
                coll.remove_record(*record);
            }
            Change::IndexCreated { name, keys, options } => {
                coll.create_index_with(keys, options, Some(name))?;
            }
            Change::IndexDropped { name, .. } => {
                coll.drop_index(name)?;
            }
        }
    }
    for (database, collection, created) in &changes.collections {
        let (db, _) = cluster.database_mut(database)?;
        if !*created {
            db.drop_collection(collection);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::generator::Generator;
    use bson::doc;

    fn snapshot(cluster: &Cluster) -> Vec<(String, Vec<bson::Document>, usize)> {
        cluster
            .databases()
            .flat_map(|db| {
                db.collections()
                    .map(|c| (c.namespace().to_string(), c.documents().cloned().collect(), c.indexes().len()))
            })
            .collect()
    }

    #[test]
    fn revert_then_reapply_round_trips() {
        let mut cluster = Cluster::new(Generator::deterministic(1));
        let mut first = ChangeSet::default();
        {
            let (db, generator) = cluster.database_mut("shop").unwrap();
            let (users, created) = db.collection_mut("users").unwrap();
            assert!(created);
            first.collections.push(("shop".into(), "users".into(), true));
            let (_, changes) = users.insert_one(doc! {"_id": 1, "name": "ada"}, generator).unwrap();
            first.push_all("shop", "users", changes);
        }
        let before = snapshot(&cluster);
        let mut second = ChangeSet::default();
        {
            let (db, generator) = cluster.database_mut("shop").unwrap();
            let (users, _) = db.collection_mut("users").unwrap();
            let (_, c1) = users.insert_one(doc! {"_id": 2, "name": "alan"}, generator).unwrap();
            let (_, c2) = users.create_index(&doc! {"name": 1}, true, None).unwrap();
            let (_, c3) = users.delete(&doc! {"_id": 1}, false).unwrap();
            second.push_all("shop", "users", c1);
            second.push_all("shop", "users", c2);
            second.push_all("shop", "users", c3);
        }
        let after = snapshot(&cluster);
        revert(&mut cluster, &second).unwrap();
        assert_eq!(snapshot(&cluster), before);
        reapply(&mut cluster, &second).unwrap();
        assert_eq!(snapshot(&cluster), after);
        revert(&mut cluster, &second).unwrap();
        revert(&mut cluster, &first).unwrap();
        assert!(cluster.database_names().is_empty());
    }
}
