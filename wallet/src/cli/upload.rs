//! `dnavault-wallet upload`: put a file into the owner's vault, over TLS pinned to the attested vault, with an
//! approval that names the exact bytes.

use std::{
    io::{IsTerminal, Read},
    path::PathBuf,
};

use alloy::{
    primitives::{B256, U256},
    signers::Signer,
    sol_types::SolStruct,
};
use clap::Args;
use dnavault_protocol::{
    clock::unix_now,
    eip712::registry_domain,
    header::SignedHeader,
    upload::{SignedUpload, UploadApproval},
};

use dnavault_wallet::vault::reach_owned;
use eyre::WrapErr;
use sha2::{Digest, Sha256};

use super::{Session, owner::OwnerArgs};

/// How long an upload approval stays valid.
const APPROVAL_LIFETIME_SECS: u64 = 3600;

#[derive(Debug, Args)]
pub(crate) struct UploadArgs {
    /// The vault's URL.
    #[arg(long, value_name = "URL")]
    vault: String,
    /// The file: a VCF (plain or bgzipped), its .tbi/.csi index, or a raw genotype file.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// The object id to store it under (default: the file's name).
    #[arg(long)]
    object: Option<String>,
    #[command(flatten)]
    owner: OwnerArgs,
}

pub(crate) async fn run(session: &Session, args: UploadArgs) -> eyre::Result<()> {
    let object = match &args.object {
        Some(object) => object.clone(),
        None => args
            .file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| eyre::eyre!("--file has no file name; give --object"))?,
    };
    let (sha256, size) = digest(&args.file)?;
    let unlocked = session.unlock()?;
    let owner = unlocked.seed().ethereum_signer(args.owner.index)?;
    let connection = args.owner.connect(session, owner.clone()).await?;
    let verifier = args.owner.verifier()?;
    // The same checks as a boot: AMD's roots, this owner's vault, an approved measurement, the TLS binding.
    let vault = reach_owned(&args.vault, &connection, &verifier, &owner).await?;
    let evidence = vault.evidence();
    let mut nonce = B256::ZERO;
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, nonce.as_mut_slice());
    let now = unix_now()?;
    let approval = UploadApproval {
        vaultId: evidence.vault_id,
        objectId: object.clone(),
        contentSha256: B256::from(sha256),
        size,
        nonce,
        deadline: U256::from(now + APPROVAL_LIFETIME_SECS),
    };
    let deployment = connection.deployment();
    let digest =
        approval.eip712_signing_hash(&registry_domain(deployment.chain_id, deployment.registry));
    let signature = owner.sign_hash(&digest).await?;
    let signed = SignedUpload {
        approval,
        signature: signature.as_bytes().to_vec().into(),
    };
    // A progress line on a terminal; scripts and pipes see only the result.
    let terminal = std::io::stderr().is_terminal();
    let progress = move |sent: u64| {
        if terminal {
            eprint!(
                "\ruploading: {:>5.1}% ({} of {size} bytes)",
                sent as f64 * 100.0 / size.max(1) as f64,
                sent
            );
        }
    };
    let client = vault.client();
    // The vault checks the approval first: a refusal arrives before the file is sent.
    client
        .post_with::<_, serde_json::Value>(
            &format!("v1/objects/{object}/approval"),
            &[(SignedUpload::HEADER, signed.to_header())],
            &serde_json::json!({}),
        )
        .await
        .wrap_err("the vault refuses the upload")?;
    let stored = client
        .put_file_reporting::<serde_json::Value>(
            &format!("v1/objects/{object}"),
            &[(SignedUpload::HEADER, signed.to_header())],
            &args.file,
            progress,
        )
        .await
        .wrap_err("the vault did not store the file")?
        .value;
    if terminal {
        eprintln!();
    }
    let text = format!(
        "Stored {} in vault {} as `{object}`: {size} bytes, encrypted in {} chunks.",
        args.file.display(),
        evidence.vault_id,
        stored["chunks"]
    );
    session.emit(&stored, &text)
}

/// SHA-256 and length of a file, read in constant memory.
fn digest(path: &std::path::Path) -> eyre::Result<([u8; 32], u64)> {
    let mut file = std::fs::File::open(path).wrap_err_with(|| path.display().to_string())?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .wrap_err_with(|| path.display().to_string())?;
        if n == 0 {
            return Ok((hasher.finalize().into(), size));
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
}
