//! The genotype index: what a polygenic score reads of a one-person VCF or BCF (each record's chromosome,
//! position, IDs, alleles and genotype), in a compact form made once, when the file is stored, so a score
//! need not decompress and parse the whole file again. Positions are kept per chromosome in sorted arrays,
//! so each weight finds its records by binary search; the rest of a record is read only when a weight
//! lands on it. The vault stores it encrypted beside the file it was made from.
//!
//! Layout (little-endian): the magic `DNAVGTI1`; the chromosome count (u32); per chromosome its name
//! (u16 length, bytes) and record count (u32); then per chromosome its positions (u32 each, in order), the
//! end offset of each record's details in the chromosome's details (u32 each), the details' length (u32)
//! and the details: per record the lengths of its ID, REF, ALT (u16 each) and GT (u8) fields, then their
//! bytes, as the file writes them.

use std::{collections::HashMap, fmt};

use dnavault_protocol::query::chromosome;
use zeroize::Zeroizing;

use crate::{Genome, GenomeError, Variant};

const MAGIC: &[u8; 8] = b"DNAVGTI1";

/// Why a genotype index cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The bytes are not a genotype index.
    #[error("the genotype index is malformed at byte {at}: {what}")]
    Malformed {
        /// Where.
        at: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// Its bytes could not be read (from the store: they did not decrypt).
    #[error("the genotype index could not be read: {0}")]
    Read(String),
}

/// One record, as a score reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// IDs, `;`-separated, or `.`.
    pub id: &'a str,
    /// Reference allele.
    pub reference: &'a str,
    /// Alternate alleles, `,`-separated, or `.`.
    pub alt: &'a str,
    /// The genotype as VCF writes it.
    pub gt: &'a str,
}

impl<'a> RecordView<'a> {
    /// The view of a decoded record.
    pub fn of(variant: &'a Variant) -> Self {
        Self {
            id: &variant.id,
            reference: &variant.reference,
            alt: &variant.alt,
            gt: &variant.gt,
        }
    }

    /// Whether `id` is one of the record's IDs.
    pub fn has_id(&self, id: &str) -> bool {
        self.id.split(';').any(|own| own == id)
    }
}

/// Makes the genotype index of `genome` (read to its end), or `None` when its records cannot be indexed:
/// a chromosome in two runs, positions out of order or past 2^32, a field longer than the layout holds.
/// Such a genome is scored from the file.
pub fn build(genome: &mut Genome) -> Result<Option<Zeroizing<Vec<u8>>>, GenomeError> {
    let mut chromosomes: Vec<Chromosome> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut variant = Variant::default();
    while genome.next_into(|_, _| true, &mut variant)? {
        if chromosomes.last().is_none_or(|c| c.name != variant.chrom) {
            let bare = chromosome::bare(&variant.chrom).to_owned();
            if seen.insert(bare, chromosomes.len()).is_some() {
                return Ok(None);
            }
            chromosomes.push(Chromosome::new(&variant.chrom));
        }
        let last = chromosomes.last_mut().expect("pushed above");
        if !last.push(&variant) {
            return Ok(None);
        }
    }
    Ok(encode(&chromosomes))
}

/// One chromosome's records while the index is made. The positions say which sites the person's file
/// holds: wiped like the details.
struct Chromosome {
    name: String,
    positions: Zeroizing<Vec<u32>>,
    ends: Vec<u32>,
    details: Zeroizing<Vec<u8>>,
}

impl Chromosome {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            positions: Zeroizing::new(Vec::new()),
            ends: Vec::new(),
            details: Zeroizing::new(Vec::new()),
        }
    }

    /// Adds a record; false when the layout cannot hold it.
    fn push(&mut self, variant: &Variant) -> bool {
        let Ok(pos) = u32::try_from(variant.pos) else {
            return false;
        };
        if self.positions.last().is_some_and(|&last| last > pos) {
            return false;
        }
        let fields = [&variant.id, &variant.reference, &variant.alt];
        let (Ok(lengths), Ok(gt)) = (
            fields
                .map(|f| u16::try_from(f.len()))
                .into_iter()
                .collect::<Result<Vec<_>, _>>(),
            u8::try_from(variant.gt.len()),
        ) else {
            return false;
        };
        for length in lengths {
            self.details.extend_from_slice(&length.to_le_bytes());
        }
        self.details.push(gt);
        for field in fields {
            self.details.extend_from_slice(field.as_bytes());
        }
        self.details.extend_from_slice(variant.gt.as_bytes());
        let Ok(end) = u32::try_from(self.details.len()) else {
            return false;
        };
        self.positions.push(pos);
        self.ends.push(end);
        true
    }
}

