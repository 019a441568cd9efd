//! Load: consented allele-count queries against one booted vault, each a distinct signed request, sent by a
//! second process (Debian's `wrk`, driven by `load.lua`) over many connections for a fixed time. Every
//! answer must be a 200 and every answered query must be in the owner's audit log with its receipt; the
//! vault still answers correctly afterwards. Prints the throughput, the latency percentiles (wrk's), the
//! vault's memory each second and, when the vault logs its stage times, where the time goes.
//!
//! `script/test` runs a 3-second version; `script/load` runs 60 seconds and says whether the targets
//! (>= 200 queries/s, p99 <= 50 ms, 0 errors, memory flat) are met. `DNAVAULT_LOAD_SECONDS` and
//! `DNAVAULT_LOAD_CONNECTIONS` set the run.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Write},
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use dnavault_protocol::{
    header::SignedHeader,
    query::{QueryResult, SignedQuery},
    upload::SignedUpload,
};
use dnavault_researcher::Researcher;
use dnavault_tests::chain_with_vault;
use serde_json::Value;

use crate::{
    crash::receipts,
    grants::terms_for,
    ingest::{approval, signed, small_vcf},
    query::{
        allele_counts, booted_bound_and_funded, connect, grant_scope, vault_with_genome_serving,
    },
};

/// How many requests are signed per second of the run: more than the vault can answer, so no wrk thread
/// runs out.
const SIGNED_PER_SECOND: u64 = 600;
/// wrk's threads: one per core the vault does not need for itself is too few on two cores; two share.
const WRK_THREADS: u32 = 2;
/// How many uploads are signed per second of the run, half of them by a stranger.
const UPLOADS_PER_SECOND: u64 = 3000;

/// One stage's times (microseconds) as the vault logged them.
#[derive(Default)]
struct StageTimes {
    busy: Vec<f64>,
    total: Vec<f64>,
}

/// What the vault logged: stage and request times (`DNAVAULT_LOG_SPAN_TIMES=1`) by name, and its warnings
/// and errors.
#[derive(Default)]
struct VaultLog {
    stages: BTreeMap<String, StageTimes>,
    warnings: Vec<String>,
}

/// Reads the vault's log to its end (a pipe nobody reads stops the vault once it fills).
fn drain_log(stderr: std::process::ChildStderr) -> Arc<Mutex<VaultLog>> {
    let log = Arc::new(Mutex::new(VaultLog::default()));
    let filling = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            let mut log = filling.lock().unwrap();
            if let Some((name, busy, idle)) = span_close(&line) {
                let times = log.stages.entry(name).or_default();
                times.busy.push(busy);
                times.total.push(busy + idle);
            } else if line.contains(" WARN ") || line.contains(" ERROR ") {
                log.warnings.push(line);
            }
        }
    });
    log
}

/// A span's close line from the vault's log: the stage's name (or `request` for a whole query request), its
/// busy and idle time in microseconds.
fn span_close(line: &str) -> Option<(String, f64, f64)> {
    let (spans, times) = line.split_once(": close ")?;
    let name = if let Some(at) = spans.rfind("stage{name=") {
        let rest = &spans[at + "stage{name=".len()..];
        rest[..rest.find('}')?].trim_matches('"').to_owned()
    } else if spans.contains("request{") && spans.contains("/v1/queries") {
        "request".to_owned()
    } else if spans.contains("request{") && spans.contains("/v1/objects") {
        "upload".to_owned()
    } else {
        return None;
    };
    let field = |key: &str| {
        let value = times.split(key).nth(1)?.split_whitespace().next()?;
        micros(value)
    };
    Some((name, field("time.busy=")?, field("time.idle=")?))
}

/// A duration as tracing prints it (`812ns`, `45.6µs`, `1.23ms`, `2.01s`), in microseconds.
fn micros(value: &str) -> Option<f64> {
    let split = value.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "ns" => 1e-3,
        "µs" | "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        _ => return None,
    };
    Some(number * scale)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(at).copied().unwrap_or(0.0)
}

