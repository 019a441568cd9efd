//! The grant cache and its sync from the registry's events.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, B256, FixedBytes},
    providers::Provider,
};
use dnavault_protocol::{VaultRegistry::VaultRegistryInstance, chain_view::ReadAt};

use crate::{
    events::{self, Change, Grant, Key},
    read,
};

/// How the cache follows the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentConfig {
    /// The vault whose grants are mirrored.
    pub vault_id: u64,
    /// Blocks an event must be under before it counts (0: at once), below [`read_at`](Self::read_at).
    pub confirmations: u64,
    /// The block the depth counts from: the head, or the chain's `safe` or `finalized` block.
    pub read_at: ReadAt,
    /// The longest the cache may go without a successful sync before every check refuses.
    pub max_staleness: Duration,
    /// The oldest the newest block read may be, by the vault's clock, before every check refuses: a chain
    /// view frozen at an old head refuses however often it answers.
    pub max_head_age: Duration,
    /// How often [`ConsentCache::keep_current`] syncs.
    pub poll_interval: Duration,
}

impl ConsentConfig {
    /// Defaults for a vault: no confirmation depth, 250 ms polls, refusing after 10 s without a sync or
    /// when the newest block is older than 60 s.
    pub fn for_vault(vault_id: u64) -> Self {
        Self {
            vault_id,
            confirmations: 0,
            read_at: ReadAt::Head,
            max_staleness: Duration::from_secs(10),
            max_head_age: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
        }
    }
}

/// Which `Granted` event made a grant: a renewal is a new grant, with a query budget of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantId {
    /// The transaction that emitted it.
    pub transaction: B256,
    /// Its index among the block's logs.
    pub log_index: u64,
}

impl std::fmt::Display for GrantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.transaction, self.log_index)
    }
}

/// Consent to run a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// When the grant expires (Unix seconds).
    pub expiry: u64,
    /// The DUO purpose the grant names.
    pub purpose: FixedBytes<16>,
    /// Whether each query also needs the owner's live approval.
    pub per_query_approval: bool,
    /// How many queries the grant allows in its life (0: no limit).
    pub max_queries: u32,
    /// The event that made the grant: what its query count is kept under.
    pub granted_in: GrantId,
    /// The block the cache had read up to.
    pub block: u64,
}

/// Why a query may not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// No grant for this researcher and scope.
    #[error("no grant for {grantee} and scope {scope} on this vault")]
    NoGrant {
        /// The researcher.
        grantee: Address,
        /// The scope.
        scope: B256,
    },
    /// The grant was revoked.
    #[error("the grant for {grantee} and scope {scope} was revoked")]
    Revoked {
        /// The researcher.
        grantee: Address,
        /// The scope.
        scope: B256,
    },
    /// The grant expired.
    #[error("the grant for {grantee} and scope {scope} expired at Unix time {expiry}")]
    Expired {
        /// The researcher.
        grantee: Address,
        /// The scope.
        scope: B256,
        /// Its expiry.
        expiry: u64,
    },
    /// The cache has not synced recently: the chain cannot be read, so nothing runs.
    #[error("consent cannot be checked: the registry was last read {age:?} ago (limit {limit:?})")]
    Stale {
        /// Since the last sync (or since start, if never).
        age: Duration,
        /// The staleness limit.
        limit: Duration,
    },
    /// The newest block the chain view shows is too old: the view may be frozen, so nothing runs.
    #[error(
        "consent cannot be checked: the newest block the vault can read is {age:?} old (limit {limit:?}); \
         the chain or its RPC endpoints have stopped moving"
    )]
    HeadTooOld {
        /// The head block's age by the vault's clock.
        age: Duration,
        /// The limit.
        limit: Duration,
    },
    /// The owner has not approved this analysis tool for the vault (or revoked it).
    #[error(
        "analysis tool {tool} is not approved for this vault at block {block}: the owner must install it \
         (`dnavault-wallet approve-tool`) before it runs"
    )]
    ToolNotApproved {
        /// The tool's identity.
        tool: B256,
        /// The block the registry's state was proved at.
        block: u64,
    },
    /// Reading the chain failed.
    #[error("cannot read the registry: {0}")]
    Chain(String),
    /// The storage proof of the grant does not verify, or proves another grant than the events said: an
    /// endpoint lies.
    #[error("the grant could not be proved from the chain's state: {0}")]
    Unproven(String),
}

#[derive(Debug)]
struct State {
    grants: HashMap<Key, Grant>,
    /// The last block whose events are applied; `None` before the first sync.
    block: Option<u64>,
    /// That block's hash: when the chain no longer has it, a reorganisation replaced what was read.
    hash: B256,
    /// That block's timestamp: the chain's "now" for expiry.
    block_time: u64,
    /// The newest head block's timestamp seen: a view whose head stops moving turns stale.
    head_time: u64,
    synced_at: Instant,
}

