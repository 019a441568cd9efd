//! `PUT /v1/objects/{id}`: the owner's upload, streamed into the encrypted store.
//!
//! The request carries the owner's EIP-712 [`UploadApproval`] (header `x-dnavault-upload`) naming this vault,
//! the object, the content's SHA-256 and size, a nonce and a deadline. The vault checks the approval and the
//! owner's signature against the registry before reading the body, streams the body into a staged object
//! while hashing it, and makes it current only if the bytes are the approved ones, consuming the nonce in the
//! same transaction. Anything else leaves no trace but an audit entry.

use std::io::Read;

use alloy::primitives::U256;
use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use bytes::Bytes;
use dnavault_consent::owner::{OwnerSignatureError, require_owner_signature};
use dnavault_genome::{Genome, check, genotypes};
use dnavault_protocol::{
    clock::unix_now,
    eip712::registry_domain,
    upload::{SignedUpload, UploadApproval},
};
use dnavault_store::{DataKey, Layout, ObjectId, Staged, Store, StoreError, bgzf};
use http_body_util::BodyExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{ApiError, VaultService, query::GENOTYPES_ENDING};

/// The largest upload a vault accepts: 16 GiB.
const MAX_UPLOAD: u64 = 16 << 30;

/// What an upload stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    /// The object.
    pub id: String,
    /// Plaintext bytes.
    pub size: u64,
    /// Chunks.
    pub chunks: u32,
    /// `bgzf` or `fixed`.
    pub layout: &'static str,
}

/// The most of a refused upload's body the vault reads before answering, so that a client still sending a
/// small file reads the refusal rather than a broken connection.
const DRAIN_LIMIT: usize = 1 << 20;

pub(crate) async fn put_object(
    state: State<VaultService>,
    path: Path<String>,
    headers: HeaderMap,
    mut body: Body,
) -> Result<(StatusCode, Json<Stored>), ApiError> {
    let result = upload(state, path, headers, &mut body).await;
    if result.is_err() {
        let mut drained = 0;
        while drained < DRAIN_LIMIT {
            match body.frame().await {
                Some(Ok(frame)) => drained += frame.data_ref().map_or(0, |data| data.len()),
                _ => break,
            }
        }
    }
    result
}

