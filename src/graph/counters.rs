//! Counters a query reports: what its writes created, deleted and set.

use super::Graph;
use crate::Value;
use crate::error::Result;

/// What a sequence of writes changed, as a query reports it. Add to it
/// through [`Counted`], or with `+=` from another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes deleted.
    pub nodes_deleted: u64,
    /// Relationships created.
    pub relationships_created: u64,
    /// Relationships deleted.
    pub relationships_deleted: u64,
    /// Properties set or removed (each write counts, as in Cypher).
    pub properties_set: u64,
    /// Labels added to a node that lacked them.
    pub labels_added: u64,
    /// Labels removed from a node that had them.
    pub labels_removed: u64,
}

impl std::ops::AddAssign for WriteStats {
    fn add_assign(&mut self, o: WriteStats) {
        self.nodes_created += o.nodes_created;
        self.nodes_deleted += o.nodes_deleted;
        self.relationships_created += o.relationships_created;
        self.relationships_deleted += o.relationships_deleted;
        self.properties_set += o.properties_set;
        self.labels_added += o.labels_added;
        self.labels_removed += o.labels_removed;
    }
}

/// The graph's writes, counting what they change into a [`WriteStats`]
/// (see [`Graph::counted`]). A failed write counts nothing.
pub struct Counted<'a> {
    graph: &'a Graph,
    /// The counters so far.
    pub stats: &'a mut WriteStats,
}

impl Graph {
    /// The graph's writes, counted into `stats`.
    pub fn counted<'a>(&'a self, stats: &'a mut WriteStats) -> Counted<'a> {
        Counted { graph: self, stats }
    }
}

impl Counted<'_> {
    /// [`Graph::add_node`] with `labels`.
    pub fn add_node(&mut self, labels: &[&str]) -> Result<u64> {
        let id = self.graph.add_node(labels.first().copied())?;
        self.stats.nodes_created += 1;
        self.stats.labels_added += u64::from(!labels.is_empty());
        for label in labels.iter().skip(1) {
            self.add_label(id, label)?;
        }
        Ok(id)
    }

    /// [`Graph::remove_node`].
    pub fn remove_node(&mut self, id: u64) -> Result<()> {
        self.graph.remove_node(id)?;
        self.stats.nodes_deleted += 1;
        Ok(())
    }

    /// [`Graph::add_label`].
    pub fn add_label(&mut self, id: u64, label: &str) -> Result<bool> {
        let added = self.graph.add_label(id, label)?;
        self.stats.labels_added += u64::from(added);
        Ok(added)
    }

    /// [`Graph::remove_label`].
    pub fn remove_label(&mut self, id: u64, label: &str) -> Result<bool> {
        let removed = self.graph.remove_label(id, label)?;
        self.stats.labels_removed += u64::from(removed);
        Ok(removed)
    }

    /// [`Graph::set_property_value`] (null removes it, and counts).
    pub fn set_property(&mut self, id: u64, name: &str, value: Value) -> Result<()> {
        self.graph.set_property_value(id, name, value)?;
        self.stats.properties_set += 1;
        Ok(())
    }

    /// [`Graph::set_rel_property`].
    pub fn set_rel_property(&mut self, rel: u64, name: &str, value: Value) -> Result<()> {
        self.graph.set_rel_property(rel, name, value)?;
        self.stats.properties_set += 1;
        Ok(())
    }

    /// [`Graph::add_edge`]: a created relationship unless the edge existed
    /// just before (then only its weight changes).
    pub fn add_edge(&mut self, src: u64, dst: u64, edge_type: Option<&str>, weight: f64) -> Result<()> {
        let existed =
            self.graph.snapshot().neighbors(src, crate::Direction::Out, edge_type).is_ok_and(|n| n.contains(&dst));
        self.graph.add_edge(src, dst, edge_type, weight)?;
        self.stats.relationships_created += u64::from(!existed);
        Ok(())
    }

    /// [`Graph::create_relationship`].
    pub fn create_relationship(&mut self, src: u64, dst: u64, rel_type: Option<&str>, weight: f64) -> Result<u64> {
        let id = self.graph.create_relationship(src, dst, rel_type, weight)?;
        self.stats.relationships_created += 1;
        Ok(id)
    }

    /// [`Graph::create_relationship_with`]: the relationship and each property.
    pub fn create_relationship_with(
        &mut self,
        src: u64,
        dst: u64,
        rel_type: Option<&str>,
        weight: f64,
        properties: &[(&str, Value)],
    ) -> Result<u64> {
        let id = self.graph.create_relationship_with(src, dst, rel_type, weight, properties)?;
        self.stats.relationships_created += 1;
        self.stats.properties_set += properties.len() as u64;
        Ok(id)
    }

    /// [`Graph::remove_relationship`].
    pub fn remove_relationship(&mut self, id: u64) -> Result<()> {
        self.graph.remove_relationship(id)?;
        self.stats.relationships_deleted += 1;
        Ok(())
    }

    /// [`Batch::commit`](super::Batch::commit), counting everything the batch changed.
    pub fn commit(&mut self, batch: super::Batch) -> Result<()> {
        batch.commit_counted(self.stats)
    }

    /// [`Graph::remove_edge`], counted as a deleted relationship.
    pub fn remove_edge(&mut self, src: u64, dst: u64, edge_type: Option<&str>) -> Result<()> {
        self.graph.remove_edge(src, dst, edge_type)?;
        self.stats.relationships_deleted += 1;
        Ok(())
    }
}
