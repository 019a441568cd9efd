//! What the pages and the API show, read from the index: the same functions answer both. Times are the
//! chain's Unix seconds; `now` decides what has expired.

use alloy::primitives::{Address, B256, FixedBytes};
use dnavault_protocol::{descriptor::Descriptor, purpose::Purpose};
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use super::{Database, signed};
use crate::Result;

/// Which rows of a list: at most `limit` from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows skipped.
    pub offset: u64,
    /// Rows returned, at most.
    pub limit: u64,
}

impl Page {
    /// The most rows a page holds.
    pub const MAX: u64 = 200;
}

/// How far the index has read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IndexState {
    /// The newest block read, if any.
    pub block: Option<u64>,
    /// Registry events held.
    pub events: u64,
    /// Vaults registered.
    pub vaults: u64,
}

/// A vault in the directory.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VaultSummary {
    /// The registry's id.
    pub id: u64,
    /// Its owner (checksummed).
    #[serde(serialize_with = "checksummed")]
    pub owner: Address,
    /// Where it is served, as its owner published it.
    pub uri: String,
    /// The attested signing key bound on-chain, if any: a vault without one answers no query.
    #[serde(serialize_with = "checksummed_option")]
    pub vault_key: Option<Address>,
    /// Launch measurements approved now.
    pub approved_measurements: u64,
    /// Grants live now.
    pub live_grants: u64,
    /// Access requests waiting for the owner.
    pub pending_requests: u64,
    /// The block it was registered in.
    pub registered_block: u64,
}

/// One vault, in full.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VaultDetail {
    /// What the directory shows.
    #[serde(flatten)]
    pub summary: VaultSummary,
    /// Whom the owner offered the vault to, if anyone.
    #[serde(serialize_with = "checksummed_option")]
    pub pending_owner: Option<Address>,
    /// The measurement the bound key was attested under.
    pub key_measurement_hash: Option<B256>,
    /// The audit log's head anchored on-chain (`seq`, `tag`), if any.
    pub audit_head: Option<AuditHead>,
    /// Every measurement ever approved, and whether it still is.
    pub measurements: Vec<Measurement>,
    /// Every analysis tool ever installed, and whether it still is.
    pub tools: Vec<InstalledTool>,
    /// Every grant the current owner made, newest first.
    pub grants: Vec<GrantView>,
    /// Anchored receipt batches, newest first.
    pub receipt_batches: Vec<ReceiptBatch>,
    /// Access requests filed for it, newest first.
    pub requests: Vec<RequestView>,
}

/// An anchored audit head.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditHead {
    /// The entry's sequence number.
    pub seq: u64,
    /// Its chain tag.
    pub tag: B256,
}

/// A launch measurement of the vault's code.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Measurement {
    /// The registry's hash of it.
    pub hash: B256,
    /// The 48-byte measurement, hex.
    pub measurement: String,
    /// Approved now (else revoked).
    pub approved: bool,
    /// The block of its last change.
    pub changed_block: u64,
}

/// An analysis tool an owner installed in the vault.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InstalledTool {
    /// Its identity: its manifest's hash.
    pub tool: B256,
    /// Its name and version (`bcftools query 1.16`), from a manifest an access request published that hashes
    /// to it; `None` when none did.
    pub name: Option<String>,
    /// Installed now (else removed).
    pub approved: bool,
    /// The block of its last change.
    pub changed_block: u64,
}

/// A grant in words.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GrantView {
    /// The researcher.
    #[serde(serialize_with = "checksummed")]
    pub grantee: Address,
    /// What it allows.
    pub analysis: Analysis,
    /// Why the data is used.
    pub purpose: PurposeView,
    /// When it ends (Unix seconds).
    pub expiry: u64,
    /// Whether every query also needs the owner's live approval.
    pub per_query_approval: bool,
    /// How many queries it allows (0: no limit).
    pub max_queries: u64,
    /// `live`, `revoked`, `expired`, or `ended` (the vault changed owner since).
    pub status: &'static str,
    /// The block it was made (or last renewed) in.
    pub granted_block: u64,
}

/// An analysis: its scope and, where the index knows the descriptor that hashes to it, that in words.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Analysis {
    /// The scope id grants name.
    pub scope: B256,
    /// The descriptor's labelled facts (empty when unknown).
    pub facts: Vec<Fact>,
    /// What deserves a second look.
    pub warnings: Vec<String>,
    /// Why the analysis cannot be put in words, if it cannot.
    pub unreadable: Option<String>,
}