async fn upload(
    State(service): State<VaultService>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: &mut Body,
) -> Result<(StatusCode, Json<Stored>), ApiError> {
    let id = ObjectId::new(id).map_err(|e| ApiError::bad_request("object id", e.to_string()))?;
    if id.as_str().ends_with(GENOTYPES_ENDING) {
        return Err(ApiError::bad_request(
            "object id",
            format!(
                "object ids ending in `{GENOTYPES_ENDING}` are the vault's own genotype indexes, made \
                 when a genome is stored: upload the genome under another name"
            ),
        ));
    }
    let approval = approved(&service, &id, &headers).await?;
    let key = service
        .with_unsealed(|vault| vault.data_key().clone())
        .await?;

    // The body streams to a blocking thread that encrypts as it hashes.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(8);
    let store = service.store().clone();
    // The first bytes decide the layout: BGZF (bgzipped VCF, BCF) keeps its block boundaries.
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < 18 {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => return Err(ApiError::bad_request("body", e.to_string())),
            None => {
                ended = true;
                break;
            }
        }
    }
    let layout = if bgzf::starts_block(&head) {
        Layout::Bgzf
    } else {
        Layout::Fixed
    };
    let expected = (approval.contentSha256.0, approval.size);
    let object = id.clone();
    let stage_key = key.clone();
    let staging = tokio::task::spawn_blocking(move || {
        let key = stage_key;
        let mut input = BodyReader::new(receiver, expected.1);
        let staged = match layout {
            Layout::Bgzf => store.stage_with(&key, &object, "bgzf", layout, |writer| {
                bgzf::copy_blocks(&mut input, writer)
            }),
            Layout::Fixed => store.stage(&key, &object, "raw", layout, &mut input),
        }?;
        Ok::<_, StoreError>((staged, input.finish()))
    });
    let mut forwarding = sender.send(Ok(Bytes::from(head))).await.is_ok() && !ended;
    while forwarding && let Some(frame) = body.frame().await {
        let message = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => Ok(data),
                Err(_) => continue,
            },
            Err(e) => Err(e.to_string()),
        };
        let failed = message.is_err();
        forwarding = sender.send(message).await.is_ok() && !failed;
    }
    drop(sender);
    let (staged, (sha256, size)) = staging
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::bad_request("body", e.to_string()))?;
    if size != expected.1 || sha256 != expected.0 {
        // `staged` is dropped: its file is removed.
        return Err(ApiError::bad_request(
            "body",
            format!(
                "the content ({size} bytes, SHA-256 {}) is not what the owner approved ({} bytes, SHA-256 {})",
                alloy::hex::encode(sha256),
                expected.1,
                alloy::hex::encode(expected.0)
            ),
        ));
    }
    // The bytes are the approved ones; they must also be a genome or an index the vault can read, every
    // record of it. A refused file leaves nothing: the staged object is removed when dropped.
    let (object, store) = (id.clone(), service.store().clone());
    let staged = tokio::task::spawn_blocking(move || {
        let staged = validate(staged, &key, &object)?;
        let index = genotype_index(&store, &staged, &key, &object)?;
        Ok::<_, ApiError>(std::iter::once(staged).chain(index).collect())
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let nonce = alloy::hex::encode(approval.nonce.0);
    let records = service
        .store()
        .commit(staged, "owner", "ingest", Some(&nonce))
        .await
        .map_err(|e| match e {
            StoreError::Replayed { .. } => ApiError {
                status: StatusCode::CONFLICT,
                error: e.to_string(),
                check: "replayed",
            },
            StoreError::Superseded { .. } => ApiError {
                status: StatusCode::CONFLICT,
                error: e.to_string(),
                check: "superseded",
            },
            other => ApiError::store(other),
        })?;
    let record = &records[0];
    tracing::info!(object = %record.id, size = record.plaintext_len, chunks = record.chunks, "stored");
    Ok((
        StatusCode::CREATED,
        Json(Stored {
            id: record.id.to_string(),
            size: record.plaintext_len,
            chunks: record.chunks,
            layout: match record.layout {
                Layout::Bgzf => "bgzf",
                Layout::Fixed => "fixed",
            },
        }),
    ))
}

/// Reads the whole staged object: an index (`.tbi`, `.csi`) must parse, anything else must be a VCF, BCF,
/// 23andMe or AncestryDNA file whose every record parses.
fn validate(staged: Staged, key: &DataKey, id: &ObjectId) -> Result<Staged, ApiError> {
    let reader = staged
        .open(key)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let name = std::path::Path::new(id.as_str());
    let checked = match id.as_str().rsplit('.').next() {
        Some("tbi") => check::check_index(name, Box::new(reader), false).map(|_| ()),
        Some("csi") => check::check_index(name, Box::new(reader), true).map(|_| ()),
        _ => check::check(name, Box::new(reader), None).map(|_| ()),
    };
    checked.map_err(|e| ApiError::bad_request("content", e.to_string()))?;
    Ok(staged)
}

/// The genotype index of a one-person VCF or BCF (`ID.genotypes`, see [`genotypes`]), staged to be committed
/// with it, so a polygenic score reads the index rather than the whole file. None for an index, a raw file,
/// a file of several people (queries refuse it) or one whose records the index cannot hold (scored from the
/// file).
fn genotype_index(
    store: &Store,
    staged: &Staged,
    key: &DataKey,
    id: &ObjectId,
) -> Result<Option<Staged>, ApiError> {
    if id.as_str().ends_with(".tbi") || id.as_str().ends_with(".csi") {
        return Ok(None);
    }
    let reader = staged
        .open(key)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let name = std::path::Path::new(id.as_str());
    let Ok(mut genome) = Genome::from_reader(name, Box::new(reader), None) else {
        return Ok(None);
    };
    let built = genotypes::build(&mut genome)
        .map_err(|e| ApiError::bad_request("content", e.to_string()))?;
    let Some(index) = built else {
        return Ok(None);
    };
    let index_id = ObjectId::new(format!("{id}{GENOTYPES_ENDING}"))
        .map_err(|e| ApiError::bad_request("object id", e.to_string()))?;
    store
        .stage(key, &index_id, "genotypes", Layout::Fixed, index.as_slice())
        .map(Some)
        .map_err(ApiError::store)
}

/// The request body as `Read`, hashed and counted, refusing more than the approved size.
struct BodyReader {
    receiver: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl BodyReader {
    fn new(receiver: tokio::sync::mpsc::Receiver<Result<Bytes, String>>, limit: u64) -> Self {
        Self {
            receiver,
            current: Bytes::new(),
            hasher: Sha256::new(),
            size: 0,
            limit,
        }
    }

    fn finish(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.size)
    }
}

impl Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(reason)) => {
                    return Err(std::io::Error::other(format!(
                        "the upload broke off: {reason}"
                    )));
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        self.hasher.update(&out[..n]);
        self.size += n as u64;
        if self.size > self.limit {
            return Err(std::io::Error::other(format!(
                "the upload is longer than the {} bytes approved",
                self.limit
            )));
        }
        Ok(n)
    }
}