/// The grants of one vault, kept current from the registry's events.
#[derive(Debug)]
pub struct ConsentCache {
    config: ConsentConfig,
    state: RwLock<State>,
    /// The block each grant was last proved at.
    proven: std::sync::Mutex<HashMap<Key, u64>>,
}

impl ConsentCache {
    /// An empty cache: every check refuses until the first sync.
    pub fn new(config: ConsentConfig) -> Self {
        Self {
            config,
            state: RwLock::new(State {
                grants: HashMap::new(),
                block: None,
                hash: B256::ZERO,
                block_time: 0,
                head_time: 0,
                synced_at: Instant::now(),
            }),
            proven: Default::default(),
        }
    }

    /// Proves, at `consent`'s block, that the owner approves analysis tool `tool` (a manifest's identity) for
    /// this vault: what the registry's state says, not what an endpoint's events or a flag on the host say. A
    /// tool revoked by then, or never approved, is refused.
    pub async fn confirm_tool<P: Provider>(
        &self,
        registry: &VaultRegistryInstance<P>,
        tool: B256,
        consent: &Consent,
    ) -> Result<(), ConsentError> {
        let vault = alloy::primitives::U256::from(self.config.vault_id);
        let approved = crate::proof::prove_tool(
            registry.provider(),
            *registry.address(),
            vault,
            tool,
            consent.block,
        )
        .await?;
        if approved {
            Ok(())
        } else {
            Err(ConsentError::ToolNotApproved {
                tool,
                block: consent.block,
            })
        }
    }

    /// Confirms `consent` (from [`check`](Self::check)) with a storage proof of the grant at its block, once
    /// per grant and block: an endpoint that invented or kept alive the grant the events showed is caught.
    pub async fn confirm<P: Provider>(
        &self,
        registry: &VaultRegistryInstance<P>,
        grantee: Address,
        scope: B256,
        consent: &Consent,
    ) -> Result<(), ConsentError> {
        let key = (grantee, scope);
        let proven = |cache: &Self| {
            cache
                .proven
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
                == Some(&consent.block)
        };
        if proven(self) {
            return Ok(());
        }
        crate::proof::confirm(
            registry.provider(),
            *registry.address(),
            self.config.vault_id,
            grantee,
            scope,
            consent,
        )
        .await?;
        let mut memo = self
            .proven
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.len() >= 10_000 {
            memo.clear();
        }
        memo.insert(key, consent.block);
        Ok(())
    }

    /// Applies the registry's grant events up to the head (or the chain's `safe` or `finalized` block) minus
    /// the confirmation depth; returns the block the cache now holds.
    ///
    /// Blocks below the head are read with `eth_getLogs`, in bounded ranges. The head block's logs may not be
    /// indexed yet when its number is already served (Anvil and geth both answer `eth_getLogs` for it without
    /// them), and a revocation missed that way would never be seen; so the head block's events come from its
    /// receipts, which a node returns whole or not at all. Until they are served, the cache stays one block
    /// behind.
    ///
    /// The cache keeps the hash of the last block it applied. When the chain no longer has that block (a
    /// reorganisation replaced it or one below it), the grants are read again from the first block, so a
    /// grant whose block is gone disappears and a revocation in a replacing block is seen. What is read is
    /// applied only if the block read up to is still the chain's afterwards.
    pub async fn sync<P: Provider>(
        &self,
        registry: &VaultRegistryInstance<P>,
    ) -> Result<u64, ConsentError> {
        let provider = registry.provider();
        let seen = self.read(|state| state.block.map(|block| (block, state.hash)));
        let held = match seen {
            Some((block, _)) => read::header_if_any(provider, block).await?,
            None => None,
        };
        let reorganised = seen.is_some_and(|(_, hash)| held.is_none_or(|held| held.hash != hash));
        if reorganised {
            tracing::warn!(
                "the chain reorganised below the consent cache's last block: reading grants again"
            );
        }
        let from = match (seen, reorganised) {
            (Some((block, _)), false) => block + 1,
            _ => 0,
        };
        // The head by number (the highest a quorum of endpoints reached), then its header by number: a
        // "latest" block would differ between endpoints a block apart.
        let head = provider.get_block_number().await.map_err(read::chain)?;
        let head_header = match held.filter(|held| held.number == head && !reorganised) {
            Some(held) => held,
            None => read::header(provider, head).await?,
        };
        self.saw_head(head_header.timestamp);
        let tip = match self.config.read_at {
            ReadAt::Head => head,
            tagged => read::tagged(provider, tagged).await?.min(head),
        };
        let target = tip.saturating_sub(self.config.confirmations);
        if from > target {
            // No new block to read, and the one held is still the chain's.
            self.touch();
            return Ok(self.synced_block().unwrap_or_default());
        }
        let at_target = match target == head {
            true => head_header,
            false => read::header(provider, target).await?,
        };
        let (changes, reached) = self.read_changes(registry, from, target, head).await?;
        let Some(reached) = reached else {
            self.touch();
            return Ok(self.synced_block().unwrap_or_default());
        };
        // The block read up to must still be the chain's: else a reorganisation raced this read.
        let still = read::header(provider, reached).await?;
        let expected = if reached == target {
            at_target.hash
        } else {
            at_target.parent_hash
        };
        if still.hash != expected {
            self.touch();
            return Ok(self.synced_block().unwrap_or_default());
        }
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The chain was read; whether or not anything is applied.
        state.synced_at = Instant::now();
        let unchanged = state.block.map(|block| (block, state.hash)) == seen;
        if reorganised {
            // Read again from the first block: the new grants replace the old, if no other sync moved on.
            if !unchanged {
                return Ok(state.block.unwrap_or_default());
            }
            state.grants.clear();
        } else if let Some(block) = state.block.filter(|&block| block >= reached) {
            // Another sync got as far or further while this one read: applying these older events again
            // could bring back a grant revoked since, so they are dropped.
            return Ok(block);
        }
        for change in changes {
            match change {
                Change::Granted(key, grant) => {
                    state.grants.insert(key, grant);
                }
                Change::Revoked(key) => {
                    if let Some(grant) = state.grants.get_mut(&key) {
                        grant.revoked = true;
                    }
                }
                Change::OwnerChanged => state.grants.clear(),
            }
        }
        state.block = Some(reached);
        state.hash = still.hash;
        state.block_time = at_target.timestamp;
        Ok(reached)
    }

