//! How much memory a blocking stage (`$group`, `$sort`, `$facet`) holds, measured approximately by BSON size, and
//! MongoDB's errors once a stage needs more than its limit (100 MB unless the options say otherwise). crudlab also
//! holds every stage's output in memory (MongoDB streams it), so a stage that reshapes or multiplies documents
//! (`$project`, `$unwind`, `$lookup`, ...) may grow them by at most that limit too.

use crate::engine::error::{ErrorCode, MongoError, MongoResult};

/// Which stage's words an exceeded limit is reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// `$group` and the stages built on it (`$bucket`, `$sortByCount`, `$count`).
    Group,
    Sort,
    Facet,
    /// A stage that maps documents; its name.
    Output(&'static str),
}

/// The bytes one stage holds so far.
#[derive(Debug)]
pub(crate) struct Memory {
    holder: Holder,
    used: usize,
    limit: usize,
}

impl Memory {
    pub(crate) fn new(holder: Holder, limit: usize) -> Memory {
        Memory { holder, used: 0, limit }
    }

    /// The output of a mapping stage: its input's size plus `limit` more.
    pub(crate) fn output(stage: &'static str, input: &super::Docs<'_>, limit: usize) -> Memory {
        let input_size = input.iter().map(super::size_of).fold(0usize, usize::saturating_add);
        Memory::new(Holder::Output(stage), input_size.saturating_add(limit))
    }

    /// The bytes counted so far.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// Counts one output document.
    pub(crate) fn add_document(&mut self, document: &bson::Document) -> MongoResult<()> {
        self.add(crate::engine::limits::bson_size(document))
    }

    /// Counts `bytes` more, failing with MongoDB's message once the total passes the limit.
    pub(crate) fn add(&mut self, bytes: usize) -> MongoResult<()> {
        self.used = self.used.saturating_add(bytes);
        if self.used <= self.limit {
            return Ok(());
        }
        Err(match self.holder {
            Holder::Group => MongoError::new(
                ErrorCode::QueryExceededMemoryLimitNoDiskUseAllowed,
                "Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in.",
            ),
            Holder::Sort => MongoError::new(
                ErrorCode::QueryExceededMemoryLimitNoDiskUseAllowed,
                format!("Sort exceeded memory limit of {} bytes, but did not opt in to external sorting.", self.limit),
            ),
            Holder::Facet => MongoError::new(
                ErrorCode::Location(4031700),
                format!("document constructed by $facet is {} bytes, which exceeds the limit of {} bytes", self.used, self.limit),
            ),
            Holder::Output(stage) => MongoError::new(
                ErrorCode::ExceededMemoryLimit,
                format!("Exceeded memory limit for {stage}: its documents are more than {} bytes", self.limit),
            ),
        }
        .with_hint("crudlab keeps every stage in memory, with MongoDB's 100 MB per $group, $sort and $facet; filter with $match (or $project fewer fields) before this stage."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_holder_speaks_mongodbs_words() {
        let over = |holder| Memory::new(holder, 10).add(11).unwrap_err();
        assert_eq!(over(Holder::Group).code.number(), 292);
        assert_eq!(
            over(Holder::Sort).message,
            "Sort exceeded memory limit of 10 bytes, but did not opt in to external sorting."
        );
        assert_eq!(
            over(Holder::Facet).message,
            "document constructed by $facet is 11 bytes, which exceeds the limit of 10 bytes"
        );
        let mut memory = Memory::new(Holder::Group, 10);
        assert!(memory.add(4).is_ok() && memory.add(6).is_ok() && memory.add(1).is_err());
    }
}
