//! Uploads: only the owner's approval for the exact bytes stores anything; a kill mid-upload loses nothing.

use std::{io::Read, path::Path, time::Duration};

use alloy::{
    primitives::{B256, U256},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolStruct,
};
use dnavault_protocol::{
    eip712::registry_domain,
    header::SignedHeader,
    upload::{SignedUpload, UploadApproval},
};
use dnavault_ratls::{Client, Pin, RatlsError};
use dnavault_store::{ObjectId, Store};
use dnavault_testkit::TestChain;
use serde_json::Value;
use sha2::{Digest, Sha256};

use dnavault_tests::{VaultProcess, booted_vault, chain_with_vault, control, found_in, testdata};

/// An approval for `bytes` as `object` in vault 1, valid for an hour.
pub(crate) fn approval(object: &str, bytes: &[u8]) -> UploadApproval {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    UploadApproval {
        vaultId: U256::from(1),
        objectId: object.into(),
        contentSha256: B256::from(<[u8; 32]>::from(Sha256::digest(bytes))),
        size: bytes.len() as u64,
        nonce: B256::from(<[u8; 32]>::from(Sha256::digest(format!(
            "{object}{now}{}",
            bytes.len()
        )))),
        deadline: U256::from(now + 3600),
    }
}

pub(crate) async fn signed(
    chain: &TestChain,
    signer: &PrivateKeySigner,
    approval: UploadApproval,
) -> String {
    let digest =
        approval.eip712_signing_hash(&registry_domain(chain.chain_id(), chain.registry_address()));
    let signature = signer.sign_hash(&digest).await.unwrap();
    SignedUpload {
        approval,
        signature: signature.as_bytes().to_vec().into(),
    }
    .to_header()
}

pub(crate) async fn put(
    vault: &VaultProcess,
    object: &str,
    header: Option<String>,
    file: &Path,
) -> Result<Value, RatlsError> {
    put_to(&vault.url, vault.tls_spki, object, header, file).await
}

/// Uploads `file` as `object` to the vault at `url`, whose TLS key is `spki`.
pub(crate) async fn put_to(
    url: &str,
    spki: [u8; 32],
    object: &str,
    header: Option<String>,
    file: &Path,
) -> Result<Value, RatlsError> {
    let headers: Vec<(&str, String)> = header
        .map(|h| (SignedUpload::HEADER, h))
        .into_iter()
        .collect();
    Client::new(url, Pin::Spki(spki))
        .unwrap()
        .put_file(&format!("v1/objects/{object}"), &headers, file)
        .await
        .map(|fetched| fetched.value)
}

