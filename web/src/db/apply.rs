//! What each registry event changes in the derived tables, the same way the registry changes its state. Run
//! inside the transaction that stores the event, so a crash leaves both or neither.

use alloy::primitives::{Address, U256};
use dnavault_protocol::VaultRegistry::VaultRegistryEvents as E;
use sqlx::AnyConnection;

use super::hex0x;
use crate::{Result, WebError, index::RegistryLog};

/// The derived tables, emptied before a rebuild from `events`.
pub(crate) const DERIVED: [&str; 8] = [
    "vaults",
    "measurements",
    "tools",
    "tool_manifests",
    "grants",
    "access_requests",
    "receipt_batches",
    "nonce_cancellations",
];

const VAULT_URI: &str = "UPDATE vaults SET uri = $3, changed_block = $2 WHERE id = $1";
const VAULT_PENDING_OWNER: &str =
    "UPDATE vaults SET pending_owner = $3, changed_block = $2 WHERE id = $1";
/// The registry ends the old owner's grants (a new epoch) and forgets the audit head.
const VAULT_OWNER: &str = "UPDATE vaults SET owner = $3, pending_owner = NULL, epoch = epoch + 1,
     audit_seq = NULL, audit_tag = NULL, changed_block = $2 WHERE id = $1";
const VAULT_KEY: &str =
    "UPDATE vaults SET vault_key = $3, key_measurement_hash = $4, changed_block = $2 WHERE id = $1";
const VAULT_KEY_UNBOUND: &str = "UPDATE vaults SET vault_key = NULL, key_measurement_hash = NULL,
     changed_block = $2 WHERE id = $1";
const VAULT_AUDIT_HEAD: &str =
    "UPDATE vaults SET audit_seq = $3, audit_tag = $4, changed_block = $2 WHERE id = $1";

