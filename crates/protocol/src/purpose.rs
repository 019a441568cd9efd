//! A purpose: one GA4GH Data Use Ontology (DUO) permission, the disease for disease-specific research, and up
//! to five modifiers, packed into the `bytes16 purpose` the registry stores: bytes 0-1 the permission's term
//! number, bytes 2-5 the disease's MONDO number (zero unless the permission is DS), bytes 6-15 the modifiers'
//! term numbers, all big-endian, zero-padded.
//!
//! `DUO:0000007/MONDO:0007254+DUO:0000046` (disease-specific research on breast cancer, non-commercial use
//! only) packs to `0x000700001c56002e0000000000000000`.
//!
//! A grant's purpose [covers](Purpose::covers) the purpose a researcher declares for a query when DUO's
//! hierarchy puts the declared permission under the granted one (no restriction > general research use >
//! health/medical/biomedical research > disease-specific research on one disease; general research use >
//! population origins or ancestry research) and the researcher declares every modifier the grant carries.

use std::{fmt, str::FromStr};

use alloy::primitives::FixedBytes;

/// How many modifiers fit in a packed purpose.
pub const MAX_MODIFIERS: usize = 5;

/// DUO:0000004, no restriction.
pub const NRES: u16 = 4;
/// DUO:0000042, general research use.
pub const GRU: u16 = 42;
/// DUO:0000006, health or medical or biomedical research.
pub const HMB: u16 = 6;
/// DUO:0000007, disease-specific research: the one permission that names a disease.
pub const DS: u16 = 7;
/// DUO:0000011, population origins or ancestry research only.
pub const POA: u16 = 11;
/// DUO:0000043, clinical care use: a modifier that widens what is allowed, so it must be granted to be declared.
pub const CC: u16 = 43;
/// DUO:0000044, population origins or ancestry research prohibited.
pub const NPOA: u16 = 44;
/// DUO:0000018, not for profit, non commercial use only: implies NPU (45) and NCU (46).
pub const NPUNCU: u16 = 18;

/// Why a purpose could not be built, parsed or unpacked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurposeError {
    /// The purpose names no term at all.
    #[error("a purpose needs a DUO permission, e.g. DUO:0000042")]
    Empty,
    /// More modifiers than fit in 16 bytes.
    #[error("a purpose holds at most {MAX_MODIFIERS} DUO modifiers, got {count}")]
    TooManyModifiers {
        /// How many modifiers were given.
        count: usize,
    },
    /// A term is neither `DUO:` and seven digits nor a DUO shorthand.
    #[error(
        "`{term}` is neither a DUO id (DUO:0000000) nor a DUO shorthand (GRU, HMB, DS, NCU, ...)"
    )]
    Malformed {
        /// The offending text.
        term: String,
    },
    /// A term number is zero or above 65535.
    #[error("DUO:{number:07} cannot be packed (term numbers run from 1 to 65535)")]
    OutOfRange {
        /// The term number.
        number: u32,
    },
    /// The same term appears twice.
    #[error("DUO:{number:07} appears more than once")]
    Duplicate {
        /// The repeated term number.
        number: u16,
    },
    /// Disease-specific research without its disease, or a disease given to another permission.
    #[error(
        "disease-specific research (DUO:0000007) names its disease, e.g. DUO:0000007/MONDO:0007254, and no          other permission does"
    )]
    Disease,
    /// A disease not written `MONDO:` followed by seven digits.
    #[error("`{text}` is not a MONDO disease id (expected MONDO:0000000 form)")]
    MalformedDisease {
        /// The offending text.
        text: String,
    },
    /// The first term is not a DUO permission.
    #[error(
        "the first term must be a DUO permission (NRES, GRU, HMB, DS, POA), not DUO:{number:07}"
    )]
    NotAPermission {
        /// The term given first.
        number: u16,
    },
    /// A packed purpose has a modifier after a zero slot.
    #[error("packed purpose has a modifier after an empty slot")]
    Gap,
}

/// Why a grant's purpose does not cover the purpose a query declares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurposeRefused {
    /// The declared use is not one the granted permission includes.
    #[error("the grant allows {granted}; the query declares {declared}, which it does not include")]
    Permission {
        /// The granted permission, in words.
        granted: String,
        /// The declared permission, in words.
        declared: String,
    },
    /// The grant carries a condition the query does not declare.
    #[error("the grant requires {modifier}; the query does not declare it")]
    Undeclared {
        /// The modifier, in words.
        modifier: String,
    },
    /// The query declares a use the grant does not widen to.
    #[error("the query declares {modifier}, which the grant does not allow")]
    NotGranted {
        /// The modifier, in words.
        modifier: String,
    },
}

/// One DUO permission, its disease (for DS) and its modifiers, in the order the owner gave them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purpose {
    permission: u16,
    disease: Option<u32>,
    modifiers: Vec<u16>,
}