/// A labelled fact.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Fact {
    /// What it is.
    pub label: &'static str,
    /// Its value.
    pub value: String,
}

/// A DUO purpose: its code and its words.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PurposeView {
    /// DUO ids (`DUO:0000006+DUO:0000046`), or the raw bytes when they do not parse.
    pub code: String,
    /// In words.
    pub words: String,
}

/// An anchored batch of receipt hashes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReceiptBatch {
    /// The batch's hash.
    pub batch_hash: B256,
    /// Its receipts' hashes.
    pub receipt_hashes: Vec<B256>,
    /// The block it was anchored in.
    pub block: u64,
    /// The anchoring transaction.
    pub tx_hash: B256,
}

/// An access request and where it stands.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestView {
    /// The registry's id.
    pub id: u64,
    /// The vault asked.
    pub vault_id: u64,
    /// Who asks.
    #[serde(serialize_with = "checksummed")]
    pub researcher: Address,
    /// What is asked for.
    pub analysis: Analysis,
    /// Why.
    pub purpose: PurposeView,
    /// When the requested grant would end, and the request with it.
    pub requested_expiry: u64,
    /// The research protocol's hash.
    pub protocol_hash: B256,
    /// Where the protocol is published.
    pub protocol_uri: String,
    /// The descriptor as filed (JSON).
    pub descriptor: String,
    /// `pending`, `granted`, `denied`, `withdrawn` or `expired`.
    pub status: &'static str,
    /// The block it was filed in.
    pub filed_block: u64,
}

/// A registry event as the index holds it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its block.
    pub block: u64,
    /// Its index in the block.
    pub log_index: u64,
    /// Its transaction.
    pub tx_hash: B256,
    /// The event's name.
    pub name: String,
    /// Its topics.
    pub topics: Vec<B256>,
    /// Its data, hex.
    pub data: String,
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this vault's.
    pub vault: Option<u64>,
    /// Only this researcher's.
    pub researcher: Option<Address>,
    /// Only those in this status.
    pub status: Option<String>,
}

/// The statuses a request can show.
pub const REQUEST_STATUSES: [&str; 5] = ["pending", "granted", "denied", "withdrawn", "expired"];

