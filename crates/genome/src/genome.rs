//! One person's variant calls from a VCF or BCF file, one sample at a time.

use std::{
    fs::File,
    io::{BufRead, Read},
    path::{Path, PathBuf},
};

use noodles::vcf::{
    self,
    variant::Record as _,
    variant::record::{
        AlternateBases, Ids, ReferenceBases,
        samples::{series::Value, series::value::genotype::Phasing},
    },
};
use noodles_util::variant::io::{Reader, reader::Builder};
use serde::Serialize;

use crate::GenomeError;

/// A variant call of the chosen sample, as the file has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// Chromosome (as named in the file).
    pub chrom: String,
    /// 1-based position.
    pub pos: u64,
    /// IDs, `;`-separated, or `.`.
    pub id: String,
    /// Reference allele.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Alternate alleles, `,`-separated, or `.`.
    pub alt: String,
    /// The genotype as VCF writes it (`0/1`, `1|0`, `1/.`, `.`).
    pub gt: String,
}

impl Variant {
    /// Last position the reference allele covers.
    pub fn end(&self) -> u64 {
        self.pos + (self.reference.len() as u64).max(1) - 1
    }

    /// Whether `id` is one of this record's IDs.
    pub fn has_id(&self, id: &str) -> bool {
        self.id.split(';').any(|own| own == id)
    }
}

/// An open genome file with a chosen sample.
pub struct Genome {
    path: PathBuf,
    reader: Reader<Box<dyn Read>>,
    header: vcf::Header,
    sample: usize,
    header_lines: u64,
    records: u64,
    /// Reused for every record read.
    record: noodles_util::variant::Record,
}

