//! The statement a world is running right now, kept for the crash banner's bug report: if the page ever panics,
//! the report names the statement that was running. Read with `try_borrow`, so a panic that happens while it is
//! being written cannot cause a second one.

use std::cell::RefCell;

thread_local! {
    static RUNNING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records `text` as the running statement until the returned guard is dropped.
pub fn running(text: &str) -> Running {
    RUNNING.with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(text.to_string());
        }
    });
    Running(())
}

/// Clears the running statement when the statement is over.
pub struct Running(());

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = None;
            }
        });
    }
}

/// The statement running now, if any (None also when it cannot be read without risk).
pub fn running_statement() -> Option<String> {
    RUNNING.try_with(|slot| slot.try_borrow().ok().and_then(|s| s.clone())).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_is_known_while_it_runs_and_forgotten_after() {
        assert_eq!(running_statement(), None);
        {
            let _guard = running("db.users.find()");
            assert_eq!(running_statement().as_deref(), Some("db.users.find()"));
        }
        assert_eq!(running_statement(), None);
    }
}
