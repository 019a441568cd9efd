//! Whole-file validation before a genome is stored: every record is read, so a malformed file is refused
//! at ingest with its line and reason, not at the first query.

use std::{io::Read, path::Path};

use serde::Serialize;

use crate::{
    Genome, GenomeError,
    raw::{RawFormat, RawGenome},
};

/// What a valid genome file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `vcf` (VCF or BCF), `23andme` or `ancestrydna`.
    pub format: &'static str,
    /// The sample read (VCF with one or a chosen sample); raw files are one person.
    pub sample: Option<String>,
    /// Records (VCF) or calls (raw files).
    pub records: u64,
    /// Records or calls without a genotype.
    pub no_calls: u64,
}

/// Reads all of `input` (a VCF, BCF, 23andMe or AncestryDNA file), refusing it at the first malformed
/// record; genotypes are read for `sample`, or the first sample of a multi-sample VCF. `path` names the
/// file in errors.
pub fn check(
    path: &Path,
    input: Box<dyn Read + Send>,
    sample: Option<&str>,
) -> Result<Summary, GenomeError> {
    let io = |source| GenomeError::Io {
        path: path.to_owned(),
        source,
    };
    let mut input = std::io::BufReader::new(input);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(io)?;
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]).to_ascii_lowercase();
    let raw = text.starts_with('#') && (text.contains("23andme") || text.contains("ancestrydna"));
    if raw {
        let genome = RawGenome::from_reader(path, Box::new(input))?;
        let format = match genome.format() {
            RawFormat::TwentyThreeAndMe => "23andme",
            RawFormat::AncestryDna => "ancestrydna",
        };
        let (mut records, mut no_calls) = (0, 0);
        for call in genome {
            records += 1;
            no_calls += u64::from(call?.is_no_call());
        }
        return Ok(Summary {
            format,
            sample: None,
            records,
            no_calls,
        });
    }
    let mut genome = match sample {
        Some(_) => Genome::from_reader(path, Box::new(input), sample)?,
        None => Genome::from_reader_first_sample(path, Box::new(input))?,
    };
    let (mut records, mut no_calls) = (0, 0);
    let mut variant = crate::Variant::default();
    while genome.next_into(|_, _| true, &mut variant)? {
        records += 1;
        no_calls += u64::from(variant.gt.split(['/', '|']).any(|allele| allele == "."));
    }
    Ok(Summary {
        format: "vcf",
        sample: Some(genome.sample_name().to_owned()),
        records,
        no_calls,
    })
}

/// Reads a whole tabix (`.tbi`) or CSI (`.csi`, when `csi`) index, refusing one that does not parse.
/// Returns the number of reference sequences it indexes.
pub fn check_index(
    path: &Path,
    input: Box<dyn Read + Send>,
    csi: bool,
) -> Result<usize, GenomeError> {
    let refuse = |e: std::io::Error| GenomeError::Header {
        path: path.to_owned(),
        reason: format!("not a {} index: {e}", if csi { "CSI" } else { "tabix" }),
    };
    if csi {
        let index = noodles::csi::io::Reader::new(input)
            .read_index()
            .map_err(refuse)?;
        Ok(noodles::csi::BinningIndex::reference_sequences(&index).count())
    } else {
        let index = noodles::tabix::io::Reader::new(input)
            .read_index()
            .map_err(refuse)?;
        Ok(noodles::csi::BinningIndex::reference_sequences(&index).count())
    }
}