impl Purpose {
    /// A purpose from DUO term numbers (`42` for DUO:0000042), the MONDO number of the disease for
    /// disease-specific research (and only for it), and the modifiers' term numbers.
    pub fn new(
        permission: u16,
        disease: Option<u32>,
        modifiers: &[u16],
    ) -> Result<Self, PurposeError> {
        if permission == 0 {
            return Err(PurposeError::OutOfRange { number: 0 });
        }
        if (permission == DS) != disease.is_some() || disease == Some(0) {
            return Err(PurposeError::Disease);
        }
        if modifiers.len() > MAX_MODIFIERS {
            return Err(PurposeError::TooManyModifiers {
                count: modifiers.len(),
            });
        }
        for (i, &term) in modifiers.iter().enumerate() {
            if term == 0 {
                return Err(PurposeError::OutOfRange { number: 0 });
            }
            if term == permission || modifiers[..i].contains(&term) {
                return Err(PurposeError::Duplicate { number: term });
            }
        }
        Ok(Self {
            permission,
            disease,
            modifiers: modifiers.to_vec(),
        })
    }

    /// General research use (DUO:0000042) with no modifier.
    pub fn general_research() -> Self {
        Self {
            permission: GRU,
            disease: None,
            modifiers: Vec::new(),
        }
    }