fn encode(chromosomes: &[Chromosome]) -> Option<Zeroizing<Vec<u8>>> {
    let size: usize = chromosomes
        .iter()
        .map(|c| 10 + c.name.len() + 8 * c.positions.len() + c.details.len())
        .sum();
    let mut out = Zeroizing::new(Vec::with_capacity(12 + size));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(chromosomes.len()).ok()?.to_le_bytes());
    for chromosome in chromosomes {
        out.extend_from_slice(&u16::try_from(chromosome.name.len()).ok()?.to_le_bytes());
        out.extend_from_slice(chromosome.name.as_bytes());
        let count = u32::try_from(chromosome.positions.len()).ok()?;
        out.extend_from_slice(&count.to_le_bytes());
    }
    for chromosome in chromosomes {
        for pos in chromosome.positions.iter() {
            out.extend_from_slice(&pos.to_le_bytes());
        }
        for end in &chromosome.ends {
            out.extend_from_slice(&end.to_le_bytes());
        }
        let length = u32::try_from(chromosome.details.len()).ok()?;
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&chromosome.details);
    }
    Some(out)
}

/// A genotype index, read and checked.
pub struct GenotypeIndex {
    bytes: Zeroizing<Vec<u8>>,
    chromosomes: Vec<Table>,
    /// Each chromosome's table by its bare name (without `chr`).
    by_name: HashMap<String, usize>,
}

impl fmt::Debug for GenotypeIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Genotypes are never printed.
        f.debug_struct("GenotypeIndex")
            .field("chromosomes", &self.chromosomes.len())
            .finish_non_exhaustive()
    }
}

/// One chromosome's records.
struct Table {
    /// Which sites the person's file holds: wiped with the index.
    positions: Zeroizing<Vec<u32>>,
    /// Where each record's details end, from the start of `details`.
    ends: Vec<u32>,
    /// The byte range of the details in the index.
    details: std::ops::Range<usize>,
}

/// Finds the records at positions asked in any order; when they come in order, as a scoring file's rows
/// usually do, each search starts where the last one ended and gallops forward.
pub struct Finder<'i> {
    index: &'i GenotypeIndex,
    /// The chromosome last asked for (as asked), its table and where its last search ended.
    last: Option<(String, usize, usize)>,
}

impl<'i> Finder<'i> {
    /// The records at `pos` on `chrom` (named with or without `chr`), in file order.
    pub fn at(
        &mut self,
        chrom: &str,
        pos: u64,
    ) -> impl Iterator<Item = Result<RecordView<'i>, IndexError>> + use<'i> {
        let index = self.index;
        let table = match &self.last {
            Some((name, table, _)) if name == chrom => Some(*table),
            _ => {
                let table = index.by_name.get(chromosome::bare(chrom)).copied();
                self.last = table.map(|table| (chrom.to_owned(), table, 0));
                table
            }
        };
        let range = match (table, u32::try_from(pos)) {
            (Some(table), Ok(pos)) => {
                let positions = &index.chromosomes[table].positions;
                let hint = self.last.as_ref().map_or(0, |last| last.2);
                let first = first_at_or_after(positions, pos, hint);
                // Few records share a position: counted one by one.
                let end = first + positions[first..].iter().take_while(|&&p| p == pos).count();
                if let Some(last) = &mut self.last {
                    last.2 = first;
                }
                first..end
            }
            _ => 0..0,
        };
        range.map(move |i| index.record(&index.chromosomes[table.unwrap_or(0)], i))
    }
}

/// The first index of `positions` (sorted) holding `pos` or more, searched forward from `hint` by doubling
/// steps when `pos` lies at or after it, else over what lies before it.
fn first_at_or_after(positions: &[u32], pos: u32, hint: usize) -> usize {
    let hint = hint.min(positions.len());
    if hint == positions.len() || positions[hint] >= pos {
        if hint == 0 || positions[hint - 1] < pos {
            return hint;
        }
        return positions[..hint].partition_point(|&p| p < pos);
    }
    // positions[hint] < pos: gallop forward.
    let (mut low, mut step) = (hint, 1);
    while low + step < positions.len() && positions[low + step] < pos {
        low += step;
        step *= 2;
    }
    let high = (low + step).min(positions.len());
    low + 1 + positions[low + 1..high].partition_point(|&p| p < pos)
}

/// Reads the index's bytes front to back.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], IndexError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(IndexError::Malformed { at: self.at, what })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, IndexError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, IndexError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `count` u32 values, each at least the one before.
    fn sorted_u32s(&mut self, count: usize, what: &'static str) -> Result<Vec<u32>, IndexError> {
        let at = self.at;
        let bytes = self.take(
            count
                .checked_mul(4)
                .ok_or(IndexError::Malformed { at, what })?,
            what,
        )?;
        let values: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if values.windows(2).any(|pair| pair[0] > pair[1]) {
            return Err(IndexError::Malformed { at, what });
        }
        Ok(values)
    }
}

