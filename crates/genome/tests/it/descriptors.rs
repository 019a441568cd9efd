//! The score descriptors the protocol ships pin the PGS Catalog files in testdata: the SHA-256 of each
//! file's text, its weight count, id and reported trait, as the vault checks them before it scores.

use std::io::Read;

use dnavault_genome::score::ScoringFile;
use dnavault_protocol::descriptor::{Descriptor, SCORES, weights_digest};

use crate::testdata;

#[test]
fn shipped_score_descriptors_pin_their_scoring_files() {
    for (file, text) in SCORES {
        let Descriptor::PolygenicScore {
            pgs_id,
            weights_sha256,
            variants,
            trait_reported,
        } = serde_json::from_str(text).unwrap()
        else {
            panic!("{file} is not a score descriptor");
        };
        let plain = testdata(&format!("pgs/{pgs_id}_hmPOS_GRCh37.txt"));
        let scoring_text = match std::fs::read_to_string(&plain) {
            Ok(text) => text,
            Err(_) => {
                let gz = std::fs::File::open(plain.with_extension("txt.gz")).unwrap();
                let mut text = String::new();
                flate2::read::MultiGzDecoder::new(gz)
                    .read_to_string(&mut text)
                    .unwrap();
                text
            }
        };
        assert_eq!(weights_digest(&scoring_text), weights_sha256, "{file}");
        let parsed = ScoringFile::parse(&plain, &scoring_text).unwrap();
        assert_eq!(parsed.pgs_id.as_deref(), Some(pgs_id.as_str()), "{file}");
        assert_eq!(
            parsed.trait_reported.as_deref(),
            Some(trait_reported.as_str()),
            "{file}"
        );
        assert_eq!(parsed.variants.len() as u64, variants, "{file}");
    }
}