impl Database {
    /// How far the index has read.
    pub async fn index_state(&self) -> Result<IndexState> {
        let row = sqlx::query(
            "SELECT (SELECT block_number FROM cursor WHERE id = 1), (SELECT COUNT(*) FROM events),
                 (SELECT COUNT(*) FROM vaults)",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(IndexState {
            block: row.try_get::<Option<i64>, _>(0)?.map(unsigned),
            events: unsigned(row.try_get(1)?),
            vaults: unsigned(row.try_get(2)?),
        })
    }

    /// The events held, oldest first.
    pub async fn events(&self, page: Page) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT block_number, log_index, tx_hash, name, topics, data FROM events
             ORDER BY block_number, log_index LIMIT $1 OFFSET $2",
        )
        .bind(signed(page.limit))
        .bind(signed(page.offset))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let topics: String = row.try_get(4)?;
                Ok(StoredEvent {
                    block: unsigned(row.try_get(0)?),
                    log_index: unsigned(row.try_get(1)?),
                    tx_hash: parse(&row.try_get::<String, _>(2)?)?,
                    name: row.try_get(3)?,
                    topics: topics
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(parse)
                        .collect::<Result<_>>()?,
                    data: row.try_get(5)?,
                })
            })
            .collect()
    }

    /// The vault directory, by id.
    pub async fn vaults(&self, page: Page, now: u64) -> Result<Vec<VaultSummary>> {
        let sql = format!("{SUMMARY} ORDER BY v.id LIMIT $2 OFFSET $3");
        let rows = sqlx::query(&sql)
            .bind(signed(now))
            .bind(signed(page.limit.min(Page::MAX)))
            .bind(signed(page.offset))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(summary).collect()
    }

    /// The vaults `owner` owns now, in full, by id.
    pub async fn vaults_of(&self, owner: Address, now: u64) -> Result<Vec<VaultDetail>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM vaults WHERE owner = $1 ORDER BY id")
                .bind(super::hex0x(owner))
                .fetch_all(self.pool())
                .await?;
        let mut vaults = Vec::with_capacity(ids.len());
        for id in ids {
            vaults.extend(self.vault(unsigned(id), now).await?);
        }
        Ok(vaults)
    }

    /// Vault `id` in full; `None` if no vault has it.
    pub async fn vault(&self, id: u64, now: u64) -> Result<Option<VaultDetail>> {
        let sql = format!("{SUMMARY} WHERE v.id = $2");
        let Some(row) = sqlx::query(&sql)
            .bind(signed(now))
            .bind(signed(id))
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let audit_seq: Option<i64> = row.try_get("audit_seq")?;
        let audit_tag: Option<String> = row.try_get("audit_tag")?;
        Ok(Some(VaultDetail {
            summary: summary(&row)?,
            pending_owner: optional(row.try_get("pending_owner")?)?,
            key_measurement_hash: optional(row.try_get("key_measurement_hash")?)?,
            audit_head: match (audit_seq, audit_tag) {
                (Some(seq), Some(tag)) => Some(AuditHead {
                    seq: unsigned(seq),
                    tag: parse(&tag)?,
                }),
                _ => None,
            },
            measurements: self.measurements(id).await?,
            tools: self.tools(id).await?,
            grants: self.grants(id, now).await?,
            receipt_batches: self.receipt_batches(id).await?,
            requests: self
                .requests(
                    &RequestFilter {
                        vault: Some(id),
                        ..RequestFilter::default()
                    },
                    Page {
                        offset: 0,
                        limit: Page::MAX,
                    },
                    now,
                )
                .await?,
        }))
    }

    /// Access requests matching `filter`, newest first.
    pub async fn requests(
        &self,
        filter: &RequestFilter,
        page: Page,
        now: u64,
    ) -> Result<Vec<RequestView>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests
             WHERE ($2 < 0 OR vault_id = $2) AND ($3 = '' OR researcher = $3)
                 AND ($4 = '' OR {REQUEST_STATUS} = $4)
             ORDER BY id DESC LIMIT $5 OFFSET $6"
        );
        let rows = sqlx::query(&sql)
            .bind(signed(now))
            .bind(filter.vault.map_or(-1, signed))
            .bind(filter.researcher.map(super::hex0x).unwrap_or_default())
            .bind(filter.status.clone().unwrap_or_default())
            .bind(signed(page.limit.min(Page::MAX)))
            .bind(signed(page.offset))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(request).collect()
    }

    /// Access request `id`; `None` if none has it.
    pub async fn request(&self, id: u64, now: u64) -> Result<Option<RequestView>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE id = $2");
        let row = sqlx::query(&sql)
            .bind(signed(now))
            .bind(signed(id))
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(request).transpose()
    }

    async fn tools(&self, vault: u64) -> Result<Vec<InstalledTool>> {
        let rows = sqlx::query(
            "SELECT t.tool, CAST(CASE WHEN t.approved THEN 1 ELSE 0 END AS BIGINT), t.changed_block,
                 m.name, m.version
             FROM tools t LEFT JOIN tool_manifests m ON m.tool = t.tool
             WHERE t.vault_id = $1 ORDER BY t.changed_block DESC, t.tool",
        )
        .bind(signed(vault))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InstalledTool {
                    tool: parse(&row.try_get::<String, _>(0)?)?,
                    name: match (row.try_get(3)?, row.try_get::<Option<String>, _>(4)?) {
                        (Some::<String>(name), Some(version)) => Some(format!("{name} {version}")),
                        _ => None,
                    },
                    approved: row.try_get::<i64, _>(1)? != 0,
                    changed_block: unsigned(row.try_get(2)?),
                })
            })
            .collect()
    }

    async fn measurements(&self, vault: u64) -> Result<Vec<Measurement>> {
        let rows = sqlx::query(
            "SELECT hash, measurement, CAST(CASE WHEN approved THEN 1 ELSE 0 END AS BIGINT), changed_block
             FROM measurements
             WHERE vault_id = $1 ORDER BY changed_block DESC, hash",
        )
        .bind(signed(vault))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Measurement {
                    hash: parse(&row.try_get::<String, _>(0)?)?,
                    measurement: row.try_get(1)?,
                    approved: row.try_get::<i64, _>(2)? != 0,
                    changed_block: unsigned(row.try_get(3)?),
                })
            })
            .collect()
    }

    /// The grants the vault's current owner made, newest first, each with its analysis in words where a
    /// filed descriptor hashes to its scope.
    async fn grants(&self, vault: u64, now: u64) -> Result<Vec<GrantView>> {
        let rows = sqlx::query(
            "SELECT g.grantee, g.scope, g.purpose, g.expiry,
                 CAST(CASE WHEN g.per_query_approval THEN 1 ELSE 0 END AS BIGINT), g.max_queries,
                 CASE WHEN g.revoked THEN 'revoked' WHEN g.epoch < v.epoch THEN 'ended'
                      WHEN g.expiry <= $2 THEN 'expired' ELSE 'live' END,
                 g.granted_block
             FROM grants g JOIN vaults v ON v.id = g.vault_id
             WHERE g.vault_id = $1 ORDER BY g.granted_block DESC, g.grantee, g.scope",
        )
        .bind(signed(vault))
        .bind(signed(now))
        .fetch_all(self.pool())
        .await?;
        let mut grants = Vec::with_capacity(rows.len());
        for row in rows {
            let scope = parse(&row.try_get::<String, _>(1)?)?;
            grants.push(GrantView {
                grantee: parse(&row.try_get::<String, _>(0)?)?,
                analysis: self.analysis_of(scope).await?,
                purpose: purpose(&row.try_get::<String, _>(2)?)?,
                expiry: unsigned(row.try_get(3)?),
                per_query_approval: row.try_get::<i64, _>(4)? != 0,
                max_queries: unsigned(row.try_get(5)?),
                status: status_name(&row.try_get::<String, _>(6)?),
                granted_block: unsigned(row.try_get(7)?),
            });
        }
        Ok(grants)
    }

    /// `scope` in words, from a filed descriptor that hashes to it.
    async fn analysis_of(&self, scope: B256) -> Result<Analysis> {
        let filed: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT descriptor FROM access_requests WHERE scope = $1")
                .bind(super::hex0x(scope))
                .fetch_all(self.pool())
                .await?;
        Ok(filed
            .iter()
            .map(|text| analysis(scope, text))
            .find(|analysis| analysis.unreadable.is_none())
            .unwrap_or_else(|| Analysis {
                scope,
                facts: Vec::new(),
                warnings: Vec::new(),
                unreadable: Some(
                    "no access request filed its descriptor, so the website cannot say what this scope \
                     allows; the owner's wallet showed it in words when it was signed"
                        .into(),
                ),
            }))
    }

    async fn receipt_batches(&self, vault: u64) -> Result<Vec<ReceiptBatch>> {
        let rows = sqlx::query(
            "SELECT batch_hash, receipt_hashes, block_number, tx_hash FROM receipt_batches
             WHERE vault_id = $1 ORDER BY block_number DESC, batch_hash LIMIT 200",
        )
        .bind(signed(vault))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let hashes: String = row.try_get(1)?;
                Ok(ReceiptBatch {
                    batch_hash: parse(&row.try_get::<String, _>(0)?)?,
                    receipt_hashes: hashes
                        .split(',')
                        .filter(|h| !h.is_empty())
                        .map(parse)
                        .collect::<Result<_>>()?,
                    block: unsigned(row.try_get(2)?),
                    tx_hash: parse(&row.try_get::<String, _>(3)?)?,
                })
            })
            .collect()
    }
}