/// Stores `log` and applies what it says.
pub(crate) async fn store(db: &mut AnyConnection, log: &RegistryLog) -> Result<()> {
    let topics: Vec<String> = log.topics.iter().map(hex0x).collect();
    sqlx::query(
        "INSERT INTO events (block_number, log_index, tx_hash, name, topics, data)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(int(log.block_number)?)
    .bind(int(log.log_index)?)
    .bind(hex0x(log.tx_hash))
    .bind(log.name())
    .bind(topics.join(","))
    .bind(hex0x(&log.data))
    .execute(&mut *db)
    .await?;
    apply(db, log).await
}

/// Applies what `log` says to the derived tables.
pub(crate) async fn apply(db: &mut AnyConnection, log: &RegistryLog) -> Result<()> {
    let block = int(log.block_number)?;
    match &log.event {
        E::VaultRegistered(e) => {
            sqlx::query(
                "INSERT INTO vaults (id, owner, uri, epoch, registered_block, changed_block)
                 VALUES ($1, $2, $3, 0, $4, $4)",
            )
            .bind(id(e.vaultId)?)
            .bind(hex0x(e.owner))
            .bind(e.uri.as_str())
            .bind(block)
            .execute(db)
            .await?;
        }
        E::VaultUriChanged(e) => {
            vault_update(VAULT_URI, e.vaultId, block)?
                .bind(e.uri.clone())
                .execute(db)
                .await?;
        }
        E::VaultOwnershipTransferStarted(e) => {
            let pending = (e.pendingOwner != Address::ZERO).then(|| hex0x(e.pendingOwner));
            vault_update(VAULT_PENDING_OWNER, e.vaultId, block)?
                .bind(pending)
                .execute(db)
                .await?;
        }
        E::VaultOwnershipTransferred(e) => {
            vault_update(VAULT_OWNER, e.vaultId, block)?
                .bind(hex0x(e.newOwner))
                .execute(db)
                .await?;
        }
        E::MeasurementApproved(e) => {
            measurement(
                db,
                e.vaultId,
                &e.measurementHash,
                &e.measurement,
                true,
                block,
            )
            .await?;
        }
        E::MeasurementRevoked(e) => {
            measurement(
                db,
                e.vaultId,
                &e.measurementHash,
                &e.measurement,
                false,
                block,
            )
            .await?;
        }
        E::ToolApproved(e) => tool(db, e.vaultId, &e.tool, true, block).await?,
        E::ToolRevoked(e) => tool(db, e.vaultId, &e.tool, false, block).await?,
        E::VaultKeyBound(e) => {
            vault_update(VAULT_KEY, e.vaultId, block)?
                .bind(hex0x(e.vaultKey))
                .bind(hex0x(e.measurementHash))
                .execute(db)
                .await?;
        }
        E::VaultKeyUnbound(e) => {
            vault_update(VAULT_KEY_UNBOUND, e.vaultId, block)?
                .execute(db)
                .await?;
        }
        E::Granted(e) => {
            sqlx::query(
                "INSERT INTO grants (vault_id, grantee, scope, purpose, expiry, per_query_approval,
                     max_queries, revoked, epoch, granted_block, changed_block)
                 SELECT $1, $2, $3, $4, $5, $6, $7, FALSE, epoch, $8, $8 FROM vaults WHERE id = $1
                 ON CONFLICT (vault_id, grantee, scope) DO UPDATE SET purpose = excluded.purpose,
                     expiry = excluded.expiry, per_query_approval = excluded.per_query_approval,
                     max_queries = excluded.max_queries, revoked = FALSE, epoch = excluded.epoch,
                     granted_block = excluded.granted_block, changed_block = excluded.changed_block",
            )
            .bind(id(e.vaultId)?)
            .bind(hex0x(e.grantee))
            .bind(hex0x(e.scope))
            .bind(hex0x(e.purpose))
            .bind(int(e.expiry)?)
            .bind(e.perQueryApproval)
            .bind(i64::from(e.maxQueries))
            .bind(block)
            .execute(db)
            .await?;
        }
        E::GrantRevoked(e) => {
            sqlx::query(
                "UPDATE grants SET revoked = TRUE, changed_block = $4
                 WHERE vault_id = $1 AND grantee = $2 AND scope = $3",
            )
            .bind(id(e.vaultId)?)
            .bind(hex0x(e.grantee))
            .bind(hex0x(e.scope))
            .bind(block)
            .execute(db)
            .await?;
        }
        E::AccessRequested(e) => {
            sqlx::query(
                "INSERT INTO access_requests (id, vault_id, researcher, scope, purpose, requested_expiry,
                     protocol_hash, protocol_uri, descriptor, status, filed_block, changed_block)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10)",
            )
            .bind(id(e.requestId)?)
            .bind(id(e.vaultId)?)
            .bind(hex0x(e.researcher))
            .bind(hex0x(e.scope))
            .bind(hex0x(e.purpose))
            .bind(int(e.requestedExpiry)?)
            .bind(hex0x(e.protocolHash))
            .bind(e.protocolUri.as_str())
            .bind(e.descriptor.as_str())
            .bind(block)
            .execute(&mut *db)
            .await?;
            if let Some(tool) = published_tool(&e.descriptor) {
                sqlx::query(
                    "INSERT INTO tool_manifests (tool, name, version) VALUES ($1, $2, $3)
                     ON CONFLICT (tool) DO NOTHING",
                )
                .bind(hex0x(tool.id()))
                .bind(tool.name.as_str())
                .bind(tool.version.as_str())
                .execute(db)
                .await?;
            }
        }
        E::AccessRequestGranted(e) => request_status(db, e.requestId, "granted", block).await?,
        E::AccessRequestDenied(e) => request_status(db, e.requestId, "denied", block).await?,
        E::AccessRequestWithdrawn(e) => request_status(db, e.requestId, "withdrawn", block).await?,
        E::NoncesCancelled(e) => {
            sqlx::query(
                "INSERT INTO nonce_cancellations (vault_id, nonce, block_number, log_index)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id(e.vaultId)?)
            .bind(e.nonce.to_string())
            .bind(block)
            .bind(int(log.log_index)?)
            .execute(db)
            .await?;
        }
        E::ReceiptsAnchored(e) => {
            let hashes: Vec<String> = e.receiptHashes.iter().map(hex0x).collect();
            sqlx::query(
                "INSERT INTO receipt_batches (batch_hash, vault_id, receipt_hashes, receipt_count,
                     block_number, tx_hash)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(hex0x(e.batchHash))
            .bind(id(e.vaultId)?)
            .bind(hashes.join(","))
            .bind(int(hashes.len())?)
            .bind(block)
            .bind(hex0x(log.tx_hash))
            .execute(db)
            .await?;
        }
        E::AuditHeadAnchored(e) => {
            vault_update(VAULT_AUDIT_HEAD, e.vaultId, block)?
                .bind(int(e.seq)?)
                .bind(hex0x(e.tag))
                .execute(db)
                .await?;
        }
        // The signing domain is fixed at deployment (OpenZeppelin's EIP712 declares the event for ERC-5267).
        E::EIP712DomainChanged(_) => {}
    }
    Ok(())
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// `sql`, an update of vault `$1` changed in block `$2`, with both bound; the caller binds `$3`... and runs it.
fn vault_update(sql: &'static str, vault: U256, block: i64) -> Result<Query<'static>> {
    Ok(sqlx::query(sql).bind(id(vault)?).bind(block))
}

async fn measurement(
    db: &mut AnyConnection,
    vault: U256,
    hash: &alloy::primitives::B256,
    measurement: &[u8],
    approved: bool,
    block: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO measurements (vault_id, hash, measurement, approved, changed_block)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (vault_id, hash) DO UPDATE SET approved = excluded.approved,
             changed_block = excluded.changed_block",
    )
    .bind(id(vault)?)
    .bind(hex0x(hash))
    .bind(hex0x(measurement))
    .bind(approved)
    .bind(block)
    .execute(db)
    .await?;
    Ok(())
}

