//! The genome analyses read the encrypted store as they read the plaintext file.

use std::path::Path;

use dnavault_genome::{Genome, IndexedGenome, lookup::Query, prs, score::ScoringFile};
use dnavault_store::DataKey;
use dnavault_store::{Layout, ObjectId, Store, bgzf};

static KEY: std::sync::LazyLock<DataKey> = std::sync::LazyLock::new(|| {
    DataKey::from_slice(b"a-data-key-for-the-genome-tests!").expect("32 bytes")
});

fn testdata(path: &str) -> std::path::PathBuf {
    format!("{}/../testdata/{path}", env!("CARGO_MANIFEST_DIR")).into()
}

#[tokio::test]
async fn lookups_and_scores_from_the_encrypted_store_equal_the_plaintext_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), None).await.unwrap();
    store.open_audit_chain(&KEY, None).await.unwrap();
    let id = ObjectId::new("chr22.vcf.gz").unwrap();
    let plain = testdata("vcf/real/chr22.vcf.gz");
    let staged = store
        .stage_with(&KEY, &id, "vcf.gz", Layout::Bgzf, |writer| {
            bgzf::copy_blocks(std::fs::File::open(&plain).unwrap(), writer)
        })
        .unwrap();
    store
        .commit(vec![staged], "owner", "ingest", None)
        .await
        .unwrap();

    let regions = dir.path().join("regions.tsv");
    std::fs::write(&regions, "22\t50300078\t50400000\n22\t51000000\t51100000\n").unwrap();
    let query = Query::regions_file(&regions).unwrap();
    let from_store = {
        let object = store.open_object(&KEY, &id).await.unwrap();
        let mut genome =
            Genome::from_reader(Path::new("chr22.vcf.gz"), Box::new(object), Some("HG00100"))
                .unwrap();
        dnavault_genome::lookup::lookup(&mut genome, &query)
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let mut genome = Genome::open(&plain, Some("HG00100")).unwrap();
    let from_file = dnavault_genome::lookup::lookup(&mut genome, &query)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert!(from_store.len() > 100);
    assert_eq!(from_store, from_file);

    // Through the tabix index, also stored encrypted: only the blocks holding the regions are decrypted.
    let index_id = ObjectId::new("chr22.vcf.gz.tbi").unwrap();
    let index_file = std::fs::File::open(testdata("vcf/real/chr22.vcf.gz.tbi")).unwrap();
    let staged = store
        .stage(&KEY, &index_id, "tbi", Layout::Fixed, index_file)
        .unwrap();
    store
        .commit(vec![staged], "owner", "ingest", None)
        .await
        .unwrap();
    let object = store.open_object(&KEY, &id).await.unwrap();
    let index = store.open_object(&KEY, &index_id).await.unwrap();
    let mut indexed =
        IndexedGenome::open(Path::new("chr22.vcf.gz"), object, index, Some("HG00100")).unwrap();
    assert_eq!(indexed.lookup(&query).unwrap(), from_file);
    let narrow = dir.path().join("narrow.tsv");
    std::fs::write(
        &narrow,
        "22\t50300078\n22\t51000000\t51000100\n22\t50300086\t50300101\n",
    )
    .unwrap();
    let narrow = Query::regions_file(&narrow).unwrap();
    let mut genome = Genome::open(&plain, Some("HG00100")).unwrap();
    let scanned = dnavault_genome::lookup::lookup(&mut genome, &narrow)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(indexed.lookup(&narrow).unwrap(), scanned);

    let score = dir.path().join("score.txt");
    std::fs::write(
        &score,
        "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n\
         rs7410291\t22\t50300078\tG\tA\t0.25\n\
         rs147922003\t22\t50300086\tT\tC\t-1.5\n",
    )
    .unwrap();
    let score = ScoringFile::read(&score).unwrap();
    let object = store.open_object(&KEY, &id).await.unwrap();
    let mut genome =
        Genome::from_reader(Path::new("chr22.vcf.gz"), Box::new(object), Some("HG00099")).unwrap();
    let result = prs::score(&mut genome, &score).unwrap();
    // HG00099 is 1|0 at rs7410291 and 0|0 at rs147922003.
    assert_eq!((result.variants_matched, result.score_sum), (2, 0.25));
}