    /// The changes to the vault's grants in blocks `from..=target` (`from <= target`; the head's from its receipts) and the
    /// block they reach (`None`: not even the block before the head could be read).
    async fn read_changes<P: Provider>(
        &self,
        registry: &VaultRegistryInstance<P>,
        from: u64,
        target: u64,
        head: u64,
    ) -> Result<(Vec<Change>, Option<u64>), ConsentError> {
        let mut changes = Vec::new();
        let settled = if target == head {
            target.checked_sub(1)
        } else {
            Some(target)
        };
        if let Some(settled) = settled.filter(|&settled| settled >= from) {
            for log in read::logs(registry, self.config.vault_id, from, settled).await? {
                changes.extend(events::change(
                    registry.address(),
                    self.config.vault_id,
                    &log,
                )?);
            }
        }
        let mut reached = Some(target);
        if target == head {
            match read::block_logs(registry.provider(), target).await? {
                Some(logs) => {
                    for log in &logs {
                        changes.extend(events::change(
                            registry.address(),
                            self.config.vault_id,
                            log,
                        )?);
                    }
                }
                None => reached = target.checked_sub(1),
            }
        }
        Ok((changes, reached))
    }

    /// Notes the newest block's time: what the head's age is measured from.
    fn saw_head(&self, timestamp: u64) {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.head_time = state.head_time.max(timestamp);
    }

    /// Notes that the chain was read, though nothing new was applied.
    fn touch(&self) {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .synced_at = Instant::now();
    }

    /// Syncs every poll interval until the returned handle is aborted. A failed sync keeps the last state,
    /// which turns stale (and refuses) once the staleness limit passes.
    pub fn keep_current<P: Provider + Clone + 'static>(
        self: &Arc<Self>,
        registry: VaultRegistryInstance<P>,
    ) -> tokio::task::JoinHandle<()> {
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(cache.config.poll_interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = cache.sync(&registry).await {
                    tracing::warn!(%error, "consent cache sync failed; it refuses queries once stale");
                }
            }
        })
    }

    /// The last block whose events are applied; `None` before the first sync.
    pub fn synced_block(&self) -> Option<u64> {
        self.read(|state| state.block)
    }

    /// Whether `grantee` may run `scope` on this vault now. Fails closed.
    pub fn check(&self, grantee: Address, scope: B256) -> Result<Consent, ConsentError> {
        let state = self
            .state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let age = state.synced_at.elapsed();
        let Some(block) = state.block.filter(|_| age <= self.config.max_staleness) else {
            return Err(ConsentError::Stale {
                age,
                limit: self.config.max_staleness,
            });
        };
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(u64::MAX, |d| d.as_secs());
        let head_age = Duration::from_secs(wall.saturating_sub(state.head_time));
        if head_age > self.config.max_head_age {
            return Err(ConsentError::HeadTooOld {
                age: head_age,
                limit: self.config.max_head_age,
            });
        }
        let grant = state
            .grants
            .get(&(grantee, scope))
            .ok_or(ConsentError::NoGrant { grantee, scope })?;
        if grant.revoked {
            return Err(ConsentError::Revoked { grantee, scope });
        }
        // The later of the wall clock and the chain's clock: an expired grant never runs.
        let now = wall.max(state.block_time);
        if grant.expiry <= now {
            return Err(ConsentError::Expired {
                grantee,
                scope,
                expiry: grant.expiry,
            });
        }
        Ok(Consent {
            expiry: grant.expiry,
            purpose: grant.purpose,
            per_query_approval: grant.per_query_approval,
            max_queries: grant.max_queries,
            granted_in: grant.granted_in,
            block,
        })
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self
            .state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}
