//! The genome analyses read the encrypted store as they read the plaintext file.

use std::path::Path;

use dnavault_genome::{Genome, lookup::Query, prs, score::ScoringFile};
use dnavault_store::{Layout, ObjectId, Store, bgzf};

const KEY: [u8; 32] = *b"a-data-key-for-the-genome-tests!";

fn testdata(path: &str) -> std::path::PathBuf {
    format!("{}/../testdata/{path}", env!("CARGO_MANIFEST_DIR")).into()
}

#[tokio::test]
async fn lookups_and_scores_from_the_encrypted_store_equal_the_plaintext_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), None).await.unwrap();
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