/// A vault's directory row; `$1` is now.
const SUMMARY: &str = "SELECT v.id, v.owner, v.uri, v.vault_key, v.registered_block, v.pending_owner,
         v.key_measurement_hash, v.audit_seq, v.audit_tag,
         (SELECT COUNT(*) FROM measurements m WHERE m.vault_id = v.id AND m.approved),
         (SELECT COUNT(*) FROM grants g WHERE g.vault_id = v.id AND NOT g.revoked AND g.epoch = v.epoch
              AND g.expiry > $1),
         (SELECT COUNT(*) FROM access_requests r WHERE r.vault_id = v.id AND r.status = 'pending'
              AND r.requested_expiry > $1)
     FROM vaults v";

/// A request's status now; `$1` is now. (The registry's own rule: pending past its expiry is expired.)
const REQUEST_STATUS: &str =
    "(CASE WHEN status = 'pending' AND requested_expiry <= $1 THEN 'expired' ELSE status END)";

const REQUEST_COLUMNS: &str =
    "id, vault_id, researcher, scope, purpose, requested_expiry, protocol_hash,
     protocol_uri, descriptor,
     (CASE WHEN status = 'pending' AND requested_expiry <= $1 THEN 'expired' ELSE status END),
     filed_block";

fn summary(row: &AnyRow) -> Result<VaultSummary> {
    Ok(VaultSummary {
        id: unsigned(row.try_get(0)?),
        owner: parse(&row.try_get::<String, _>(1)?)?,
        uri: row.try_get(2)?,
        vault_key: optional(row.try_get(3)?)?,
        registered_block: unsigned(row.try_get(4)?),
        approved_measurements: unsigned(row.try_get(9)?),
        live_grants: unsigned(row.try_get(10)?),
        pending_requests: unsigned(row.try_get(11)?),
    })
}

