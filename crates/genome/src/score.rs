//! PGS Catalog scoring files (format 2.0, author-reported and harmonized columns).

use std::{
    collections::HashMap,
    io::Read,
    path::{Path, PathBuf},
};

use dnavault_protocol::query::chromosome;
use smol_str::SmolStr;

use crate::GenomeError;

/// The most columns a scoring file row may have.
const MAX_COLUMNS: usize = 64;

/// One weight of a score. Its text fields are short strings kept inline (no allocation up to 23 bytes): a
/// score has millions of weights.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreVariant {
    /// The file line it came from.
    pub line: u64,
    /// rsID, if given.
    pub rsid: Option<SmolStr>,
    /// Chromosome, without a `chr` prefix.
    pub chrom: Option<SmolStr>,
    /// Position (harmonized when the file is).
    pub pos: Option<u64>,
    /// The allele whose dosage the weight multiplies.
    pub effect_allele: SmolStr,
    /// The other allele, if given.
    pub other_allele: Option<SmolStr>,
    /// The weight.
    pub weight: f64,
}

/// A parsed scoring file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringFile {
    /// `#pgs_id`.
    pub pgs_id: Option<String>,
    /// `#trait_reported`.
    pub trait_reported: Option<String>,
    /// The build the positions are on (`#HmPOS_build`, else `#genome_build`).
    pub genome_build: Option<String>,
    /// The weights, in file order.
    pub variants: Vec<ScoreVariant>,
}

impl ScoringFile {
    /// Reads a scoring file, gzipped or not. Positions come from `hm_chr`/`hm_pos` where a row has them,
    /// else from `chr_name`/`chr_position`; a row with neither needs an rsID. The rows are parsed on every
    /// core.
    pub fn read(path: &Path) -> Result<Self, GenomeError> {
        let io = |source| GenomeError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_or(0, |m| m.len());
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut bytes).map_err(io)?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes.as_slice())
                .read_to_end(&mut plain)
                .map_err(io)?;
            bytes = plain;
        }
        let text = String::from_utf8(bytes).map_err(|e| GenomeError::Query {
            path: path.to_owned(),
            line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64,
            reason: "not UTF-8 text".into(),
        })?;
        Self::parse(path, &text)
    }

    /// Parses a scoring file's text (as a researcher sends it); `name` names it in errors.
    pub fn parse(name: &Path, text: &str) -> Result<Self, GenomeError> {
        let path = name;
        let bad = |line: u64, reason: String| GenomeError::Query {
            path: PathBuf::from(path),
            line,
            reason,
        };
        // The metadata and the column header, line by line.
        let mut meta: HashMap<String, String> = HashMap::new();
        let mut columns = None;
        let mut number = 0u64;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            number += 1;
            offset += line.len();
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(comment) = line.strip_prefix('#') {
                if let Some((key, value)) = comment.trim_end_matches('\t').split_once('=') {
                    meta.insert(
                        key.trim_start_matches('#').to_owned(),
                        value.trim().to_owned(),
                    );
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = [""; MAX_COLUMNS];
            let count = split(line, &mut fields).map_err(|reason| bad(number, reason))?;
            columns = Some(Columns::find(&fields[..count]).map_err(|reason| bad(number, reason))?);
            break;
        }
        let Some(columns) = columns else {
            return Err(bad(number.max(1), "no column header line".into()));
        };
        if let Some(version) = meta.get("format_version")
            && version != "2.0"
        {
            return Err(bad(
                1,
                format!("format_version {version}: this reader knows 2.0"),
            ));
        }
        // The rows, in as many parts as there are cores, each knowing its first line number.
        let body = &text[offset..];
        let parts = std::thread::available_parallelism().map_or(1, usize::from);
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut first_line = number + 1;
        for part in 1..=parts {
            let target = body.len() * part / parts;
            let end = if part == parts {
                body.len()
            } else {
                // Found bytewise: `target` may fall inside a character; a newline is always a boundary.
                body.as_bytes()[target..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(body.len(), |n| target + n + 1)
                    .max(start)
            };
            let piece = &body[start..end];
            pieces.push((first_line, piece));
            first_line += piece.bytes().filter(|&b| b == b'\n').count() as u64;
            start = end;
        }
        let parsed: Vec<Result<Vec<ScoreVariant>, GenomeError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = pieces
                .iter()
                .map(|&(first, piece)| {
                    let (columns, bad) = (&columns, &bad);
                    scope.spawn(move || rows(columns, first, piece, bad))
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(bad(0, "parser thread failed".into())))
                })
                .collect()
        });
        let mut parts = parsed.into_iter();
        let mut variants = parts.next().transpose()?.unwrap_or_default();
        for part in parts {
            variants.extend(part?);
        }
        Ok(Self {
            pgs_id: meta.get("pgs_id").cloned(),
            trait_reported: meta.get("trait_reported").cloned(),
            genome_build: meta
                .get("HmPOS_build")
                .or_else(|| meta.get("genome_build"))
                .cloned(),
            variants,
        })
    }
}