pub(crate) async fn read_object(
    dir: &Path,
    key: &dnavault_store::DataKey,
    object: &str,
) -> Vec<u8> {
    let store = Store::open(dir, None).await.unwrap();
    store.open_audit_chain(key, None).await.unwrap();
    let mut reader = store
        .open_object(key, &ObjectId::new(object).unwrap())
        .await
        .unwrap();
    let mut plain = Vec::new();
    reader.read_to_end(&mut plain).unwrap();
    store.close().await;
    plain
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_boots_and_uploads_a_genome_with_the_wallet() {
    let (chain, seed, _) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, wallet) = tokio::task::block_in_place(|| booted_vault(&chain, dir.path()));
    let genome = testdata("vcf/real/chr22.vcf.gz");
    let index = testdata("vcf/real/chr22.vcf.gz.tbi");
    for file in [&genome, &index] {
        let run = wallet.upload(&chain, &vault, file);
        assert!(run.ok, "{}", run.stderr);
        assert!(run.stdout.starts_with("Stored"), "{}", run.stdout);
    }
    let key = seed
        .data_key(chain.chain_id(), chain.registry_address(), 1)
        .unwrap();
    let original = std::fs::read(&genome).unwrap();
    let (ok, text) = control(&vault.data_dir, "seal");
    assert!(ok, "{text}");
    assert!(vault.child.wait().unwrap().success());
    // The store, reopened once the vault has stopped, holds them byte for byte.
    assert_eq!(
        read_object(&vault.data_dir, &key, "chr22.vcf.gz").await,
        original
    );
    assert_eq!(
        read_object(&vault.data_dir, &key, "chr22.vcf.gz.tbi").await,
        std::fs::read(&index).unwrap()
    );

    // After a session of use, neither the data key nor any stretch of the genome or its index is on disk in
    // clear: not in the objects, not in the database.
    assert_eq!(
        found_in(&vault.data_dir, key.expose()),
        None,
        "data key on disk"
    );
    for (name, bytes) in [
        ("genome", &original),
        ("index", &std::fs::read(&index).unwrap()),
    ] {
        for at in [0, bytes.len() / 3, bytes.len() - 64] {
            assert_eq!(
                found_in(&vault.data_dir, &bytes[at..at + 64]),
                None,
                "{name} bytes at {at} on disk"
            );
        }
    }
    assert!(vault.data_dir.join("vault.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_without_the_owners_approval_of_the_exact_bytes_are_refused() {
    let (chain, _, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = tokio::task::block_in_place(|| booted_vault(&chain, dir.path()));
    let content = small_vcf(100);
    let file = dir.path().join("small.vcf");
    std::fs::write(&file, &content).unwrap();
    let stranger = chain.signer(2);

    let status = |result: Result<Value, RatlsError>| match result {
        Err(RatlsError::Status {
            status, message, ..
        }) => (status, message),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let (code, message) = status(put(&vault, "small.vcf", None, &file).await);
    assert_eq!(code, 401, "{message}");
    // A header that is not a signed approval is refused with what is wrong with it.
    let (code, message) = status(put(&vault, "small.vcf", Some("not-hex".into()), &file).await);
    assert!(
        code == 401 && message.contains("the x-dnavault-upload header is not hex"),
        "{code} {message}"
    );
    let (code, message) = status(put(&vault, "small.vcf", Some("7b7d".into()), &file).await);
    assert!(
        code == 401 && message.contains("does not hold a signed message"),
        "{code} {message}"
    );
    let by_stranger = signed(&chain, &stranger, approval("small.vcf", &content)).await;
    let (code, message) = status(put(&vault, "small.vcf", Some(by_stranger), &file).await);
    assert!(code == 403 && message.contains("owner"), "{code} {message}");
    let mut other_vault = approval("small.vcf", &content);
    other_vault.vaultId = U256::from(2);
    let (code, message) = status(
        put(
            &vault,
            "small.vcf",
            Some(signed(&chain, &owner, other_vault).await),
            &file,
        )
        .await,
    );
    assert!(
        code == 403 && message.contains("vault 2"),
        "{code} {message}"
    );
    let (code, message) = status(
        put(
            &vault,
            "other.vcf",
            Some(signed(&chain, &owner, approval("small.vcf", &content)).await),
            &file,
        )
        .await,
    );
    assert!(
        code == 403 && message.contains("small.vcf"),
        "{code} {message}"
    );
    let mut expired = approval("small.vcf", &content);
    expired.deadline = U256::from(1);
    let (code, message) = status(
        put(
            &vault,
            "small.vcf",
            Some(signed(&chain, &owner, expired).await),
            &file,
        )
        .await,
    );
    assert!(
        code == 403 && message.contains("expired"),
        "{code} {message}"
    );
    let mut altered = content.clone();
    altered[5] ^= 1;
    let other_bytes = signed(&chain, &owner, approval("small.vcf", &altered)).await;
    let (code, message) = status(put(&vault, "small.vcf", Some(other_bytes), &file).await);
    assert!(
        code == 400 && message.contains("not what the owner approved"),
        "{code} {message}"
    );
    let shorter = signed(&chain, &owner, approval("small.vcf", &content[1..])).await;
    let (code, message) = status(put(&vault, "small.vcf", Some(shorter), &file).await);
    assert!(
        code == 400 && message.contains("longer than"),
        "{code} {message}"
    );
    let objects = || {
        std::fs::read_dir(vault.data_dir.join("objects"))
            .unwrap()
            .count()
    };
    // The approved bytes, but not a readable genome: refused with the line and reason, nothing kept.
    let malformed = std::fs::read(testdata("vcf/edge-cases/strelka.vcf.gz")).unwrap();
    let malformed_file = dir.path().join("strelka.vcf.gz");
    std::fs::write(&malformed_file, &malformed).unwrap();
    let approved = signed(&chain, &owner, approval("strelka.vcf.gz", &malformed)).await;
    let (code, message) =
        status(put(&vault, "strelka.vcf.gz", Some(approved), &malformed_file).await);
    assert!(
        code == 400 && message.contains("strelka.vcf.gz: record 1 (line 55)"),
        "{code} {message}"
    );
    assert_eq!(objects(), 0, "nothing refused was kept");
    // The vault's own genotype indexes cannot be uploaded, even with the owner's approval.
    let index = "small.vcf.genotypes";
    let approved = signed(&chain, &owner, approval(index, &content)).await;
    let (code, message) = status(put(&vault, index, Some(approved), &file).await);
    assert!(
        code == 400 && message.contains("the vault's own genotype indexes"),
        "{code} {message}"
    );

    // The approval alone is checked before any content is sent: the stranger's refused, the owner's
    // accepted, and once used, refused as a replay.
    let preflight = |header: String| {
        let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
        async move {
            client
                .post_with::<_, Value>(
                    "v1/objects/small.vcf/approval",
                    &[(SignedUpload::HEADER, header)],
                    &serde_json::json!({}),
                )
                .await
                .map(|fetched| fetched.value)
        }
    };
    let by_stranger = signed(&chain, &stranger, approval("small.vcf", &content)).await;
    let (code, message) = status(preflight(by_stranger).await);
    assert!(code == 403 && message.contains("owner"), "{code} {message}");
    let good = signed(&chain, &owner, approval("small.vcf", &content)).await;
    assert_eq!(preflight(good.clone()).await.unwrap()["accepted"], true);
    assert_eq!(objects(), 0, "a preflight stores nothing");

    let stored = put(&vault, "small.vcf", Some(good.clone()), &file)
        .await
        .unwrap();
    assert_eq!(stored["size"], content.len());
    let (code, message) = status(put(&vault, "small.vcf", Some(good.clone()), &file).await);
    assert!(
        code == 409 && message.contains("replayed"),
        "{code} {message}"
    );
    let (code, message) = status(preflight(good).await);
    assert!(
        code == 409 && message.contains("replayed"),
        "{code} {message}"
    );
    assert_eq!(objects(), 2, "the file, and the genotype index made of it");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_killed_mid_upload_restarts_with_its_previous_data() {
    let (chain, seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _wallet) = tokio::task::block_in_place(|| booted_vault(&chain, dir.path()));
    let first = dir.path().join("v1.bin");
    std::fs::write(&first, small_vcf(1000)).unwrap();
    let v1 = std::fs::read(&first).unwrap();
    put(
        &vault,
        "data.bin",
        Some(signed(&chain, &owner, approval("data.bin", &v1)).await),
        &first,
    )
    .await
    .unwrap();

    // A large second version; the vault is killed (SIGKILL) while it is being written.
    let second = dir.path().join("v2.bin");
    let v2: Vec<u8> = (0..(256u32 << 20)).map(|i| (i % 253) as u8).collect();
    std::fs::write(&second, &v2).unwrap();
    let header = signed(&chain, &owner, approval("data.bin", &v2)).await;
    let url = vault.url.clone();
    let spki = vault.tls_spki;
    let upload = tokio::spawn(async move {
        Client::new(&url, Pin::Spki(spki))
            .unwrap()
            .put_file::<Value>(
                "v1/objects/data.bin",
                &[(SignedUpload::HEADER, header)],
                &second,
            )
            .await
    });
    let objects = vault.data_dir.join("objects");
    let writing = || {
        std::fs::read_dir(&objects)
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"))
    };
    let mut waited = 0;
    while !writing() {
        tokio::time::sleep(Duration::from_millis(2)).await;
        waited += 1;
        assert!(waited < 5000, "the second version never started");
    }
    vault.child.kill().unwrap();
    vault.child.wait().unwrap();
    assert!(
        upload.await.unwrap().is_err(),
        "the upload cannot have succeeded"
    );

    // The store reopens with the first version, and the half-written one is gone.
    let key = seed
        .data_key(chain.chain_id(), chain.registry_address(), 1)
        .unwrap();
    assert_eq!(read_object(&vault.data_dir, &key, "data.bin").await, v1);
    let left: Vec<String> = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // The first version and the genotype index made of it, both whole.
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|name| name.ends_with(".obj")), "{left:?}");
    assert!(
        left.iter()
            .any(|name| name.starts_with("data.bin.genotypes.")),
        "{left:?}"
    );
}

/// A valid single-sample VCF with `records` records.
pub(crate) fn small_vcf(records: u32) -> Vec<u8> {
    let mut text = String::from(
        "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tME\n",
    );
    for i in 0..records {
        text.push_str(&format!(
            "1\t{}\trs{}\tA\tG\t.\tPASS\t.\tGT\t0/1\n",
            1000 + i * 10,
            100 + i
        ));
    }
    text.into_bytes()
}
