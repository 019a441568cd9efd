//! The genome analyses against the peers they follow (bcftools, plink2) on real data, and the raw-file
//! readers.

mod bcftools;
mod plink2;
mod raw;