/// The resident memory of process `pid` in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
    })
}

/// The load's settings: how long, over how many connections.
fn settings() -> (u64, u64) {
    (
        env_or("DNAVAULT_LOAD_SECONDS", 3),
        env_or("DNAVAULT_LOAD_CONNECTIONS", 8),
    )
}

/// One request line for `load.lua`: method, path, content type, a header, and the body (`@`: the shared
/// body file).
fn request_line(
    out: &mut impl Write,
    (method, path, content_type): (&str, &str, &str),
    (header, value): (&str, &str),
    body: &str,
) {
    writeln!(
        out,
        "{method}\t{path}\t{content_type}\t{header}\t{value}\t{body}"
    )
    .unwrap();
}

/// Samples the resident memory of process `pid` each second until `stop` is set.
fn sample_memory(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<u64>> {
    tokio::spawn(async move {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            samples.extend(rss_kib(pid));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        samples
    })
}

/// Runs wrk against `url` with the requests in `requests` (and the shared body in `body`): its result line.
async fn wrk(url: &str, requests: &std::path::Path, body: &std::path::Path) -> Value {
    let (seconds, connections) = settings();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/e2e/load.lua");
    let (url, requests, body) = (url.to_owned(), requests.to_owned(), body.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["-t", &WRK_THREADS.to_string()])
            .args(["-c", &connections.to_string()])
            .args([
                "-d",
                &format!("{seconds}s"),
                "--timeout",
                "10s",
                "-s",
                script,
            ])
            .arg(url.trim_end_matches('/'))
            .arg("--")
            .arg(&requests)
            .arg(WRK_THREADS.to_string())
            .arg(&body)
            .output()
            .expect("wrk (Debian's package; script/test installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "wrk: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("load-result "))
        .unwrap_or_else(|| panic!("wrk printed no result: {stdout}"));
    let result: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let number = |key: &str| result[key].as_u64().unwrap();
    let failed: u64 = ["connectErrors", "readErrors", "writeErrors", "timeouts"]
        .iter()
        .map(|key| number(key))
        .sum();
    assert_eq!(failed, 0, "wrk's connections failed: {line}");
    assert_eq!(number("exhaustedThreads"), 0, "too few signed requests");
    result
}

/// How many answers had `status`.
fn answered(result: &Value, status: u16) -> u64 {
    result["statuses"][status.to_string()].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn consented_queries_under_load_are_all_answered_and_recorded() {
    let (seconds, connections) = settings();
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    // The vault's own settings (anchoring every 64 receipts or a minute, the consent poll at 250 ms).
    let (mut vault, _wallet) = vault_with_genome_serving(&chain, dir.path(), &[]).await;
    let log = drain_log(vault.child.stderr.take().unwrap());
    let researcher = Researcher::new(chain.signer(2));
    let query = allele_counts(&[("22", 50_326_116)]);
    let terms = terms_for(&query);
    let scope = terms.descriptor.scope();
    grant_scope(&chain, &owner, researcher.address(), scope, false).await;
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let domain = client.domain();

    // Distinct signed requests, signed before the run so the load is the vault's alone.
    let requests = dir.path().join("requests.tsv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&requests).unwrap());
    for _ in 0..SIGNED_PER_SECOND * seconds {
        let prepared = researcher
            .prepare(1, &query, &terms, &domain, 600 + seconds)
            .unwrap();
        let body = serde_json::to_string(&prepared.submission).unwrap();
        let header = prepared.submission.signed.to_header();
        request_line(
            &mut file,
            ("POST", "/v1/queries", "application/json"),
            (SignedQuery::HEADER, &header),
            &body,
        );
    }
    file.into_inner().unwrap().sync_all().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let sampling = sample_memory(vault.child.id(), Arc::clone(&stop));
    let result = wrk(&vault.url, &requests, &requests).await;

    // The vault still answers, correctly, and every answered query is in the owner's log.
    let answer = attested.ask(&researcher, &query, &terms, &client).await;
    let warnings = log.lock().unwrap().warnings.join("\n");
    let answer = answer.unwrap_or_else(|e| panic!("{e}; the vault's warnings:\n{warnings}"));
    let QueryResult::AlleleCounts(counts) = answer.result else {
        panic!("not allele counts: {:?}", answer.result);
    };
    let site = &counts.sites[..];
    assert!(
        site.len() == 1 && site[0].alleles == ["C", "T"] && site[0].counts == [1, 1],
        "HG00096 is C/T at 22:50326116: {site:?}"
    );
    stop.store(true, Ordering::Relaxed);
    let memory = sampling.await.unwrap();
    report("queries", &result, &memory, &log.lock().unwrap().stages);
    let ok = answered(&result, 200);
    assert_eq!(
        ok,
        result["requests"].as_u64().unwrap(),
        "not every answer a 200: {result}"
    );
    assert!(ok > 0, "nothing answered: {result}");
    let logged = receipts(&chain, &vault, &owner).await.len() as u64;
    // wrk stops counting at the deadline: up to one request per connection may be answered after it.
    assert!(
        (ok + 1..=ok + 1 + connections).contains(&logged),
        "{ok} answers (and the last query) but {logged} receipts in the owner's log"
    );
}

/// Uploads the owner approved and uploads a stranger signed, sent at once: each approved one is stored (with
/// the genotype index made of it), each other refused (403) before its body is kept, and nothing else fails.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_accepted_and_refused_at_once_store_exactly_the_approved() {
    let (seconds, connections) = settings();
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _wallet) = booted_bound_and_funded(&chain, dir.path(), &[]).await;
    let log = drain_log(vault.child.stderr.take().unwrap());
    let body = small_vcf(20);
    let body_file = dir.path().join("upload.vcf");
    std::fs::write(&body_file, &body).unwrap();
    let stranger = chain.signer(5);
    let requests = dir.path().join("uploads.tsv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&requests).unwrap());
    for i in 0..UPLOADS_PER_SECOND * seconds {
        // Even ones the owner approved; odd ones a stranger signed.
        let object = format!("load-{i}.vcf");
        let signer = if i % 2 == 0 { &owner } else { &stranger };
        let header = signed(&chain, signer, approval(&object, &body)).await;
        request_line(
            &mut file,
            (
                "PUT",
                &format!("/v1/objects/{object}"),
                "application/octet-stream",
            ),
            (SignedUpload::HEADER, &header),
            "@",
        );
    }
    file.into_inner().unwrap().sync_all().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let sampling = sample_memory(vault.child.id(), Arc::clone(&stop));
    let result = wrk(&vault.url, &requests, &body_file).await;
    stop.store(true, Ordering::Relaxed);
    let memory = sampling.await.unwrap();
    report("uploads", &result, &memory, &log.lock().unwrap().stages);
    let (stored, refused) = (answered(&result, 201), answered(&result, 403));
    assert_eq!(
        stored + refused,
        result["requests"].as_u64().unwrap(),
        "only 201 and 403: {result}"
    );
    assert!(stored > 0 && refused > 0, "{result}");

    // What the vault holds: approved uploads only, each with its genotype index.
    let host = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        vault.data_dir.join("vault.db").display()
    ))
    .await
    .unwrap();
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM objects")
        .fetch_all(&host)
        .await
        .unwrap();
    let numbers = |ending: &str| -> Vec<u64> {
        ids.iter()
            .filter_map(|(id,)| id.strip_prefix("load-")?.strip_suffix(ending)?.parse().ok())
            .collect()
    };
    let (files, indexes) = (numbers(".vcf"), numbers(".vcf.genotypes"));
    assert!(
        files.iter().all(|i| i % 2 == 0),
        "a stranger's upload was stored"
    );
    assert_eq!(
        files.len(),
        indexes.len(),
        "each stored file has its genotype index"
    );
    // wrk stops counting at the deadline: up to one upload per connection may finish after it.
    let kept = files.len() as u64;
    assert!(
        (stored..=stored + connections).contains(&kept),
        "{stored} stored answers, {kept} files kept"
    );
}

