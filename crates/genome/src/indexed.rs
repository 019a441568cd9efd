//! Lookups through a tabix index: only the BGZF blocks that hold the regions are read (and, from the
//! vault's store, decrypted).

use std::{
    collections::HashSet,
    io::{Read, Seek},
    path::Path,
};

use noodles::{
    bgzf,
    core::{Position, Region},
    csi::BinningIndex,
    tabix, vcf,
};

use crate::{
    GenomeError, Variant,
    genome::{choose_sample, fill_variant},
    lookup::{Query, Span},
};

/// A bgzipped VCF with its tabix index.
pub struct IndexedGenome<R: Read + Seek> {
    path: std::path::PathBuf,
    reader: vcf::io::IndexedReader<bgzf::io::Reader<R>>,
    header: vcf::Header,
    sample: usize,
    /// The index's sequence names, in file order.
    contigs: Vec<String>,
}

impl<R: Read + Seek> IndexedGenome<R> {
    /// Opens `vcf` (bgzipped) with its tabix index read from `tabix`; `path` names them in errors.
    pub fn open(
        path: &Path,
        vcf: R,
        tabix: impl Read,
        sample: Option<&str>,
    ) -> Result<Self, GenomeError> {
        let refuse = |what: &str, e: std::io::Error| GenomeError::Header {
            path: path.to_owned(),
            reason: format!("{what}: {e}"),
        };
        let index = tabix::io::Reader::new(tabix)
            .read_index()
            .map_err(|e| refuse("tabix index", e))?;
        let contigs = index
            .header()
            .map(|header| {
                header
                    .reference_sequence_names()
                    .iter()
                    .map(|name| String::from_utf8_lossy(name).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let mut reader = vcf::io::IndexedReader::new(vcf, index);
        let header = reader.read_header().map_err(|e| refuse("VCF header", e))?;
        let sample = choose_sample(path, &header, sample)?;
        Ok(Self {
            path: path.to_owned(),
            reader,
            header,
            sample,
            contigs,
        })
    }

    /// The underlying reader (a store object, to count what was decrypted).
    pub fn source(&self) -> &R {
        self.reader.get_ref().get_ref()
    }

    /// The variants overlapping `query`'s regions, in file order, each once (`bcftools view -R`).
    pub fn lookup(&mut self, query: &Query) -> Result<Vec<Variant>, GenomeError> {
        let Query::Regions(regions) = query else {
            return Err(GenomeError::Query {
                path: self.path.clone(),
                line: 0,
                reason: "an index answers regions; rsIDs need a scan".into(),
            });
        };
        let mut found = Vec::new();
        for contig in &self.contigs {
            let Some(spans) = regions.get(contig) else {
                continue;
            };
            let mut seen = HashSet::new();
            for span in merged(spans) {
                let (Some(start), Some(end)) = (
                    Position::new(span.start as usize),
                    Position::new(span.end as usize),
                ) else {
                    continue;
                };
                let region = Region::new(contig.as_str(), start..=end);
                let path = &self.path;
                let refuse = |reason: String| GenomeError::Record {
                    path: path.clone(),
                    record: 0,
                    line: 0,
                    reason,
                };
                let mut records = self
                    .reader
                    .query(&self.header, &region)
                    .map_err(|e| refuse(e.to_string()))?;
                let mut record = vcf::Record::default();
                while records
                    .read_record(&mut record)
                    .map_err(|e| refuse(e.to_string()))?
                    != 0
                {
                    let mut variant = Variant::default();
                    fill_variant(&record, &self.header, self.sample, &mut variant)
                        .map_err(&refuse)?;
                    let key = (variant.pos, variant.reference.clone(), variant.alt.clone());
                    if query.matches(&variant) && seen.insert(key) {
                        found.push(variant);
                    }
                }
            }
        }
        Ok(found)
    }
}

/// Sorted spans merged where they overlap or touch.
fn merged(spans: &[Span]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match out.last_mut() {
            Some(last) if span.start <= last.end.saturating_add(1) => {
                last.end = last.end.max(span.end);
            }
            _ => out.push(*span),
        }
    }
    out
}