impl Genome {
    /// Opens `path` (VCF, bgzipped VCF or BCF, detected from its content) and chooses `sample`, which a
    /// multi-sample file requires.
    pub fn open(path: &Path, sample: Option<&str>) -> Result<Self, GenomeError> {
        let io = |source| GenomeError::Io {
            path: path.to_owned(),
            source,
        };
        let mut reader = open_reader(path).map_err(io)?;
        let header = reader.read_header().map_err(|e| GenomeError::Header {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let names = header.sample_names();
        let listed = || {
            let mut text: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            if names.len() > 5 {
                text.push("...");
            }
            text.join(", ")
        };
        let sample = match (sample, names.len()) {
            (_, 0) => {
                return Err(GenomeError::NoSamples {
                    path: path.to_owned(),
                });
            }
            (None, 1) => 0,
            (None, count) => {
                return Err(GenomeError::SampleNeeded {
                    path: path.to_owned(),
                    count,
                    names: listed(),
                });
            }
            (Some(name), _) => {
                names
                    .get_index_of(name)
                    .ok_or_else(|| GenomeError::NoSuchSample {
                        path: path.to_owned(),
                        sample: name.to_owned(),
                        names: listed(),
                    })?
            }
        };
        // `##` lines and the `#CHROM` line, for line numbers in errors.
        let header_lines = header_line_count(&header);
        Ok(Self {
            path: path.to_owned(),
            reader,
            header,
            sample,
            header_lines,
            records: 0,
            record: noodles_util::variant::Record::default(),
        })
    }

    /// The chosen sample's name.
    pub fn sample_name(&self) -> &str {
        self.header
            .sample_names()
            .get_index(self.sample)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The next variant call, in file order; `None` at the end.
    pub fn next_variant(&mut self) -> Option<Result<Variant, GenomeError>> {
        self.next_where(|_, _| true).transpose()
    }

    /// The next variant call whose chromosome and position `want` accepts. Records it refuses are not
    /// decoded past CHROM and POS, so a scan for a few positions is fast.
    pub fn next_where(
        &mut self,
        mut want: impl FnMut(&str, u64) -> bool,
    ) -> Result<Option<Variant>, GenomeError> {
        loop {
            let read = self.reader.read_record(&mut self.record);
            self.records += 1;
            match read {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(e) => return Err(self.refuse(chain(&e))),
            }
            let record = &self.record;
            let chrom = record
                .reference_sequence_name(&self.header)
                .map_err(|e| format!("CHROM: {e}"));
            let pos = position(record);
            let (chrom, pos) = match (chrom, pos) {
                (Ok(chrom), Ok(pos)) => (chrom, pos),
                (Err(reason), _) | (_, Err(reason)) => return Err(self.refuse(reason)),
            };
            if !want(chrom, pos) {
                continue;
            }
            return variant(record, &self.header, self.sample)
                .map(Some)
                .map_err(|reason| self.refuse(reason));
        }
    }

    fn refuse(&self, reason: String) -> GenomeError {
        GenomeError::Record {
            path: self.path.clone(),
            record: self.records,
            line: self.header_lines + self.records,
            reason,
        }
    }
}

impl Iterator for Genome {
    type Item = Result<Variant, GenomeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_variant()
    }
}

fn variant(
    record: &dyn vcf::variant::Record,
    header: &vcf::Header,
    sample: usize,
) -> Result<Variant, String> {
    let chrom = record
        .reference_sequence_name(header)
        .map_err(|e| format!("CHROM: {e}"))?
        .to_owned();
    let pos = position(record)?;
    let ids = record.ids();
    let id = if ids.is_empty() {
        ".".to_owned()
    } else {
        ids.iter().collect::<Vec<_>>().join(";")
    };
    let reference = record
        .reference_bases()
        .iter()
        .map(|base| base.map(char::from))
        .collect::<Result<String, _>>()
        .map_err(|e| format!("REF: {e}"))?;
    let alternates = record.alternate_bases();
    let alt = if alternates.is_empty() {
        ".".to_owned()
    } else {
        alternates
            .iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("ALT: {e}"))?
            .join(",")
    };
    let gt = genotype(record, header, sample)?;
    Ok(Variant {
        chrom,
        pos,
        id,
        reference,
        alt,
        gt,
    })
}

fn position(record: &dyn vcf::variant::Record) -> Result<u64, String> {
    match record.variant_start() {
        Some(Ok(position)) => Ok(usize::from(position) as u64),
        Some(Err(e)) => Err(format!("POS: {e}")),
        None => Err("POS is missing".into()),
    }
}

/// The sample's GT as VCF text; `.` when the record has no GT or the sample's is missing.
fn genotype(
    record: &dyn vcf::variant::Record,
    header: &vcf::Header,
    sample: usize,
) -> Result<String, String> {
    let samples = record.samples().map_err(|e| format!("FORMAT: {e}"))?;
    let Some(series) = samples.select(header, "GT") else {
        return Ok(".".into());
    };
    let series = series.map_err(|e| format!("GT: {e}"))?;
    let value = match series.get(header, sample) {
        None | Some(None) => return Ok(".".into()),
        Some(Some(value)) => value.map_err(|e| format!("GT: {e}"))?,
    };
    let Value::Genotype(genotype) = value else {
        return Err("GT is not a genotype".into());
    };
    let mut text = String::new();
    for (i, allele) in genotype.iter().enumerate() {
        let (position, phasing) = allele.map_err(|e| format!("GT: {e}"))?;
        if i > 0 {
            text.push(match phasing {
                Phasing::Phased => '|',
                Phasing::Unphased => '/',
            });
        }
        match position {
            Some(position) => text.push_str(&position.to_string()),
            None => text.push('.'),
        }
    }
    Ok(if text.is_empty() { ".".into() } else { text })
}

/// A reader for VCF (plain, bgzipped or plain-gzipped) or BCF. noodles detects BGZF and BCF; a gzip file
/// without BGZF blocks (plain `gzip`) is decompressed here first, as htslib does.
fn open_reader(path: &Path) -> std::io::Result<Reader<Box<dyn Read>>> {
    let mut head = [0u8; 18];
    let mut file = File::open(path)?;
    let got = file.read(&mut head)?;
    let file = File::open(path)?;
    let gzip = got >= 10 && head[..3] == [0x1f, 0x8b, 8];
    let bgzf = got == 18 && gzip && head[3] & 4 != 0 && &head[12..14] == b"BC";
    if gzip && !bgzf {
        let decoder: Box<dyn Read> = Box::new(flate2::read::MultiGzDecoder::new(file));
        Builder::default()
            .set_compression_method(None)
            .build_from_reader(decoder)
    } else {
        Builder::default().build_from_reader(Box::new(file) as Box<dyn Read>)
    }
}

/// The number of header lines a VCF writer emits for `header` (meta lines and the `#CHROM` line).
fn header_line_count(header: &vcf::Header) -> u64 {
    let mut text = Vec::new();
    let mut writer = vcf::io::Writer::new(&mut text);
    if writer.write_header(header).is_err() {
        return 0;
    }
    text.as_slice().lines().count() as u64
}

/// An error and its sources: noodles nests the field that failed under a generic message.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    if text == "missing field" {
        text.push_str(" (a column is empty or absent: VCF writes `.` for a missing value)");
    }
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
