//! Genome analyses over a person's variant calls, the same in the vault (on decrypted objects) and on the
//! owner's own plaintext file (`dnavault-vault genome ...`), so anyone can check them against bcftools and
//! plink2.
//!
//! VCF (plain, bgzipped) and BCF are read with noodles ([`Genome`]); lookups by region or rsID
//! ([`lookup`]) follow `bcftools view -R` (a record matches a region its REF span overlaps) and
//! `bcftools query -i 'ID=@file'`; polygenic scores ([`prs`]) read PGS Catalog scoring files ([`score`]) and
//! follow plink2's `--score ... no-mean-imputation`.

pub mod check;
mod error;
mod framing;
mod genome;
pub mod genotypes;
mod indexed;
pub mod lookup;
pub mod prs;
pub mod raw;
pub mod score;
mod variant;

pub use error::GenomeError;
pub use genome::Genome;
pub use indexed::IndexedGenome;
pub use variant::{Variant, VariantExt};
