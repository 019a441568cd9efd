//! Strict readers for consumer raw genotype files: 23andMe (v5) and AncestryDNA.
//!
//! Both are tab-separated text with `#` comments, on GRCh37. 23andMe: `rsid chromosome position genotype`,
//! the genotype two letters (one on X, Y and MT for hemizygous calls), `--` for a no-call, `I`/`D` for
//! insertion and deletion calls. AncestryDNA: a header row, then `rsid chromosome position allele1 allele2` with
//! chromosomes numbered 1-26 (23 X, 24 Y, 25 the X/Y pseudo-autosomal region, 26 MT) and `0` alleles for a
//! no-call. Anything else (a missing or extra field, an unknown chromosome, a position that is not a
//! number, an allele outside A C G T I D) is refused with the file, line and reason.

use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
};

use serde::Serialize;

use crate::GenomeError;

mod answer;

pub use answer::lookup;

/// Which raw format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RawFormat {
    /// 23andMe raw data (v5).
    TwentyThreeAndMe,
    /// AncestryDNA raw data.
    AncestryDna,
}

/// How many bytes of a file's start [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 4096;

/// The raw format whose vendor the first [`SNIFF_BYTES`] of `head` name (both write it in their `#`
/// header), or `None` for any other file.
pub fn sniff(head: &[u8]) -> Option<RawFormat> {
    let text = String::from_utf8_lossy(&head[..head.len().min(SNIFF_BYTES)]).to_ascii_lowercase();
    if text.contains("23andme") {
        Some(RawFormat::TwentyThreeAndMe)
    } else if text.contains("ancestrydna") {
        Some(RawFormat::AncestryDna)
    } else {
        None
    }
}

/// One genotype call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawCall {
    /// The rsID, or the vendor's internal id (`i...`).
    pub id: String,
    /// `1`-`22`, `X`, `Y`, `XY` (pseudo-autosomal) or `MT`.
    pub chrom: String,
    /// GRCh37 position.
    pub pos: u64,
    /// The called alleles (one for hemizygous calls); empty for a no-call.
    pub alleles: Vec<char>,
}

impl RawCall {
    /// Whether the chip made no call here.
    pub fn is_no_call(&self) -> bool {
        self.alleles.is_empty()
    }
}

/// A raw genotype file being read, call by call.
pub struct RawGenome {
    path: PathBuf,
    format: RawFormat,
    lines: std::io::Lines<BufReader<Box<dyn Read + Send>>>,
    line: u64,
}

