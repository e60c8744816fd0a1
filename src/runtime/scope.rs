//! Lexical scopes: the names a block, a function call or the whole program declares, each pointing to its
//! enclosing scope, so closures see the variables of the code around them (JavaScript's environments).

use super::value::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A declared name's value and whether `const` forbids assigning it again.
#[derive(Clone)]
struct Slot {
    value: Value,
    constant: bool,
}

#[derive(Default)]
pub struct Scope {
    names: HashMap<String, Slot>,
    parent: Option<ScopeRef>,
    /// A function call's scope: where `this` and `arguments` live (arrow functions have none of their own).
    function: bool,
}

#[derive(Clone, Default)]
pub struct ScopeRef(pub Rc<RefCell<Scope>>);

/// What assigning to a name found.
pub enum Assigned {
    Done,
    Constant,
    Undeclared,
}

impl ScopeRef {
    pub fn global() -> Self {
        ScopeRef(Rc::new(RefCell::new(Scope { names: HashMap::new(), parent: None, function: true })))
    }

    /// A scope inside this one (a block, a loop iteration, a call).
    pub fn child(&self, function: bool) -> Self {
        ScopeRef(Rc::new(RefCell::new(Scope { names: HashMap::new(), parent: Some(self.clone()), function })))
    }

    /// Declares (or, as the REPL lets a program run again, re-declares) a name in this scope.
    pub fn declare(&self, name: &str, value: Value, constant: bool) {
        self.0.borrow_mut().names.insert(name.to_string(), Slot { value, constant });
    }

    /// The value of the nearest declaration of `name`, shared in place if it is plain data (so that two reads of a
    /// variable holding a document give the same object).
    pub fn lookup(&self, name: &str) -> Option<Value> {
        let mut current = self.clone();
        loop {
            let parent = {
                let mut scope = current.0.borrow_mut();
                if let Some(slot) = scope.names.get_mut(name) {
                    return Some(super::value::share_in_place(&mut slot.value));
                }
                scope.parent.clone()
            };
            current = parent?;
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        let mut current = self.clone();
        loop {
            let parent = {
                let scope = current.0.borrow();
                if scope.names.contains_key(name) {
                    return true;
                }
                scope.parent.clone()
            };
            match parent {
                Some(parent) => current = parent,
                None => return false,
            }
        }
    }

    /// Assigns to the nearest declaration of `name`.
    pub fn assign(&self, name: &str, value: Value) -> Assigned {
        let mut current = self.clone();
        loop {
            let parent = {
                let mut scope = current.0.borrow_mut();
                if let Some(slot) = scope.names.get_mut(name) {
                    if slot.constant {
                        return Assigned::Constant;
                    }
                    slot.value = value;
                    return Assigned::Done;
                }
                scope.parent.clone()
            };
            match parent {
                Some(parent) => current = parent,
                None => return Assigned::Undeclared,
            }
        }
    }

    /// Whether the nearest declaration of `name` holds a string (without copying it).
    pub fn holds_string(&self, name: &str) -> bool {
        let mut current = self.clone();
        loop {
            let parent = {
                let scope = current.0.borrow();
                if let Some(slot) = scope.names.get(name) {
                    return matches!(slot.value, Value::Data(bson::Bson::String(_)));
                }
                scope.parent.clone()
            };
            match parent {
                Some(parent) => current = parent,
                None => return false,
            }
        }
    }

    /// `name += text` in place when `name` holds a string (a loop building a string stays linear, not quadratic);
    /// `None` when it holds something else or is not declared.
    pub fn append_to_string(&self, name: &str, text: &str, limit: usize) -> Option<Result<Assigned, usize>> {
        let mut current = self.clone();
        loop {
            let parent = {
                let mut scope = current.0.borrow_mut();
                if let Some(slot) = scope.names.get_mut(name) {
                    let Value::Data(bson::Bson::String(existing)) = &mut slot.value else { return None };
                    if slot.constant {
                        return Some(Ok(Assigned::Constant));
                    }
                    if existing.len() + text.len() > limit {
                        return Some(Err(existing.len() + text.len()));
                    }
                    existing.push_str(text);
                    return Some(Ok(Assigned::Done));
                }
                scope.parent.clone()
            };
            current = parent?;
        }
    }

    /// The nearest function scope (where `var` declarations go).
    pub fn function_scope(&self) -> ScopeRef {
        let mut current = self.clone();
        loop {
            let parent = {
                let scope = current.0.borrow();
                if scope.function {
                    return current.clone();
                }
                scope.parent.clone()
            };
            match parent {
                Some(parent) => current = parent,
                None => return current,
            }
        }
    }

    /// Removes a name from this scope only.
    pub fn remove(&self, name: &str) {
        self.0.borrow_mut().names.remove(name);
    }

    /// The names declared in this scope only.
    pub fn own_names(&self) -> Vec<String> {
        self.0.borrow().names.keys().cloned().collect()
    }

    /// The value of a name declared in this scope only, without sharing it.
    pub fn own(&self, name: &str) -> Option<Value> {
        self.0.borrow().names.get(name).map(|slot| slot.value.clone())
    }

    /// Every name visible from here, innermost first (for "did you mean").
    pub fn visible_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut current = Some(self.clone());
        while let Some(scope) = current {
            let borrowed = scope.0.borrow();
            names.extend(borrowed.names.keys().cloned());
            current = borrowed.parent.clone();
        }
        names
    }
}