/// The rows of one part of the body, whose first line is `first`.
fn rows(
    columns: &Columns,
    first: u64,
    piece: &str,
    bad: &(dyn Fn(u64, String) -> GenomeError + Sync),
) -> Result<Vec<ScoreVariant>, GenomeError> {
    // Rows are rarely shorter than 30 bytes: one allocation, mostly.
    let mut variants = Vec::with_capacity(piece.len() / 30 + 1);
    let mut fields = [""; MAX_COLUMNS];
    for (index, line) in piece.lines().enumerate() {
        let number = first + index as u64;
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let count = split(line, &mut fields).map_err(|reason| bad(number, reason))?;
        variants.push(
            columns
                .variant(number, &fields[..count])
                .map_err(|reason| bad(number, reason))?,
        );
    }
    Ok(variants)
}

/// Splits a row on tabs into `fields` (reused from row to row), without allocating: scoring files have a
/// handful of columns. Returns how many there are.
fn split<'a>(line: &'a str, fields: &mut [&'a str; MAX_COLUMNS]) -> Result<usize, String> {
    let mut count = 0;
    for field in line.split('\t') {
        if count == MAX_COLUMNS {
            return Err(format!("more than {MAX_COLUMNS} columns"));
        }
        fields[count] = field;
        count += 1;
    }
    Ok(count)
}

/// Where each field is.
struct Columns {
    rsid: Option<usize>,
    chrom: Option<usize>,
    pos: Option<usize>,
    hm_rsid: Option<usize>,
    hm_chrom: Option<usize>,
    hm_pos: Option<usize>,
    effect: usize,
    other: Option<usize>,
    weight: usize,
    width: usize,
}

impl Columns {
    fn find(names: &[&str]) -> Result<Self, String> {
        let at = |name: &str| names.iter().position(|n| n.trim() == name);
        let need = |name: &str| at(name).ok_or_else(|| format!("no `{name}` column"));
        let columns = Self {
            rsid: at("rsID"),
            chrom: at("chr_name"),
            pos: at("chr_position"),
            hm_rsid: at("hm_rsID"),
            hm_chrom: at("hm_chr"),
            hm_pos: at("hm_pos"),
            effect: need("effect_allele")?,
            other: at("other_allele").or_else(|| at("hm_inferOtherAllele")),
            weight: need("effect_weight")?,
            width: names.len(),
        };
        let located = (columns.chrom.is_some() && columns.pos.is_some())
            || (columns.hm_chrom.is_some() && columns.hm_pos.is_some())
            || columns.rsid.is_some()
            || columns.hm_rsid.is_some();
        if !located {
            return Err(
                "the variants cannot be located: need chr_name and chr_position, hm_chr and hm_pos, or rsID"
                    .into(),
            );
        }
        Ok(columns)
    }

    fn variant(&self, line: u64, fields: &[&str]) -> Result<ScoreVariant, String> {
        if fields.len() > self.width {
            return Err(format!(
                "{} fields, the header has {}",
                fields.len(),
                self.width
            ));
        }
        let get = |column: Option<usize>| {
            column
                .and_then(|i| fields.get(i))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty() && *v != "." && *v != "NA")
        };
        let position = |column: Option<usize>, what: &str| {
            get(column)
                .map(|text| {
                    text.parse::<u64>()
                        .ok()
                        .filter(|&p| p > 0)
                        .ok_or_else(|| format!("{what} `{text}` is not a position"))
                })
                .transpose()
        };
        let chrom = |column| get(column).map(|c: &str| SmolStr::new(chromosome::bare(c)));
        // Harmonized coordinates where the row has them.
        let (chrom, pos) = match (chrom(self.hm_chrom), position(self.hm_pos, "hm_pos")?) {
            (Some(chrom), Some(pos)) => (Some(chrom), Some(pos)),
            _ => (chrom(self.chrom), position(self.pos, "chr_position")?),
        };
        let rsid = get(self.hm_rsid)
            .or_else(|| get(self.rsid))
            .map(SmolStr::new);
        if (chrom.is_none() || pos.is_none()) && rsid.is_none() {
            return Err("no position (hm_chr/hm_pos, chr_name/chr_position) and no rsID".into());
        }
        let allele = |text: &str, what: &str| {
            if !text.is_empty() && text.bytes().all(|b| b"ACGTNacgtn".contains(&b)) {
                Ok(match text.bytes().any(|b| b.is_ascii_lowercase()) {
                    true => smol_str::StrExt::to_ascii_uppercase_smolstr(text),
                    false => SmolStr::new(text),
                })
            } else {
                Err(format!("{what} `{text}` is not an allele (A, C, G, T, N)"))
            }
        };
        let effect = get(Some(self.effect)).ok_or("no effect_allele")?;
        let other = get(self.other)
            .map(|text| allele(text, "other_allele"))
            .transpose()?;
        let weight_text = get(Some(self.weight)).ok_or("no effect_weight")?;
        let weight = weight_text
            .parse::<f64>()
            .ok()
            .filter(|w| w.is_finite())
            .ok_or_else(|| format!("effect_weight `{weight_text}` is not a number"))?;
        Ok(ScoreVariant {
            line,
            rsid,
            chrom,
            pos,
            effect_allele: allele(effect, "effect_allele")?,
            other_allele: other,
            weight,
        })
    }
}
