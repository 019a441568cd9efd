//! One person's variant calls from a VCF or BCF file, one sample at a time.

use std::{
    fs::File,
    io::{BufRead, Read},
    path::{Path, PathBuf},
};

use crate::GenomeError;
use noodles::vcf::{
    self,
    variant::Record as _,
    variant::record::{
        AlternateBases, Ids, ReferenceBases,
        samples::{series::Value, series::value::genotype::Phasing},
    },
};
use noodles_util::variant::io::{Reader, reader::Builder};

use crate::Variant;

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
    /// Where the text reader reports a NUL byte.
    nul: NulSeen,
}

impl Genome {
    /// Opens `path` (VCF, bgzipped VCF or BCF, detected from its content) and chooses `sample`, which a
    /// multi-sample file requires.
    pub fn open(path: &Path, sample: Option<&str>) -> Result<Self, GenomeError> {
        let file = File::open(path).map_err(|source| GenomeError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_reader(path, Box::new(file), sample)
    }

    /// Reads a genome from `input` (a decrypted store object, say); `path` names it in errors.
    pub fn from_reader(
        path: &Path,
        input: Box<dyn Read + Send>,
        sample: Option<&str>,
    ) -> Result<Self, GenomeError> {
        Self::from_reader_with(path, input, |header| choose_sample(path, header, sample))
    }

    /// Like [`from_reader`](Self::from_reader), reading the first sample of a multi-sample file: for
    /// checks that every record is well formed.
    pub fn from_reader_first_sample(
        path: &Path,
        input: Box<dyn Read + Send>,
    ) -> Result<Self, GenomeError> {
        Self::from_reader_with(path, input, |header| match header.sample_names().len() {
            0 => choose_sample(path, header, None),
            _ => Ok(0),
        })
    }

    fn from_reader_with(
        path: &Path,
        input: Box<dyn Read + Send>,
        sample: impl FnOnce(&vcf::Header) -> Result<usize, GenomeError>,
    ) -> Result<Self, GenomeError> {
        let io = |source| GenomeError::Io {
            path: path.to_owned(),
            source,
        };
        let (mut reader, nul) = open_reader(input).map_err(io)?;
        let header = contained(|| reader.read_header().map_err(|e| chain(&e))).map_err(
            |reason| match nul.line() {
                Some(line) => GenomeError::NotText {
                    path: path.to_owned(),
                    line,
                },
                None => GenomeError::Header {
                    path: path.to_owned(),
                    reason,
                },
            },
        )?;
        let sample = sample(&header)?;
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
            nul,
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
        let mut variant = Variant::default();
        match self.next_into(|_, _| true, &mut variant) {
            Ok(true) => Some(Ok(variant)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Reads up to the next variant call whose chromosome and position `want` accepts, into `out` (its
    /// buffers reused); false at the end. Records `want` refuses are not decoded past CHROM and POS, so a
    /// scan for some positions is fast.
    pub fn next_into(
        &mut self,
        mut want: impl FnMut(&str, u64) -> bool,
        out: &mut Variant,
    ) -> Result<bool, GenomeError> {
        let mut record = std::mem::take(&mut self.record);
        let found = self.read_wanted(&mut want, &mut record);
        let result = match found {
            Ok(true) => contained(|| fill_variant(&record, &self.header, self.sample, out))
                .map(|()| true)
                .map_err(|reason| self.refuse(reason)),
            other => other,
        };
        self.record = record;
        result
    }

    /// Like repeated [`next_into`](Self::next_into), with the decoding of the accepted records on a second
    /// thread: this thread reads and filters, the other decodes and hands the variants, in file order, to
    /// `consume`, whose result is returned. A scan that decodes many records takes about half the time.
    pub fn scan_parallel<T: Send>(
        &mut self,
        mut want: impl FnMut(&str, u64) -> bool,
        consume: impl FnOnce(&mut dyn Iterator<Item = Result<Variant, GenomeError>>) -> T + Send,
    ) -> T {
        const BATCH: usize = 1024;
        type Batch = Vec<Result<(u64, noodles_util::variant::Record), GenomeError>>;
        let header = self.header.clone();
        let (sample, path, header_lines) = (self.sample, self.path.clone(), self.header_lines);
        let (batches, received) = std::sync::mpsc::sync_channel::<Batch>(4);
        // Decoded records go back to the reader to be read into again: no allocation and no cross-thread
        // free per record.
        let (spent, returned) =
            std::sync::mpsc::sync_channel::<Vec<noodles_util::variant::Record>>(4);
        std::thread::scope(|scope| {
            let decoder = scope.spawn(move || {
                let mut done = Vec::with_capacity(BATCH);
                let mut variants = received.into_iter().flatten().map(|read| {
                    let (number, record) = read?;
                    let mut variant = Variant::default();
                    let filled = contained(|| fill_variant(&record, &header, sample, &mut variant));
                    done.push(record);
                    if done.len() == BATCH {
                        let _ =
                            spent.try_send(std::mem::replace(&mut done, Vec::with_capacity(BATCH)));
                    }
                    filled
                        .map(|()| variant)
                        .map_err(|reason| GenomeError::Record {
                            path: path.clone(),
                            record: number,
                            line: header_lines + number,
                            reason,
                        })
                });
                consume(&mut variants)
            });
            let mut batch: Batch = Vec::with_capacity(BATCH);
            let mut pool: Vec<noodles_util::variant::Record> = Vec::new();
            loop {
                if pool.is_empty()
                    && let Ok(records) = returned.try_recv()
                {
                    pool = records;
                }
                let mut record = pool.pop().unwrap_or_default();
                match self.read_wanted(&mut want, &mut record) {
                    Ok(true) => batch.push(Ok((self.records, record))),
                    Ok(false) => break,
                    Err(e) => {
                        batch.push(Err(e));
                        break;
                    }
                }
                // The decoder stopped early (an error): stop reading.
                if batch.len() == BATCH && batches.send(std::mem::take(&mut batch)).is_err() {
                    break;
                }
            }
            if !batch.is_empty() {
                let _ = batches.send(batch);
            }
            drop(batches);
            decoder
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// Reads records into `record` until one whose CHROM and POS `want` accepts (true) or the end (false).
    fn read_wanted(
        &mut self,
        want: &mut impl FnMut(&str, u64) -> bool,
        record: &mut noodles_util::variant::Record,
    ) -> Result<bool, GenomeError> {
        loop {
            let (reader, header) = (&mut self.reader, &self.header);
            let read = contained(|| {
                if reader.read_record(record).map_err(|e| chain(&e))? == 0 {
                    return Ok(None);
                }
                let chrom = record
                    .reference_sequence_name(header)
                    .map_err(|e| format!("CHROM: {e}"))?;
                Ok(Some(want(chrom, position(record)?)))
            });
            self.records += 1;
            match read {
                Ok(None) => return Ok(false),
                Ok(Some(true)) => return Ok(true),
                Ok(Some(false)) => {}
                Err(reason) => return Err(self.refuse(reason)),
            }
        }
    }

    fn refuse(&self, reason: String) -> GenomeError {
        if let Some(line) = self.nul.line() {
            return GenomeError::NotText {
                path: self.path.clone(),
                line,
            };
        }
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

/// The index of `sample` in `header`, which a multi-sample file requires.
pub(crate) fn choose_sample(
    path: &Path,
    header: &vcf::Header,
    sample: Option<&str>,
) -> Result<usize, GenomeError> {
    let names = header.sample_names();
    let listed = || {
        let mut text: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        if names.len() > 5 {
            text.push("...");
        }
        text.join(", ")
    };
    match (sample, names.len()) {
        (_, 0) => Err(GenomeError::NoSamples {
            path: path.to_owned(),
        }),
        (None, 1) => Ok(0),
        (None, count) => Err(GenomeError::SampleNeeded {
            path: path.to_owned(),
            count,
            names: listed(),
        }),
        (Some(name), _) => names
            .get_index_of(name)
            .ok_or_else(|| GenomeError::NoSuchSample {
                path: path.to_owned(),
                sample: name.to_owned(),
                names: listed(),
            }),
    }
}

/// Fills `out` with the record's fields, reusing its buffers (millions of records are decoded per score).
pub(crate) fn fill_variant(
    record: &dyn vcf::variant::Record,
    header: &vcf::Header,
    sample: usize,
    out: &mut Variant,
) -> Result<(), String> {
    out.chrom.clear();
    out.chrom.push_str(
        record
            .reference_sequence_name(header)
            .map_err(|e| format!("CHROM: {e}"))?,
    );
    out.pos = position(record)?;
    out.id.clear();
    for (i, id) in record.ids().iter().enumerate() {
        if i > 0 {
            out.id.push(';');
        }
        out.id.push_str(id);
    }
    if out.id.is_empty() {
        out.id.push('.');
    }
    out.reference.clear();
    for base in record.reference_bases().iter() {
        out.reference
            .push(char::from(base.map_err(|e| format!("REF: {e}"))?));
    }
    out.alt.clear();
    for (i, alternate) in record.alternate_bases().iter().enumerate() {
        if i > 0 {
            out.alt.push(',');
        }
        out.alt
            .push_str(alternate.map_err(|e| format!("ALT: {e}"))?);
    }
    if out.alt.is_empty() {
        out.alt.push('.');
    }
    out.gt.clear();
    genotype(record, header, sample, &mut out.gt)?;
    if out.gt.is_empty() {
        out.gt.push('.');
    }
    Ok(())
}

fn position(record: &dyn vcf::variant::Record) -> Result<u64, String> {
    match record.variant_start() {
        Some(Ok(position)) => Ok(usize::from(position) as u64),
        Some(Err(e)) => Err(format!("POS: {e}")),
        None => Err("POS is missing".into()),
    }
}

/// Appends the sample's GT as VCF text to `text`; nothing when the record has no GT or the sample's is
/// missing.
fn genotype(
    record: &dyn vcf::variant::Record,
    header: &vcf::Header,
    sample: usize,
    text: &mut String,
) -> Result<(), String> {
    use std::fmt::Write as _;
    let samples = record.samples().map_err(|e| format!("FORMAT: {e}"))?;
    let Some(series) = samples.select(header, "GT") else {
        return Ok(());
    };
    let series = series.map_err(|e| format!("GT: {e}"))?;
    let value = match series.get(header, sample) {
        None | Some(None) => return Ok(()),
        Some(Some(value)) => value.map_err(|e| format!("GT: {e}"))?,
    };
    let Value::Genotype(genotype) = value else {
        return Err("GT is not a genotype".into());
    };
    for (i, allele) in genotype.iter().enumerate() {
        let (position, phasing) = allele.map_err(|e| format!("GT: {e}"))?;
        if i > 0 {
            text.push(match phasing {
                Phasing::Phased => '|',
                Phasing::Unphased => '/',
            });
        }
        match position {
            Some(position) => {
                let _ = write!(text, "{position}");
            }
            None => text.push('.'),
        }
    }
    Ok(())
}

/// A reader for VCF (plain, bgzipped or plain-gzipped) or BCF. BGZF (bgzipped VCF, BCF) is decompressed by
/// noodles on a thread of its own, ahead of the parser ([`Inflated`]); a gzip stream without BGZF blocks (plain `gzip`) is
/// decompressed with flate2, as htslib does; noodles then detects VCF or BCF.
fn open_reader(input: Box<dyn Read + Send>) -> std::io::Result<(Reader<Box<dyn Read>>, NulSeen)> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let head = input.fill_buf()?;
    let gzip = head.len() >= 10 && head[..3] == [0x1f, 0x8b, 8];
    let bgzf = gzip && head.len() >= 18 && head[3] & 4 != 0 && &head[12..14] == b"BC";
    let decompressed: Box<dyn Read> = if bgzf {
        Box::new(Inflated::spawn(noodles::bgzf::io::Reader::new(input)))
    } else if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    // Small, so that the parser's own reads (8 KiB) bypass it: no copy more per byte.
    let mut decompressed = std::io::BufReader::with_capacity(4096, decompressed);
    let binary = decompressed.fill_buf()?.starts_with(b"BCF");
    let nul = NulSeen::default();
    let input: Box<dyn Read> = match binary {
        true => Box::new(crate::framing::BcfFramed::new(decompressed)),
        false => Box::new(TextOnly::new(decompressed, nul.clone())),
    };
    let reader = Builder::default()
        .set_compression_method(None)
        .build_from_reader(input)?;
    Ok((reader, nul))
}

/// The line a text reader found a NUL byte on (0: none yet), shared with whoever reads the errors: the
/// parser may report the failed read without its cause.
#[derive(Clone, Default)]
struct NulSeen(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl NulSeen {
    fn line(&self) -> Option<u64> {
        Some(self.0.load(std::sync::atomic::Ordering::Relaxed)).filter(|line| *line > 0)
    }

    fn saw(&self, line: u64) {
        self.0.store(line, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A VCF's text as the parser reads it: refused at its first NUL byte (no VCF holds one, and a field with
/// one inside is read differently by each tool: C strings end there), and with an empty Description given
/// to an INFO or FORMAT header line that has none (bcftools reads such files; noodles refuses them).
struct TextOnly<R> {
    inner: R,
    /// Lines given to the parser so far.
    lines: u64,
    nul: NulSeen,
    /// Header lines, as given to the parser, not yet read.
    header: Vec<u8>,
    read_from_header: usize,
    in_header: bool,
}

impl<R: BufRead> TextOnly<R> {
    fn new(inner: R, nul: NulSeen) -> Self {
        Self {
            inner,
            lines: 0,
            nul,
            header: Vec::new(),
            read_from_header: 0,
            in_header: true,
        }
    }

    /// The next header line into `self.header`, described if it needs to be; false at the end.
    fn next_header_line(&mut self) -> std::io::Result<bool> {
        self.header.clear();
        self.read_from_header = 0;
        if self.inner.read_until(b'\n', &mut self.header)? == 0 {
            return Ok(false);
        }
        if !self.header.starts_with(b"##") {
            self.in_header = false;
        } else if described_field_definition(&self.header) {
            let end = self.header.iter().rposition(|b| *b == b'>').unwrap_or(0);
            self.header
                .splice(end..end, b",Description=\"\"".iter().copied());
        }
        Ok(true)
    }
}

/// Whether `line` is an INFO or FORMAT definition lacking a Description, that is: one to describe.
fn described_field_definition(line: &[u8]) -> bool {
    let definition = line.starts_with(b"##INFO=<") || line.starts_with(b"##FORMAT=<");
    definition
        && memchr::memmem::find(line, b"Description=").is_none()
        && line.iter().rposition(|b| *b == b'>').is_some()
}

impl<R: BufRead> Read for TextOnly<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = if self.read_from_header < self.header.len() {
            let left = &self.header[self.read_from_header..];
            let n = out.len().min(left.len());
            out[..n].copy_from_slice(&left[..n]);
            self.read_from_header += n;
            n
        } else if self.in_header {
            if !self.next_header_line()? {
                return Ok(0);
            }
            return self.read(out);
        } else {
            self.inner.read(out)?
        };
        let read = &out[..n];
        if let Some(at) = memchr::memchr(0, read) {
            let line = self.lines + memchr::memchr_iter(b'\n', &read[..at]).count() as u64 + 1;
            self.nul.saw(line);
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("line {line} holds a NUL byte"),
            ));
        }
        self.lines += memchr::memchr_iter(b'\n', read).count() as u64;
        Ok(n)
    }
}

/// Decompressed bytes produced on a background thread, a few blocks ahead of the reader: parsing and
/// inflating then use a core each, with none of the hand-offs of a worker pool (measured: noodles'
/// multithreaded reader spent a sixth of the CPU yielding on two cores).
struct Inflated {
    blocks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    /// Read blocks go back to the inflating thread for reuse: no allocation, zeroing or cross-thread free
    /// per block.
    spent: std::sync::mpsc::SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Inflated {
    const BLOCK: usize = 1 << 20;
    const AHEAD: usize = 4;

    fn spawn(mut source: impl Read + Send + 'static) -> Self {
        let (sender, blocks) = std::sync::mpsc::sync_channel(Self::AHEAD);
        let (spent, returned) = std::sync::mpsc::sync_channel::<Vec<u8>>(Self::AHEAD + 2);
        std::thread::spawn(move || {
            loop {
                let mut block = returned
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(Self::BLOCK));
                block.resize(Self::BLOCK, 0);
                let mut filled = 0;
                while filled < Self::BLOCK {
                    match source.read(&mut block[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = sender.send(Err(e));
                            return;
                        }
                    }
                }
                block.truncate(filled);
                // The reader went away, or the input ended.
                if sender.send(Ok(block)).is_err() || filled < Self::BLOCK {
                    return;
                }
            }
        });
        Self {
            blocks,
            spent,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.blocks.recv() {
                Ok(block) => {
                    let spent = std::mem::replace(&mut self.current, block?);
                    if spent.capacity() > 0 {
                        // Full when the thread is ahead or gone: the block is then dropped here.
                        let _ = self.spent.try_send(spent);
                    }
                    self.at = 0;
                    if self.current.is_empty() {
                        return Ok(0);
                    }
                }
                // The thread ended after the last block.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
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

/// `parse`'s result, with a panic inside the parser (noodles leaves `todo!()`s for inputs it does not
/// handle, such as a BCF genotype wider than 8 bits) turned into a refusal: the file is refused, the
/// process goes on.
fn contained<T>(parse: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    quiet_when_contained();
    CONTAINING.with(|depth| depth.set(depth.get() + 1));
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse));
    CONTAINING.with(|depth| depth.set(depth.get() - 1));
    parsed.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(format!(
            "the VCF/BCF reader (noodles) cannot read this ({what}); bcftools may convert it to a \
             form it reads: `bcftools view -Oz`"
        ))
    })
}

thread_local! {
    /// How many contained parses this thread is inside.
    static CONTAINING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A panic inside a contained parse is that parse's error, reported as one: the panic hook's message is not
/// printed for it as well. Other panics are printed by the hook that was in place.
fn quiet_when_contained() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CONTAINING.with(std::cell::Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// An error and its sources: noodles nests the field that failed under a generic message.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    if text == "missing field" {
        text.push_str(" (a column is empty or absent: VCF writes `.` for a missing value)");
    }
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // An io::Error made from a message is its own source: said once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