async fn tool(
    db: &mut AnyConnection,
    vault: U256,
    tool: &alloy::primitives::B256,
    approved: bool,
    block: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO tools (vault_id, tool, approved, changed_block) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vault_id, tool) DO UPDATE SET approved = excluded.approved,
             changed_block = excluded.changed_block",
    )
    .bind(id(vault)?)
    .bind(hex0x(tool))
    .bind(approved)
    .bind(block)
    .execute(db)
    .await?;
    Ok(())
}

async fn request_status(
    db: &mut AnyConnection,
    request: U256,
    status: &str,
    block: i64,
) -> Result<()> {
    sqlx::query("UPDATE access_requests SET status = $2, changed_block = $3 WHERE id = $1")
        .bind(id(request)?)
        .bind(status)
        .bind(block)
        .execute(db)
        .await?;
    Ok(())
}

/// A registry id (vault or request) as the database's integer.
fn id(value: U256) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| WebError::Chain(format!("id {value} is beyond the index's range")))
}

/// A count or block number as the database's integer.
pub(crate) fn int(value: impl TryInto<i64> + Copy + std::fmt::Display) -> Result<i64> {
    value
        .try_into()
        .map_err(|_| WebError::Chain(format!("{value} is beyond the index's range")))
}

/// The well-formed tool manifest a filed descriptor holds, if it grants a tool run: its hash is the tool's
/// identity, so its name may be shown beside that hash whoever filed it.
fn published_tool(descriptor: &str) -> Option<dnavault_protocol::tool::ToolManifest> {
    use dnavault_protocol::descriptor::Descriptor;
    match serde_json::from_str::<Descriptor>(descriptor).ok()? {
        Descriptor::RunTool { tool, .. } if tool.check().is_ok() => Some(*tool),
        _ => None,
    }
}