/// `POST /v1/objects/{id}/approval`: checks an upload's approval without its content, so that a client learns
/// of a refusal before it sends gigabytes. Answers `{"accepted": true}`.
pub(crate) async fn check_upload(
    State(service): State<VaultService>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = ObjectId::new(id).map_err(|e| ApiError::bad_request("object id", e.to_string()))?;
    let approval = approved(&service, &id, &headers).await?;
    let nonce = alloy::hex::encode(approval.nonce.0);
    if service
        .store()
        .nonce_used(&nonce)
        .await
        .map_err(ApiError::store)?
    {
        return Err(ApiError {
            status: StatusCode::CONFLICT,
            error: format!("approval nonce {nonce} was already used (replayed approval)"),
            check: "replayed",
        });
    }
    service.with_unsealed(|_| ()).await?;
    Ok(Json(serde_json::json!({ "accepted": true })))
}

/// The owner's approval of an upload of `id`, from `headers`, checked: this vault, this object, unexpired,
/// within the size limit, signed by the vault's owner (the registry says).
async fn approved(
    service: &VaultService,
    id: &ObjectId,
    headers: &HeaderMap,
) -> Result<UploadApproval, ApiError> {
    let signed: SignedUpload = crate::api::signed_header(headers, "approval", |header| {
        format!("uploads need the owner's signed approval in the `{header}` header")
    })?;
    let approval = &signed.approval;
    let identity = service.identity();
    let refuse = |error: String| ApiError {
        status: StatusCode::FORBIDDEN,
        error,
        check: "approval",
    };
    if approval.vaultId != U256::from(identity.vault_id) {
        return Err(refuse(format!(
            "the approval is for vault {}, this is vault {}",
            approval.vaultId, identity.vault_id
        )));
    }
    if approval.objectId != id.as_str() {
        return Err(refuse(format!(
            "the approval is for object `{}`, not `{id}`",
            approval.objectId
        )));
    }
    if approval.deadline < U256::from(unix_now().map_err(ApiError::internal)?) {
        return Err(refuse(format!(
            "the approval expired at Unix time {}",
            approval.deadline
        )));
    }
    if approval.size > MAX_UPLOAD {
        return Err(ApiError::bad_request(
            "size",
            format!("uploads are limited to {MAX_UPLOAD} bytes"),
        ));
    }
    require_owner_signature(
        service.registry(),
        &registry_domain(identity.chain_id, identity.registry),
        approval.vaultId,
        approval,
        &signed.signature,
    )
    .await
    .map_err(|error| match error {
        OwnerSignatureError::Chain(reason) => ApiError::chain(reason),
        OwnerSignatureError::NotOwner { .. } => refuse(format!(
            "the approval is not signed by vault {}'s owner",
            identity.vault_id
        )),
    })?;
    Ok(signed.approval)
}
