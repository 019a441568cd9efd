//! The GA4GH Data Use Ontology terms (`data/duo.csv`, CC BY 4.0, "Data Use Ontology, GA4GH / EBISPOT"), so
//! that people are shown what a purpose means, not its code.

use std::{collections::BTreeMap, sync::OnceLock};

/// One DUO term.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DuoTerm {
    /// `DUO:0000042`.
    pub id: String,
    /// `GRU` (empty for the two abstract parent terms).
    pub shorthand: String,
    /// `general research use`.
    pub label: String,
    /// The ontology's definition.
    pub description: String,
}

impl DuoTerm {
    /// Whether the term is a data use permission (the first term of a purpose) rather than a modifier.
    pub fn is_permission(&self) -> bool {
        self.description.starts_with("This data use permission")
    }
}

const CSV: &str = include_str!("../data/duo.csv");

fn table() -> &'static BTreeMap<u16, DuoTerm> {
    static TABLE: OnceLock<BTreeMap<u16, DuoTerm>> = OnceLock::new();
    TABLE.get_or_init(|| {
        csv::Reader::from_reader(CSV.as_bytes())
            .deserialize::<DuoTerm>()
            .map(|row| {
                let term = row.expect("data/duo.csv is well-formed (checked by tests)");
                (number(&term), term)
            })
            .collect()
    })
}

/// A term's number (`42` for DUO:0000042).
pub fn number(term: &DuoTerm) -> u16 {
    term.id
        .trim_start_matches("DUO:")
        .parse()
        .expect("DUO ids are numeric (checked by tests)")
}

/// The term with number `number` (`42` for DUO:0000042), if DUO defines it.
pub fn term(number: u16) -> Option<&'static DuoTerm> {
    table().get(&number)
}

/// Every known term, by number.
pub fn terms() -> impl Iterator<Item = &'static DuoTerm> {
    table().values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_reads_every_row() {
        assert_eq!(terms().count(), 25);
        let gru = term(42).unwrap();
        assert_eq!(
            (gru.shorthand.as_str(), gru.label.as_str()),
            ("GRU", "general research use")
        );
        assert!(gru.is_permission());
        let npuncu = term(18).unwrap();
        assert_eq!(npuncu.label, "not for profit, non commercial use only");
        assert!(!npuncu.is_permission());
        assert!(term(9999).is_none());
    }
}
