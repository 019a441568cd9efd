//! A grant's purpose: one GA4GH Data Use Ontology (DUO) permission and up to seven modifiers, packed into the
//! `bytes16 purpose` the registry stores as eight big-endian two-byte term numbers, zero-padded.
//!
//! `DUO:0000007+DUO:0000046` (disease-specific research, non-commercial use only) packs to
//! `0x0007002e000000000000000000000000`.

use std::{fmt, str::FromStr};

use alloy::primitives::FixedBytes;

/// How many DUO terms fit in a packed purpose.
pub const MAX_TERMS: usize = 8;

/// Why a purpose could not be built, parsed or unpacked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurposeError {
    /// The purpose names no term at all.
    #[error("a purpose needs a DUO permission, e.g. DUO:0000042")]
    Empty,
    /// More terms than fit in 16 bytes.
    #[error("a purpose holds at most {MAX_TERMS} DUO terms, got {count}")]
    TooManyTerms {
        /// How many terms were given.
        count: usize,
    },
    /// A term is not written `DUO:` followed by seven digits.
    #[error("`{term}` is not a DUO term id (expected DUO:0000000 form)")]
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
    /// A packed purpose has a term after a zero slot.
    #[error("packed purpose has a term after an empty slot")]
    Gap,
}

/// One DUO permission and its modifiers, in the order the owner gave them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purpose {
    terms: Vec<u16>,
}

impl Purpose {
    /// A purpose from DUO term numbers (`7` for DUO:0000007): the permission first, then modifiers.
    pub fn new(permission: u16, modifiers: &[u16]) -> Result<Self, PurposeError> {
        let terms: Vec<u16> = std::iter::once(permission)
            .chain(modifiers.iter().copied())
            .collect();
        Self::from_terms(terms)
    }

    fn from_terms(terms: Vec<u16>) -> Result<Self, PurposeError> {
        if terms.is_empty() {
            return Err(PurposeError::Empty);
        }
        if terms.len() > MAX_TERMS {
            return Err(PurposeError::TooManyTerms { count: terms.len() });
        }
        for (i, &term) in terms.iter().enumerate() {
            if term == 0 {
                return Err(PurposeError::OutOfRange { number: 0 });
            }
            if terms[..i].contains(&term) {
                return Err(PurposeError::Duplicate { number: term });
            }
        }
        Ok(Self { terms })
    }

    /// Parses `DUO:0000007+DUO:0000046` (terms joined by `+`, the permission first).
    pub fn parse(text: &str) -> Result<Self, PurposeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PurposeError::Empty);
        }
        let terms = text
            .split('+')
            .map(parse_term)
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_terms(terms)
    }

    /// The DUO permission's term number.
    pub fn permission(&self) -> u16 {
        self.terms[0]
    }

    /// The DUO modifiers' term numbers.
    pub fn modifiers(&self) -> &[u16] {
        &self.terms[1..]
    }

    /// The purpose in words, e.g. `disease specific research (DS, DUO:0000007); non-commercial use only
    /// (NCU, DUO:0000046)`. Unknown terms are shown by id and flagged.
    pub fn describe(&self) -> String {
        self.terms
            .iter()
            .map(|&number| match crate::duo::term(number) {
                Some(term) if term.shorthand.is_empty() => format!("{} ({})", term.label, term.id),
                Some(term) => format!("{} ({}, {})", term.label, term.shorthand, term.id),
                None => format!("DUO:{number:07} (not a term this software knows)"),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The `bytes16` the registry stores.
    pub fn to_bytes16(&self) -> FixedBytes<16> {
        let mut packed = [0u8; 16];
        for (slot, term) in packed.chunks_exact_mut(2).zip(&self.terms) {
            slot.copy_from_slice(&term.to_be_bytes());
        }
        FixedBytes(packed)
    }

    /// Unpacks a stored purpose, refusing one without a permission or with gaps.
    pub fn from_bytes16(packed: FixedBytes<16>) -> Result<Self, PurposeError> {
        let slots: Vec<u16> = packed
            .chunks_exact(2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
            .collect();
        let len = slots.iter().position(|&t| t == 0).unwrap_or(MAX_TERMS);
        if slots[len..].iter().any(|&t| t != 0) {
            return Err(PurposeError::Gap);
        }
        Self::from_terms(slots[..len].to_vec())
    }
}

fn parse_term(term: &str) -> Result<u16, PurposeError> {
    let malformed = || PurposeError::Malformed {
        term: term.to_owned(),
    };
    let digits = term.trim().strip_prefix("DUO:").ok_or_else(malformed)?;
    if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let number: u32 = digits.parse().map_err(|_| malformed())?;
    u16::try_from(number)
        .ok()
        .filter(|&n| n != 0)
        .ok_or(PurposeError::OutOfRange { number })
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            write!(f, "DUO:{term:07}")?;
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

    #[test]
    fn packs_permission_then_modifiers() {
        let purpose = Purpose::parse("DUO:0000007+DUO:0000046").unwrap();
        assert_eq!(purpose.permission(), 7);
        assert_eq!(purpose.modifiers(), &[46]);
        assert_eq!(
            purpose.to_bytes16(),
            fixed_bytes!("0x0007002e000000000000000000000000")
        );
        assert_eq!(purpose.to_string(), "DUO:0000007+DUO:0000046");
        assert_eq!(
            Purpose::from_bytes16(purpose.to_bytes16()).unwrap(),
            purpose
        );
    }

    #[test]
    fn describes_itself_in_words() {
        let purpose = Purpose::parse("DUO:0000007+DUO:0000046+DUO:0000999").unwrap();
        assert_eq!(
            purpose.describe(),
            "disease specific research (DS, DUO:0000007); non-commercial use only (NCU, DUO:0000046); \
             DUO:0000999 (not a term this software knows)"
        );
    }

    #[test]
    fn eight_terms_fit_nine_do_not() {
        let eight = Purpose::new(42, &[21, 19, 26, 44, 20, 46, 18]).unwrap();
        assert_eq!(Purpose::from_bytes16(eight.to_bytes16()).unwrap(), eight);
        assert_eq!(
            Purpose::new(42, &[21, 19, 26, 44, 20, 46, 18, 12]),
            Err(PurposeError::TooManyTerms { count: 9 })
        );
    }

    #[test]
    fn refuses_bad_text() {
        assert_eq!(Purpose::parse(""), Err(PurposeError::Empty));
        assert_eq!(
            Purpose::parse("GRU"),
            Err(PurposeError::Malformed { term: "GRU".into() })
        );
        assert_eq!(
            Purpose::parse("DUO:42"),
            Err(PurposeError::Malformed {
                term: "DUO:42".into()
            })
        );
        assert_eq!(
            Purpose::parse("DUO:0000000"),
            Err(PurposeError::OutOfRange { number: 0 })
        );
        assert_eq!(
            Purpose::parse("DUO:0070000"),
            Err(PurposeError::OutOfRange { number: 70_000 })
        );
        assert_eq!(
            Purpose::parse("DUO:0000042+DUO:0000042"),
            Err(PurposeError::Duplicate { number: 42 })
        );
    }

    #[test]
    fn refuses_bad_packing() {
        assert_eq!(
            Purpose::from_bytes16(FixedBytes::ZERO),
            Err(PurposeError::Empty)
        );
        assert_eq!(
            Purpose::from_bytes16(fixed_bytes!("0x00000007000000000000000000000000")),
            Err(PurposeError::Gap)
        );
        assert_eq!(
            Purpose::from_bytes16(fixed_bytes!("0x0007000000000000000000000000002e")),
            Err(PurposeError::Gap)
        );
    }
}
