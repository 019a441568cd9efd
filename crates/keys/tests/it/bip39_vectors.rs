//! BIP39's published English test vectors (passphrase "TREZOR"), from the reference implementation's
//! vectors.json; each seed was also recomputed with Python's hashlib PBKDF2-HMAC-SHA512.

use dnavault_keys::{KeyError, SeedPhrase};

const VECTORS: &[(&str, &str, &str)] = &[
    (
        "00000000000000000000000000000000",
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    ),
    (
        "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
        "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607",
    ),
    (
        "80808080808080808080808080808080",
        "letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
        "d71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8",
    ),
    (
        "ffffffffffffffffffffffffffffffff",
        "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
        "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069",
    ),
    (
        "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
        "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal will",
        "f2b94508732bcbacbcc020faefecfc89feafa6649a5491b8c952cede496c214a0c7b3c392d168748f2d4a612bada0753b52a1c7ac53c1e93abd5c6320b9e95dd",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn published_vectors() {
    for &(entropy, words, seed) in VECTORS {
        let from_entropy = SeedPhrase::from_entropy(&unhex(entropy)).unwrap();
        assert_eq!(from_entropy.words().as_str(), words);
        let parsed = SeedPhrase::parse(words).unwrap();
        assert_eq!(hex(parsed.to_seed("TREZOR").expose()), seed, "{words}");
    }
}

#[test]
fn parsing_is_forgiving_about_space_and_case() {
    let messy = "  Abandon abandon\tabandon abandon abandon abandon\nabandon abandon abandon abandon abandon ABOUT \n";
    assert_eq!(
        hex(SeedPhrase::parse(messy).unwrap().to_seed("TREZOR").expose()),
        VECTORS[0].2
    );
}

#[test]
fn wrong_words_are_named_by_position_not_text() {
    let err = SeedPhrase::parse("abandon abandon abandon abandon abandon abandonn abandon abandon abandon abandon abandon about")
        .unwrap_err();
    assert!(
        matches!(err, KeyError::UnknownWord { position: 6 }),
        "{err:?}"
    );
    let message = err.to_string();
    assert_eq!(
        message,
        "word 6 of the recovery phrase is not in the BIP39 English word list"
    );
    assert!(!message.contains("abandonn"));
}

#[test]
fn bad_checksum_and_word_counts_are_refused() {
    let err = SeedPhrase::parse("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon")
        .unwrap_err();
    assert!(matches!(err, KeyError::Checksum), "{err:?}");
    for count in [0, 1, 11, 13, 25] {
        let words = vec!["abandon"; count].join(" ");
        let err = SeedPhrase::parse(&words).unwrap_err();
        assert!(
            matches!(err, KeyError::WordCount { count: c } if c == count),
            "{count}: {err:?}"
        );
    }
}

#[test]
fn generated_phrases_have_twelve_fresh_words() {
    let a = SeedPhrase::generate();
    let b = SeedPhrase::generate();
    assert_eq!(a.word_count(), 12);
    assert_ne!(a.words().as_str(), b.words().as_str());
    assert_eq!(
        SeedPhrase::parse(&a.words()).unwrap().words().as_str(),
        a.words().as_str()
    );
    assert_eq!(format!("{a:?}"), "SeedPhrase(12 words, redacted)");
}
