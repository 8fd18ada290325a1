//! Interned label and edge-type names: each distinct name gets a small id.
//! Reads are lock-free (an `ArcSwap` of the table); adding a name copies it,
//! which is fine for the few names a graph has.

use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One version of a [`Names`] set (see [`Names::table`]).
#[derive(Default, Clone)]
pub(crate) struct Table {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

/// A set of names with dense ids; id 0 is the empty name (no label / no type).
pub(crate) struct Names {
    table: ArcSwap<Table>,
    grow: Mutex<()>,
}

impl Default for Names {
    fn default() -> Self {
        let mut t = Table::default();
        t.ids.insert(String::new(), 0);
        t.names.push(String::new());
        Names { table: ArcSwap::from_pointee(t), grow: Mutex::new(()) }
    }
}

impl Names {
    /// The id of `name`, adding it if new; `None` is id 0.
    pub fn intern(&self, name: Option<&str>) -> u32 {
        let name = name.unwrap_or("");
        if name.is_empty() {
            return 0;
        }
        if let Some(&id) = self.table.load().ids.get(name) {
            return id;
        }
        let _g = self.grow.lock().unwrap_or_else(|e| e.into_inner());
        let mut t = Table::clone(&self.table.load());
        if let Some(&id) = t.ids.get(name) {
            return id;
        }
        let id = t.names.len() as u32;
        t.ids.insert(name.to_owned(), id);
        t.names.push(name.to_owned());
        self.table.store(Arc::new(t));
        id
    }

    /// The id of `name` if known; `None` is id 0.
    pub fn find(&self, name: Option<&str>) -> Option<u32> {
        if name.is_none_or(str::is_empty) {
            return Some(0);
        }
        self.table.load().ids.get(name.unwrap_or("")).copied()
    }

    /// The name of `id` (empty for id 0), if known.
    pub fn name(&self, id: u32) -> Option<String> {
        self.table.load().names.get(id as usize).cloned()
    }

    /// The current names, for many lookups without a copy of each.
    pub fn table(&self) -> Arc<Table> {
        self.table.load_full()
    }
}

impl Table {
    /// The name of `id` (empty for id 0), if known.
    pub fn get(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }
}