fn report(what: &str, result: &Value, memory: &[u64], stages: &BTreeMap<String, StageTimes>) {
    let (seconds, connections) = settings();
    let number = |key: &str| result[key].as_f64().unwrap_or(0.0);
    let rate = number("requests") / (number("durationUs") / 1e6);
    let (p50, p99) = (number("p50Us") / 1e3, number("p99Us") / 1e3);
    println!(
        "load, {what}: {seconds} s, {connections} connections: {} answered ({}), {rate:.0}/s; \
         latency p50 {p50:.1} ms, p90 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms",
        number("requests"),
        result["statuses"],
        number("p90Us") / 1e3,
        number("maxUs") / 1e3,
    );
    // Memory is flat when it grows by at most 10% over the run's second half (the first fills the caches).
    // What still grows is the nonces remembered until their requests expire (at most an hour ahead).
    let (middle, last) = (memory.get(memory.len() / 2), memory.last());
    let growth = match (middle, last) {
        (Some(&middle), Some(&last)) if middle > 0 => {
            let at = |i: usize| memory.get(i).map_or(0, |kib| kib / 1024);
            let per_query = (last as f64 - middle as f64) * 1024.0 / (number("requests") / 2.0);
            println!(
                "vault memory (RSS): {} MiB at 1 s, {} MiB at {} s, {} MiB at the end (peak {} MiB); \
                 {per_query:.0} bytes a request over the second half",
                at(1),
                middle / 1024,
                memory.len() / 2,
                last / 1024,
                memory.iter().max().unwrap_or(&0) / 1024
            );
            (last as f64 - middle as f64) / middle as f64
        }
        _ => 0.0,
    };
    if what == "queries" {
        // Every answer other than a 200 is an error here (wrk's connection errors fail the run).
        let errors = number("requests") - answered(result, 200) as f64;
        let met = rate >= 200.0 && p99 <= 50.0 && errors == 0.0 && growth <= 0.1;
        println!(
            "targets (>= 200 queries/s, p99 <= 50 ms, 0 errors, memory within 10% over the second half): \
             {rate:.0}/s, {p99:.1} ms, {errors} errors, memory {:+.1}%: {}",
            growth * 100.0,
            if met { "PASS" } else { "MISS" }
        );
    }
    if stages.is_empty() {
        return;
    }
    println!(
        "where the time goes, per stage, as the vault logged it (`request`, `upload`: whole requests):"
    );
    for (name, times) in stages {
        let (mut busy, mut total) = (times.busy.clone(), times.total.clone());
        let mean = total.iter().sum::<f64>() / total.len() as f64;
        println!(
            "  {name:<8} x{:<6} mean {mean:>8.1} µs  p50 {:>8.1} µs  p99 {:>8.1} µs  (busy p50 {:>7.1} µs)",
            total.len(),
            percentile(&mut total, 0.5),
            percentile(&mut total, 0.99),
            percentile(&mut busy, 0.5),
        );
    }
}

#[test]
fn the_vaults_span_close_lines_are_read() {
    let stage = "2026-12-03T17:20:01.123Z DEBUG request{method=POST route=/v1/queries}:stage{name=\"record\"}: \
                 dnavault_vault::stage: close time.busy=41.2µs time.idle=1.85ms";
    let (name, busy, idle) = span_close(stage).unwrap();
    assert_eq!(name, "record");
    assert!((busy - 41.2).abs() < 1e-9 && (idle - 1850.0).abs() < 1e-9);
    let request = "2026-12-03T17:20:01.125Z  INFO request{method=POST route=/v1/queries}: \
                   dnavault_vault::api: close time.busy=812ns time.idle=2.5s";
    assert_eq!(
        span_close(request),
        Some(("request".to_owned(), 0.812, 2.5e6))
    );
    assert_eq!(span_close("INFO dnavault_vault::query: query ran"), None);
    assert_eq!(micros("3furlongs"), None);
}
