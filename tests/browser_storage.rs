//! Browser tests of the IndexedDB backend, run by wasm-bindgen-test in headless Chromium.
#![cfg(target_arch = "wasm32")]

use crudlab::storage::indexeddb::IdbStore;
use crudlab::storage::RecordChange;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_record_survives_close_and_reopen() {
    let name = "crudlab-test-reopen";
    let store = IdbStore::open(name).await.expect("open");
    let bytes = bson::doc! {"_id": 1, "username": "ada"}.to_vec().expect("encode");
    store.apply(&[RecordChange::Put { key: "shop/users/1".into(), bytes: bytes.clone() }]).await.expect("write");
    store.close();

    let reopened = IdbStore::open(name).await.expect("reopen");
    let read = reopened.get("shop/users/1").await.expect("read");
    assert_eq!(read, Some(bytes));
    assert_eq!(reopened.get("shop/users/2").await.expect("read missing"), None);
    reopened.close();
}

#[wasm_bindgen_test]
async fn a_batch_with_a_delete_is_one_transaction() {
    let store = IdbStore::open("crudlab-test-batch").await.expect("open");
    store
        .apply(&[
            RecordChange::Put { key: "a".into(), bytes: vec![1] },
            RecordChange::Put { key: "b".into(), bytes: vec![2] },
            RecordChange::Delete { key: "a".into() },
        ])
        .await
        .expect("batch");
    assert_eq!(store.get("a").await.expect("read a"), None);
    assert_eq!(store.get("b").await.expect("read b"), Some(vec![2]));
    store.close();
}