fn request(row: &AnyRow) -> Result<RequestView> {
    let scope = parse(&row.try_get::<String, _>(3)?)?;
    let descriptor: String = row.try_get(8)?;
    Ok(RequestView {
        id: unsigned(row.try_get(0)?),
        vault_id: unsigned(row.try_get(1)?),
        researcher: parse(&row.try_get::<String, _>(2)?)?,
        analysis: analysis(scope, &descriptor),
        purpose: purpose(&row.try_get::<String, _>(4)?)?,
        requested_expiry: unsigned(row.try_get(5)?),
        protocol_hash: parse(&row.try_get::<String, _>(6)?)?,
        protocol_uri: row.try_get(7)?,
        descriptor,
        status: status_name(&row.try_get::<String, _>(9)?),
        filed_block: unsigned(row.try_get(10)?),
    })
}

/// `descriptor` in words, when it is a valid descriptor whose hash is `scope`: the registry does not check
/// that, so a request whose descriptor says something other than its scope is shown as unreadable.
pub fn analysis(scope: B256, descriptor: &str) -> Analysis {
    let unreadable = |why: String| Analysis {
        scope,
        facts: Vec::new(),
        warnings: Vec::new(),
        unreadable: Some(why),
    };
    let parsed: Descriptor = match serde_json::from_str(descriptor) {
        Ok(parsed) => parsed,
        Err(error) => return unreadable(format!("its descriptor is not one: {error}")),
    };
    if let Err(error) = parsed.check() {
        return unreadable(format!("its descriptor is not valid: {error}"));
    }
    if parsed.scope() != scope {
        return unreadable(format!(
            "its descriptor hashes to scope {}, not to the scope it names: it does not describe what \
             would be granted",
            parsed.scope()
        ));
    }
    let words = parsed.words();
    Analysis {
        scope,
        facts: words
            .facts
            .into_iter()
            .map(|(label, value)| Fact { label, value })
            .collect(),
        warnings: words.warnings,
        unreadable: None,
    }
}

fn purpose(hex: &str) -> Result<PurposeView> {
    let bytes: FixedBytes<16> = parse(hex)?;
    Ok(match Purpose::from_bytes16(bytes) {
        Ok(purpose) => PurposeView {
            code: purpose.to_string(),
            words: purpose.describe(),
        },
        Err(error) => PurposeView {
            code: hex.to_owned(),
            words: format!("not a DUO purpose this website reads: {error}"),
        },
    })
}

/// The static name of a status the SQL computed.
fn status_name(status: &str) -> &'static str {
    ["live", "revoked", "expired", "ended"]
        .into_iter()
        .chain(REQUEST_STATUSES)
        .find(|known| *known == status)
        .unwrap_or("unknown")
}

/// An address as people compare it: EIP-55 checksummed.
pub(crate) fn checksummed<S: serde::Serializer>(
    address: &Address,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&address.to_checksum(None))
}

fn checksummed_option<S: serde::Serializer>(
    address: &Option<Address>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match address {
        Some(address) => checksummed(address, serializer),
        None => serializer.serialize_none(),
    }
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| crate::WebError::Database(format!("unreadable value {text:?}")))
}

fn optional<T: std::str::FromStr>(text: Option<String>) -> Result<Option<T>> {
    text.as_deref().map(parse).transpose()
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}