impl RawGenome {
    /// Opens a raw file, telling the format from its first lines.
    pub fn open(path: &Path) -> Result<Self, GenomeError> {
        let file = std::fs::File::open(path).map_err(|source| GenomeError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_reader(path, Box::new(file))
    }

    /// Reads a raw file from `input`; `path` names it in errors.
    pub fn from_reader(path: &Path, input: Box<dyn Read + Send>) -> Result<Self, GenomeError> {
        let mut input = BufReader::new(input);
        let head = input.fill_buf().map_err(|source| GenomeError::Io {
            path: path.to_owned(),
            source,
        })?;
        let Some(format) = sniff(head) else {
            return Err(GenomeError::Header {
                path: path.to_owned(),
                reason: "not a 23andMe or AncestryDNA raw data file (no vendor line in its header)"
                    .into(),
            });
        };
        Ok(Self {
            path: path.to_owned(),
            format,
            lines: input.lines(),
            line: 0,
        })
    }

    /// The file's format.
    pub fn format(&self) -> RawFormat {
        self.format
    }

    fn refuse(&self, reason: String) -> GenomeError {
        GenomeError::Record {
            path: self.path.clone(),
            record: self.line,
            line: self.line,
            reason,
        }
    }

    fn parse(&self, line: &str) -> Result<Option<RawCall>, String> {
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let (id, chrom, pos, genotype) = match (self.format, fields.as_slice()) {
            (RawFormat::TwentyThreeAndMe, [id, chrom, pos, genotype]) => (
                *id,
                chromosome_23andme(chrom)?,
                *pos,
                alleles_23andme(genotype)?,
            ),
            (RawFormat::AncestryDna, ["rsid", "chromosome", "position", "allele1", "allele2"]) => {
                return Ok(None);
            }
            (RawFormat::AncestryDna, [id, chrom, pos, first, second]) => (
                *id,
                chromosome_ancestry(chrom)?,
                *pos,
                alleles_ancestry(first, second)?,
            ),
            (format, _) => {
                let expected = match format {
                    RawFormat::TwentyThreeAndMe => 4,
                    RawFormat::AncestryDna => 5,
                };
                return Err(format!(
                    "{} fields, expected {expected} tab-separated fields",
                    fields.len()
                ));
            }
        };
        let valid_id = id
            .strip_prefix("rs")
            .or_else(|| id.strip_prefix('i'))
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        if !valid_id {
            return Err(format!(
                "id `{id}` is neither an rsID nor an internal id (i...)"
            ));
        }
        let pos: u64 = pos
            .parse()
            .map_err(|_| format!("position `{pos}` is not a number"))?;
        if genotype.len() == 1 && !matches!(chrom.as_str(), "X" | "Y" | "MT") {
            return Err(format!(
                "a single allele on chromosome {chrom}: only X, Y and MT calls are hemizygous"
            ));
        }
        Ok(Some(RawCall {
            id: id.to_owned(),
            chrom,
            pos,
            alleles: genotype,
        }))
    }
}

impl Iterator for RawGenome {
    type Item = Result<RawCall, GenomeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.lines.next()?;
            self.line += 1;
            let line = match line {
                Ok(line) => line,
                Err(source) => {
                    return Some(Err(GenomeError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            };
            let line = line.trim_end_matches('\r');
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            match self.parse(line) {
                Ok(Some(call)) => return Some(Ok(call)),
                Ok(None) => {}
                Err(reason) => return Some(Err(self.refuse(reason))),
            }
        }
    }
}

fn chromosome_23andme(text: &str) -> Result<String, String> {
    match text {
        "X" | "Y" | "MT" => Ok(text.to_owned()),
        _ => autosome(text),
    }
}

fn chromosome_ancestry(text: &str) -> Result<String, String> {
    match text {
        "23" => Ok("X".into()),
        "24" => Ok("Y".into()),
        "25" => Ok("XY".into()),
        "26" => Ok("MT".into()),
        _ => autosome(text),
    }
}

fn autosome(text: &str) -> Result<String, String> {
    match text.parse::<u8>() {
        Ok(1..=22) => Ok(text.to_owned()),
        _ => Err(format!("chromosome `{text}` is not 1-22, X, Y or MT")),
    }
}

fn allele(c: char) -> Result<char, String> {
    if "ACGTID".contains(c) {
        Ok(c)
    } else {
        Err(format!("allele `{c}` is not A, C, G, T, I or D"))
    }
}

fn alleles_23andme(genotype: &str) -> Result<Vec<char>, String> {
    if genotype == "--" {
        return Ok(Vec::new());
    }
    if genotype.is_empty() || genotype.chars().count() > 2 {
        return Err(format!(
            "genotype `{genotype}` is not one or two alleles, or `--`"
        ));
    }
    genotype.chars().map(allele).collect()
}

fn alleles_ancestry(first: &str, second: &str) -> Result<Vec<char>, String> {
    match (first, second) {
        ("0", "0") => Ok(Vec::new()),
        ("0", _) | (_, "0") => Err(format!(
            "alleles `{first}` `{second}`: a no-call is 0 for both"
        )),
        _ => {
            let one = |text: &str| match text.chars().collect::<Vec<_>>().as_slice() {
                [c] => allele(*c),
                _ => Err(format!("allele `{text}` is not one letter")),
            };
            Ok(vec![one(first)?, one(second)?])
        }
    }
}

/// Reads a whole raw file, refusing it at its first malformed line.
pub fn read_all(path: &Path) -> Result<(RawFormat, Vec<RawCall>), GenomeError> {
    let genome = RawGenome::open(path)?;
    let format = genome.format();
    Ok((format, genome.collect::<Result<_, _>>()?))
}

impl std::fmt::Debug for RawGenome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawGenome")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}