impl GenotypeIndex {
    /// Reads an index of `length` bytes from `input` (a decrypted store object), then [`parse`]s it.
    ///
    /// [`parse`]: Self::parse
    pub fn read(mut input: impl std::io::Read, length: u64) -> Result<Self, IndexError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(length).unwrap_or(0)));
        input
            .read_to_end(&mut bytes)
            .map_err(|e| IndexError::Read(e.to_string()))?;
        Self::parse(bytes)
    }

    /// Wipes and frees the index on a thread of its own, so an answer does not wait for it.
    pub fn wipe_in_background(self) {
        std::thread::spawn(move || drop(self));
    }

    /// Reads an index made by [`build`], checking every length and offset: a malformed index is refused,
    /// never read out of bounds.
    pub fn parse(bytes: Zeroizing<Vec<u8>>) -> Result<Self, IndexError> {
        let mut cursor = Cursor {
            bytes: &bytes,
            at: 0,
        };
        if cursor.take(MAGIC.len(), "not a genotype index")? != MAGIC {
            return Err(IndexError::Malformed {
                at: 0,
                what: "not a genotype index (version 1)",
            });
        }
        let count = cursor.u32("the chromosome count")? as usize;
        let mut names = Vec::new();
        for _ in 0..count {
            let length = cursor.u16("a chromosome's name")? as usize;
            let name =
                std::str::from_utf8(cursor.take(length, "a chromosome's name")?).map_err(|_| {
                    IndexError::Malformed {
                        at: cursor.at,
                        what: "a chromosome's name is not UTF-8",
                    }
                })?;
            names.push((name.to_owned(), cursor.u32("a record count")? as usize));
        }
        let mut chromosomes = Vec::new();
        let mut by_name = HashMap::new();
        for (name, records) in names {
            let positions =
                Zeroizing::new(cursor.sorted_u32s(records, "positions out of order or cut short")?);
            let ends = cursor.sorted_u32s(records, "record offsets out of order or cut short")?;
            let length = cursor.u32("the details' length")? as usize;
            let start = cursor.at;
            cursor.take(length, "the details are cut short")?;
            if ends.last().is_some_and(|&end| end as usize > length) {
                return Err(IndexError::Malformed {
                    at: start,
                    what: "a record ends past its chromosome's details",
                });
            }
            if by_name
                .insert(chromosome::bare(&name).to_owned(), chromosomes.len())
                .is_some()
            {
                return Err(IndexError::Malformed {
                    at: start,
                    what: "a chromosome appears twice",
                });
            }
            chromosomes.push(Table {
                positions,
                ends,
                details: start..start + length,
            });
        }
        if cursor.at != bytes.len() {
            return Err(IndexError::Malformed {
                at: cursor.at,
                what: "bytes after the last chromosome",
            });
        }
        Ok(Self {
            bytes,
            chromosomes,
            by_name,
        })
    }

    /// How many records the index holds.
    pub fn records(&self) -> usize {
        self.chromosomes.iter().map(|c| c.positions.len()).sum()
    }

    /// The records at `pos` on `chrom` (named with or without `chr`), in file order.
    pub fn at(
        &self,
        chrom: &str,
        pos: u64,
    ) -> impl Iterator<Item = Result<RecordView<'_>, IndexError>> {
        self.finder().at(chrom, pos)
    }

    /// A finder of records, fastest when asked for positions in order.
    pub fn finder(&self) -> Finder<'_> {
        Finder {
            index: self,
            last: None,
        }
    }

    fn record<'s>(&'s self, table: &Table, i: usize) -> Result<RecordView<'s>, IndexError> {
        let details = &self.bytes[table.details.clone()];
        let start = if i == 0 {
            0
        } else {
            table.ends[i - 1] as usize
        };
        let end = table.ends[i] as usize;
        let mut cursor = Cursor {
            bytes: &details[start..end],
            at: 0,
        };
        let bad = |at| IndexError::Malformed {
            at: table.details.start + start + at,
            what: "a record's fields are cut short or not UTF-8",
        };
        let lengths = [
            cursor.u16("a record")?,
            cursor.u16("a record")?,
            cursor.u16("a record")?,
        ];
        let gt_length = cursor.take(1, "a record")?[0] as usize;
        let mut text = |length: usize| {
            let at = cursor.at;
            let bytes = cursor.take(length, "a record").map_err(|_| bad(at))?;
            std::str::from_utf8(bytes).map_err(|_| bad(at))
        };
        let record = RecordView {
            id: text(lengths[0] as usize)?,
            reference: text(lengths[1] as usize)?,
            alt: text(lengths[2] as usize)?,
            gt: text(gt_length)?,
        };
        if cursor.at != end - start {
            return Err(bad(cursor.at));
        }
        Ok(record)
    }
}