    /// Parses what a person types: `DUO:0000007/MONDO:0007254+DUO:0000046` or `DS/MONDO:0007254+NCU` (DUO
    /// ids or shorthands joined by `+`, a DUO permission first, disease-specific research followed by `/`
    /// and the disease's MONDO id).
    pub fn parse(text: &str) -> Result<Self, PurposeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PurposeError::Empty);
        }
        let mut parts = text.split('+');
        let first = parts.next().unwrap_or_default();
        let (permission, disease) = match first.split_once('/') {
            Some((term, disease)) => (parse_term(term)?, Some(parse_disease(disease)?)),
            None => (parse_term(first)?, None),
        };
        if !crate::duo::term(permission).is_some_and(crate::duo::DuoTerm::is_permission) {
            return Err(PurposeError::NotAPermission { number: permission });
        }
        let modifiers = parts.map(parse_term).collect::<Result<Vec<_>, _>>()?;
        Self::new(permission, disease, &modifiers)
    }

    /// The DUO permission's term number.
    pub fn permission(&self) -> u16 {
        self.permission
    }

    /// The MONDO number of the disease, for disease-specific research.
    pub fn disease(&self) -> Option<u32> {
        self.disease
    }

    /// The DUO modifiers' term numbers.
    pub fn modifiers(&self) -> &[u16] {
        &self.modifiers
    }

    /// The purpose in words, e.g. `disease specific research (DS, DUO:0000007) on the disease MONDO:0007254;
    /// non-commercial use only (NCU, DUO:0000046)`. Unknown terms are shown by id and flagged.
    pub fn describe(&self) -> String {
        let mut permission = term_words(self.permission);
        if let Some(disease) = self.disease {
            permission.push_str(&format!(" on the disease MONDO:{disease:07}"));
        }
        std::iter::once(permission)
            .chain(self.modifiers.iter().map(|&m| term_words(m)))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether a grant for this purpose covers a query that declares `declared` (see the module's doc).
    pub fn covers(&self, declared: &Self) -> Result<(), PurposeRefused> {
        let includes = match (self.permission, declared.permission) {
            (NRES, _) => true,
            (GRU, p) => [GRU, HMB, DS, POA].contains(&p),
            (HMB, p) => [HMB, DS].contains(&p),
            (granted, p) => granted == p && self.disease == declared.disease,
        };
        let forbidden_ancestry = self.modifiers.contains(&NPOA) && declared.permission == POA;
        if !includes || forbidden_ancestry {
            return Err(PurposeRefused::Permission {
                granted: self.permission_words(),
                declared: declared.permission_words(),
            });
        }
        for &modifier in &self.modifiers {
            let implied = matches!(modifier, 45 | 46) && declared.modifiers.contains(&NPUNCU);
            if modifier != CC && !declared.modifiers.contains(&modifier) && !implied {
                return Err(PurposeRefused::Undeclared {
                    modifier: term_words(modifier),
                });
            }
        }
        if declared.modifiers.contains(&CC) && !self.modifiers.contains(&CC) {
            return Err(PurposeRefused::NotGranted {
                modifier: term_words(CC),
            });
        }
        Ok(())
    }

    fn permission_words(&self) -> String {
        Self {
            modifiers: Vec::new(),
            ..self.clone()
        }
        .describe()
    }

    /// The `bytes16` the registry stores.
    pub fn to_bytes16(&self) -> FixedBytes<16> {
        let mut packed = [0u8; 16];
        packed[..2].copy_from_slice(&self.permission.to_be_bytes());
        packed[2..6].copy_from_slice(&self.disease.unwrap_or(0).to_be_bytes());
        for (slot, term) in packed[6..].chunks_exact_mut(2).zip(&self.modifiers) {
            slot.copy_from_slice(&term.to_be_bytes());
        }
        FixedBytes(packed)
    }

    /// Unpacks a stored purpose, refusing one without a permission, a misplaced disease or gaps.
    pub fn from_bytes16(packed: FixedBytes<16>) -> Result<Self, PurposeError> {
        let permission = u16::from_be_bytes([packed[0], packed[1]]);
        if permission == 0 {
            return Err(PurposeError::Empty);
        }
        let disease = u32::from_be_bytes([packed[2], packed[3], packed[4], packed[5]]);
        let slots: Vec<u16> = packed[6..]
            .chunks_exact(2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
            .collect();
        let len = slots.iter().position(|&t| t == 0).unwrap_or(MAX_MODIFIERS);
        if slots[len..].iter().any(|&t| t != 0) {
            return Err(PurposeError::Gap);
        }
        Self::new(permission, (disease != 0).then_some(disease), &slots[..len])
    }
}

fn term_words(number: u16) -> String {
    match crate::duo::term(number) {
        Some(term) if term.shorthand.is_empty() => format!("{} ({})", term.label, term.id),
        Some(term) => format!("{} ({}, {})", term.label, term.shorthand, term.id),
        None => format!("DUO:{number:07} (not a term this software knows)"),
    }
}

fn parse_term(term: &str) -> Result<u16, PurposeError> {
    let term = term.trim();
    if let Some(known) = crate::duo::terms()
        .find(|t| !t.shorthand.is_empty() && t.shorthand.eq_ignore_ascii_case(term))
    {
        return Ok(crate::duo::number(known));
    }
    let number = digits(term, "DUO:").ok_or_else(|| PurposeError::Malformed {
        term: term.to_owned(),
    })?;
    u16::try_from(number)
        .ok()
        .filter(|&n| n != 0)
        .ok_or(PurposeError::OutOfRange { number })
}

fn parse_disease(text: &str) -> Result<u32, PurposeError> {
    digits(text, "MONDO:")
        .filter(|&n| n != 0)
        .ok_or_else(|| PurposeError::MalformedDisease {
            text: text.to_owned(),
        })
}

/// The number of `PREFIX0000000`: a prefix and exactly seven digits.
fn digits(text: &str, prefix: &str) -> Option<u32> {
    let digits = text.trim().strip_prefix(prefix)?;
    (digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DUO:{:07}", self.permission)?;
        if let Some(disease) = self.disease {
            write!(f, "/MONDO:{disease:07}")?;
        }
        for term in &self.modifiers {
            write!(f, "+DUO:{term:07}")?;
        }
        Ok(())
    }
}

impl FromStr for Purpose {
    type Err = PurposeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::fixed_bytes;

    use super::*;

    fn p(text: &str) -> Purpose {
        Purpose::parse(text).unwrap()
    }

    #[test]
    fn packs_permission_disease_then_modifiers() {
        let purpose = p("DUO:0000007/MONDO:0007254+DUO:0000046");
        assert_eq!(
            (purpose.permission(), purpose.disease(), purpose.modifiers()),
            (DS, Some(7254), &[46][..])
        );
        assert_eq!(
            purpose.to_bytes16(),
            fixed_bytes!("0x000700001c56002e0000000000000000")
        );
        assert_eq!(purpose.to_string(), "DUO:0000007/MONDO:0007254+DUO:0000046");
        assert_eq!(
            Purpose::from_bytes16(purpose.to_bytes16()).unwrap(),
            purpose
        );
        assert_eq!(
            Purpose::general_research().to_bytes16(),
            fixed_bytes!("0x002a0000000000000000000000000000")
        );
    }

    #[test]
    fn reads_shorthands() {
        assert_eq!(
            p("ds/MONDO:0007254+NCU"),
            p("DUO:0000007/MONDO:0007254+DUO:0000046")
        );
        assert_eq!(p("gru"), Purpose::general_research());
    }

    #[test]
    fn describes_itself_in_words() {
        assert_eq!(
            Purpose::new(DS, Some(7254), &[46, 999]).unwrap().describe(),
            "disease specific research (DS, DUO:0000007) on the disease MONDO:0007254; non-commercial use only \
             (NCU, DUO:0000046); DUO:0000999 (not a term this software knows)"
        );
    }

    #[test]
    fn five_modifiers_fit_six_do_not() {
        let five = Purpose::new(GRU, None, &[21, 19, 26, 44, 20]).unwrap();
        assert_eq!(Purpose::from_bytes16(five.to_bytes16()).unwrap(), five);
        assert_eq!(
            Purpose::new(GRU, None, &[21, 19, 26, 44, 20, 46]),
            Err(PurposeError::TooManyModifiers { count: 6 })
        );
    }

    #[test]
    fn refuses_bad_text() {
        let refused = |text: &str| Purpose::parse(text).unwrap_err();
        assert_eq!(refused(""), PurposeError::Empty);
        assert_eq!(
            refused("XYZ"),
            PurposeError::Malformed { term: "XYZ".into() }
        );
        assert_eq!(
            refused("DUO:42"),
            PurposeError::Malformed {
                term: "DUO:42".into()
            }
        );
        assert_eq!(
            refused("DUO:0000000"),
            PurposeError::OutOfRange { number: 0 }
        );
        assert_eq!(
            refused("DUO:0070000"),
            PurposeError::OutOfRange { number: 70_000 }
        );
        assert_eq!(
            refused("DUO:0000042+DUO:0000046+DUO:0000046"),
            PurposeError::Duplicate { number: 46 }
        );
        assert_eq!(refused("DUO:0000007"), PurposeError::Disease);
        assert_eq!(refused("DUO:0000042/MONDO:0007254"), PurposeError::Disease);
        assert_eq!(
            refused("DUO:0000007/MONDO:7254"),
            PurposeError::MalformedDisease {
                text: "MONDO:7254".into()
            }
        );
    }

    #[test]
    fn refuses_bad_packing() {
        let unpacked = |bytes| Purpose::from_bytes16(bytes).unwrap_err();
        assert_eq!(unpacked(FixedBytes::ZERO), PurposeError::Empty);
        assert_eq!(
            unpacked(fixed_bytes!("0x002a0000000000000000002e00000000")),
            PurposeError::Gap
        );
        assert_eq!(
            unpacked(fixed_bytes!("0x00070000000000000000000000000000")),
            PurposeError::Disease
        );
        assert_eq!(
            unpacked(fixed_bytes!("0x002a00001c5600000000000000000000")),
            PurposeError::Disease
        );
    }

    #[test]
    fn permissions_cover_what_duo_puts_under_them() {
        let covers = |granted: &str, declared: &str| p(granted).covers(&p(declared)).is_ok();
        let breast = "DUO:0000007/MONDO:0007254";
        let ovarian = "DUO:0000007/MONDO:0005140";
        for declared in ["DUO:0000042", "DUO:0000006", breast, "DUO:0000011"] {
            assert!(covers("DUO:0000004", declared), "NRES covers {declared}");
            assert!(covers("DUO:0000042", declared), "GRU covers {declared}");
        }
        assert!(covers("DUO:0000006", breast));
        assert!(
            !covers("DUO:0000006", "DUO:0000042"),
            "HMB is narrower than GRU"
        );
        assert!(
            !covers("DUO:0000006", "DUO:0000011"),
            "HMB excludes ancestry research"
        );
        assert!(covers(breast, breast));
        assert!(
            !covers(breast, ovarian),
            "a disease-specific grant covers only its disease"
        );
        assert!(!covers(breast, "DUO:0000006"));
        assert!(!covers("DUO:0000011", "DUO:0000006"));
        assert!(
            !covers("DUO:0000042+DUO:0000044", "DUO:0000011+DUO:0000044"),
            "NPOA forbids POA"
        );
        let refusal = p(breast).covers(&p(ovarian)).unwrap_err().to_string();
        assert!(
            refusal.contains("MONDO:0007254") && refusal.contains("MONDO:0005140"),
            "{refusal}"
        );
    }

    #[test]
    fn a_grants_modifiers_must_be_declared() {
        let covers = |granted: &str, declared: &str| p(granted).covers(&p(declared));
        assert_eq!(
            covers("DUO:0000042+DUO:0000046", "DUO:0000006"),
            Err(PurposeRefused::Undeclared {
                modifier: "non-commercial use only (NCU, DUO:0000046)".into()
            })
        );
        assert!(covers("DUO:0000042+DUO:0000046", "DUO:0000006+DUO:0000046").is_ok());
        assert!(
            covers(
                "DUO:0000042+DUO:0000046+DUO:0000045",
                "DUO:0000006+DUO:0000018"
            )
            .is_ok(),
            "NPUNCU implies NCU and NPU"
        );
        assert!(
            covers("DUO:0000042", "DUO:0000042+DUO:0000019").is_ok(),
            "declaring more is fine"
        );
        assert!(
            matches!(
                covers("DUO:0000042", "DUO:0000042+DUO:0000043"),
                Err(PurposeRefused::NotGranted { .. })
            ),
            "clinical care use widens the use: it must be granted"
        );
        assert!(covers("DUO:0000042+DUO:0000043", "DUO:0000042").is_ok());
    }
}
