//! crudlab: a MongoDB-like document store and a Mongoose-like schema layer, for teaching databases in the browser.

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod clock;
pub mod conformance;
pub mod dataset;
pub mod engine;
pub mod js;
pub mod lab;
pub mod lessons;
pub mod playground;
pub mod runtime;
pub mod schema;
pub mod shell;
pub mod storage;
#[cfg(target_arch = "wasm32")]
pub mod web;
