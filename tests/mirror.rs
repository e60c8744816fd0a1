//! Data-driven tests of mirroring: every model call has a driver equivalent (what the schemaless pane runs) and every
//! driver call on a modelled collection a model equivalent (what the Mongoose pane runs).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use crudlab::engine::generator::Generator;
use crudlab::runtime::{Mode, World};

const MODEL: &str = r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: String, age: Number, tags: [String] }))"#;

fn world(mode: Mode) -> World {
    let mut world = World::new(mode, Generator::deterministic(1));
    world.run_source(MODEL).unwrap();
    world
}

/// The text of the first call the statement made in `mode`: for the schemaless world, the driver call it sent; for
/// the Mongoose world, the model call it ran instead of the written driver call.
fn mirror(mode: Mode, statement: &str) -> String {
    let mut world = world(mode);
    let reports = world.run_source(statement).unwrap();
    let call = reports[0].calls.first().unwrap_or_else(|| panic!("{statement} made no call"));
    match mode {
        Mode::Schemaless => call.sent.first().map(ToString::to_string).unwrap_or_default(),
        _ => call.ran.to_string(),
    }
}

#[test]
fn model_calls_become_driver_calls() {
    let cases = [
        (
            "User.create({ username: 'ada' })",
            "db.users.insertOne({ _id: ObjectId('659200800000000001000001'), username: 'ada' })",
        ),
        ("User.insertMany([{ a: 1 }])", "db.users.insertMany([ { _id: ObjectId('659200800000000001000001'), a: 1 } ])"),
        (
            "User.find({ age: { $gt: 18 } }).sort('-age').limit(2)",
            "db.users.find({ age: { $gt: 18 } }).sort({ age: -1 }).limit(2)",
        ),
        ("User.find({}).select('username -_id')", "db.users.find({}, { username: 1, _id: 0 })"),
        ("User.findOne({ username: 'ada' })", "db.users.findOne({ username: 'ada' })"),
        ("User.findById('659200800000000001000001')", "db.users.findOne({ _id: '659200800000000001000001' })"),
        ("User.findOne({}).sort({ age: 1 })", "db.users.find({}).sort({ age: 1 }).limit(1)"),
        ("User.countDocuments({ age: 3 })", "db.users.countDocuments({ age: 3 })"),
        ("User.exists({ username: 'ada' })", "db.users.findOne({ username: 'ada' }, { _id: 1 })"),
        (
            "User.updateOne({ username: 'ada' }, { $set: { age: 1 } })",
            "db.users.updateOne({ username: 'ada' }, { $set: { age: 1 } })",
        ),
        ("User.updateMany({}, { age: 1 })", "db.users.updateMany({}, { age: 1 })"),
        (
            "User.findOneAndUpdate({ username: 'ada' }, { $inc: { age: 1 } }, { new: true })",
            "db.users.findOneAndUpdate({ username: 'ada' }, { $inc: { age: 1 } }, { returnDocument: 'after' })",
        ),
        ("User.findByIdAndDelete('x')", "db.users.findOneAndDelete({ _id: 'x' })"),
        ("User.deleteMany({})", "db.users.deleteMany({})"),
        ("User.distinct('tags')", "db.users.distinct('tags')"),
        ("User.estimatedDocumentCount()", "db.users.estimatedDocumentCount()"),
        (
            "User.aggregate([{ $match: { age: 3 } }]).sort('-age').limit(1)",
            "db.users.aggregate([ { $match: { age: 3 } }, { $sort: { age: -1 } }, { $limit: 1 } ])",
        ),
        (
            "User.aggregate().unwind('tags').sortByCount('tags')",
            "db.users.aggregate([ { $unwind: '$tags' }, { $sortByCount: '$tags' } ])",
        ),
        ("User.aggregate().match({}).explain()", "db.users.aggregate([ { $match: {} } ]).explain()"),
    ];
    for (model_call, driver_call) in cases {
        assert_eq!(mirror(Mode::Schemaless, model_call), driver_call, "{model_call}");
    }
}

#[test]
fn driver_calls_on_modelled_collections_become_model_calls() {
    let cases = [
        ("db.users.insertOne({ username: 'ada' })", "User.create({ username: 'ada' })"),
        ("db.users.insertMany([{ a: 1 }])", "User.insertMany([ { a: 1 } ])"),
        ("db.users.find({ age: 3 }, { username: 1 })", "User.find({ age: 3 }, { username: 1 })"),
        ("db.users.find({}).sort({ age: -1 }).limit(3)", "User.find({}).sort({ age: -1 }).limit(3)"),
        ("db.users.findOne({ username: 'ada' })", "User.findOne({ username: 'ada' })"),
        (
            "db.users.updateOne({ username: 'ada' }, { $set: { age: 2 } })",
            "User.updateOne({ username: 'ada' }, { $set: { age: 2 } })",
        ),
        (
            "db.users.findOneAndUpdate({}, { $set: { age: 2 } }, { returnDocument: 'after' })",
            "User.findOneAndUpdate({}, { $set: { age: 2 } }, { new: true })",
        ),
        ("db.users.deleteOne({ age: 2 })", "User.deleteOne({ age: 2 })"),
        ("db.users.countDocuments({})", "User.countDocuments({})"),
        ("db.users.distinct('age', {})", "User.distinct('age')"),
        ("db.users.aggregate({ $match: { age: 2 } })", "User.aggregate([ { $match: { age: 2 } } ])"),
        ("db.users.aggregate([{ $count: 'n' }]).explain()", "User.aggregate([ { $count: 'n' } ]).explain()"),
    ];
    for (driver_call, model_call) in cases {
        assert_eq!(mirror(Mode::Mongoose, driver_call), model_call, "{driver_call}");
    }
}

#[test]
fn calls_without_a_model_equivalent_reach_the_collection_directly() {
    let mut world = world(Mode::Mongoose);
    let reports = world.run_source("db.users.createIndex({ username: 1 })").unwrap();
    let call = &reports[0].calls[0];
    let sent: Vec<String> = call.sent.iter().map(ToString::to_string).collect();
    assert_eq!(sent, vec!["db.users.createIndex({ username: 1 })".to_string()]);
    assert!(call.note.as_deref().unwrap_or_default().contains("User.collection.createIndex"));
}
