//! The head block, as a node serves it while it is still storing the block's receipts: its number and
//! header are served, `eth_getLogs` answers without its logs and `eth_getBlockReceipts` with null (Anvil
//! does this for a moment after each block). The cache reads the head block's events from its receipts
//! and stays one block behind until they are served, so no grant or revocation in it is ever skipped. A
//! block replaced under the cache is noticed by its hash.

use alloy::{
    consensus::{Receipt, ReceiptEnvelope, ReceiptWithBloom},
    primitives::{Address, B256, FixedBytes, LogData, U64},
    providers::ProviderBuilder,
    rpc::types::{Block, Log, TransactionReceipt},
    sol_types::SolEvent,
    transports::mock::Asserter,
};
use dnavault_consent::{ConsentCache, ConsentConfig, ConsentError};
use dnavault_protocol::VaultRegistry::{self, GrantRevoked, Granted};

const REGISTRY: Address = Address::new([0x42; 20]);
const SCOPE: B256 = B256::new([0x5c; 32]);
const EARLIER: Address = Address::new([0x01; 20]);
const IN_HEAD: Address = Address::new([0x02; 20]);
const OTHER_VAULT: Address = Address::new([0x03; 20]);
const OTHER_CONTRACT: Address = Address::new([0x04; 20]);
/// Far in the future: these grants do not expire during the test.
const EXPIRY: u64 = 4_000_000_000;

/// Block `number` of one chain: its hash is `number` repeated, its parent's `number - 1`.
fn block(number: u64) -> Block {
    forked(number, 0)
}

/// Block `number` of fork `fork` (0: the first chain).
fn forked(number: u64, fork: u8) -> Block {
    let byte = |n: u64| u8::try_from(n % 128).unwrap() | (fork << 7);
    let mut block: Block = Block::default();
    block.header.inner.number = number;
    block.header.inner.timestamp = 1_700_000_000 + number;
    block.header.hash = B256::repeat_byte(byte(number));
    block.header.inner.parent_hash = B256::repeat_byte(byte(number.saturating_sub(1)));
    block
}

fn log(address: Address, data: LogData, block: u64) -> Log {
    Log {
        inner: alloy::primitives::Log { address, data },
        block_number: Some(block),
        transaction_hash: Some(B256::repeat_byte(u8::try_from(block % 256).unwrap())),
        log_index: Some(0),
        ..Log::default()
    }
}

fn granted(vault: u64, grantee: Address) -> LogData {
    Granted {
        vaultId: alloy::primitives::U256::from(vault),
        grantee,
        scope: SCOPE,
        expiry: EXPIRY,
        purpose: FixedBytes::ZERO,
        perQueryApproval: false,
        maxQueries: 0,
    }
    .encode_log_data()
}

fn revoked(vault: u64, grantee: Address) -> LogData {
    GrantRevoked {
        vaultId: alloy::primitives::U256::from(vault),
        grantee,
        scope: SCOPE,
    }
    .encode_log_data()
}

fn receipt(logs: Vec<Log>) -> TransactionReceipt {
    TransactionReceipt {
        inner: ReceiptEnvelope::Eip1559(ReceiptWithBloom {
            receipt: Receipt {
                status: true.into(),
                cumulative_gas_used: 0,
                logs,
            },
            logs_bloom: Default::default(),
        }),
        transaction_hash: B256::ZERO,
        transaction_index: Some(0),
        block_hash: None,
        block_number: None,
        gas_used: 0,
        effective_gas_price: 0,
        blob_gas_used: None,
        blob_gas_price: None,
        from: Address::ZERO,
        to: Some(REGISTRY),
        contract_address: None,
    }
}

/// A node whose answers the test scripts, the registry on it, and vault 1's cache at `confirmations` depth.
fn mocked(
    confirmations: u64,
) -> (
    Asserter,
    VaultRegistry::VaultRegistryInstance<impl alloy::providers::Provider>,
    ConsentCache,
) {
    let asserter = Asserter::new();
    let provider = ProviderBuilder::new().connect_mocked_client(asserter.clone());
    let config = ConsentConfig {
        confirmations,
        // These blocks are from 2023: their age is not what these tests are about.
        max_head_age: std::time::Duration::MAX,
        ..ConsentConfig::for_vault(1)
    };
    (
        asserter,
        VaultRegistry::new(REGISTRY, provider),
        ConsentCache::new(config),
    )
}

#[tokio::test]
async fn the_head_blocks_events_come_from_its_receipts_once_served() {
    let (asserter, registry, cache) = mocked(0);

    // Head 5, its receipts not served yet: blocks 0..=4 are read with eth_getLogs, block 5 waits.
    asserter.push_success(&U64::from(5));
    asserter.push_success(&block(5));
    asserter.push_success(&vec![log(REGISTRY, granted(1, EARLIER), 3)]);
    asserter.push_success(&Option::<Vec<TransactionReceipt>>::None);
    asserter.push_success(&block(4));
    assert_eq!(cache.sync(&registry).await.unwrap(), 4);
    assert_eq!(cache.check(EARLIER, SCOPE).unwrap().block, 4);
    assert!(matches!(
        cache.check(IN_HEAD, SCOPE),
        Err(ConsentError::NoGrant { .. })
    ));

    // A poll whose receipts request fails changes nothing (and the cache turns stale if it goes on).
    asserter.push_success(&block(4));
    asserter.push_success(&U64::from(5));
    asserter.push_success(&block(5));
    asserter.push_failure_msg("connection reset");
    assert!(matches!(
        cache.sync(&registry).await,
        Err(ConsentError::Chain(_))
    ));
    assert_eq!(cache.check(EARLIER, SCOPE).unwrap().block, 4);

    // The next poll: the head's receipts are served, with a revocation, a grant, and events the vault
    // must ignore (another vault's, another contract's).
    asserter.push_success(&block(4));
    asserter.push_success(&U64::from(5));
    asserter.push_success(&block(5));
    asserter.push_success(&Some(vec![
        receipt(vec![
            log(REGISTRY, revoked(1, EARLIER), 5),
            log(REGISTRY, granted(2, OTHER_VAULT), 5),
        ]),
        receipt(vec![
            log(OTHER_CONTRACT, granted(1, OTHER_CONTRACT), 5),
            log(REGISTRY, granted(1, IN_HEAD), 5),
        ]),
    ]));
    asserter.push_success(&block(5));
    assert_eq!(cache.sync(&registry).await.unwrap(), 5);
    assert!(matches!(
        cache.check(EARLIER, SCOPE),
        Err(ConsentError::Revoked { .. })
    ));
    assert_eq!(cache.check(IN_HEAD, SCOPE).unwrap().block, 5);
    for ignored in [OTHER_VAULT, OTHER_CONTRACT] {
        assert!(matches!(
            cache.check(ignored, SCOPE),
            Err(ConsentError::NoGrant { .. })
        ));
    }

    // A new head: block 5 is now settled and not read again; block 6 comes from its receipts.
    asserter.push_success(&block(5));
    asserter.push_success(&U64::from(6));
    asserter.push_success(&block(6));
    asserter.push_success(&Some(Vec::<TransactionReceipt>::new()));
    asserter.push_success(&block(6));
    assert_eq!(cache.sync(&registry).await.unwrap(), 6);

    // No new block: a poll asks for the held block's header and the head's number, nothing more.
    asserter.push_success(&block(6));
    asserter.push_success(&U64::from(6));
    assert_eq!(cache.sync(&registry).await.unwrap(), 6);
    assert!(asserter.read_q().is_empty(), "every answer was asked for");
}

#[tokio::test]
async fn with_a_confirmation_depth_only_settled_blocks_are_read() {
    let (asserter, registry, cache) = mocked(2);
    asserter.push_success(&U64::from(9));
    asserter.push_success(&block(9)); // the head's header
    asserter.push_success(&block(7));
    asserter.push_success(&vec![log(REGISTRY, granted(1, EARLIER), 7)]);
    asserter.push_success(&block(7));
    assert_eq!(cache.sync(&registry).await.unwrap(), 7);
    assert!(cache.check(EARLIER, SCOPE).is_ok());
    assert!(asserter.read_q().is_empty(), "no receipts were asked for");
}

/// A block replaced while the cache reads up to it: what was read is not applied, and the next poll, seeing
/// the block it holds replaced, reads every block again.
#[tokio::test]
async fn a_block_replaced_while_it_is_read_is_read_again() {
    let (asserter, registry, cache) = mocked(1);
    asserter.push_success(&U64::from(4));
    asserter.push_success(&block(4)); // the head's header
    asserter.push_success(&block(3));
    asserter.push_success(&vec![log(REGISTRY, granted(1, EARLIER), 2)]);
    asserter.push_success(&block(3));
    assert_eq!(cache.sync(&registry).await.unwrap(), 3);

    // Blocks 4 and 5 arrive; block 4 is replaced between the read of its logs and the check.
    asserter.push_success(&block(3));
    asserter.push_success(&U64::from(5));
    asserter.push_success(&block(5)); // the head's header
    asserter.push_success(&block(4));
    asserter.push_success(&vec![log(REGISTRY, granted(1, IN_HEAD), 4)]);
    asserter.push_success(&forked(4, 1));
    assert_eq!(cache.sync(&registry).await.unwrap(), 3, "not applied");
    assert!(matches!(
        cache.check(IN_HEAD, SCOPE),
        Err(ConsentError::NoGrant { .. })
    ));

    // The fork reaches below the cache's block: everything is read again, and the earlier grant, absent
    // from the new chain, is gone.
    asserter.push_success(&forked(3, 1));
    asserter.push_success(&U64::from(5));
    asserter.push_success(&forked(5, 1)); // the head's header
    asserter.push_success(&forked(4, 1));
    asserter.push_success(&vec![log(REGISTRY, granted(1, IN_HEAD), 4)]);
    asserter.push_success(&forked(4, 1));
    assert_eq!(cache.sync(&registry).await.unwrap(), 4);
    assert!(matches!(
        cache.check(EARLIER, SCOPE),
        Err(ConsentError::NoGrant { .. })
    ));
    assert!(cache.check(IN_HEAD, SCOPE).is_ok());
    assert!(asserter.read_q().is_empty(), "every answer was asked for");
}

/// The first sync of a long chain asks for logs in ranges providers accept (5,000 blocks at most).
#[tokio::test]
async fn the_first_sync_reads_logs_in_bounded_ranges() {
    let (asserter, registry, cache) = mocked(1);
    asserter.push_success(&U64::from(12_001));
    asserter.push_success(&block(12_001)); // the head's header
    asserter.push_success(&block(12_000));
    // Blocks 0-4999, 5000-9999, 10000-12000: three requests, each answered.
    asserter.push_success(&Vec::<Log>::new());
    asserter.push_success(&vec![log(REGISTRY, granted(1, EARLIER), 7_777)]);
    asserter.push_success(&Vec::<Log>::new());
    asserter.push_success(&block(12_000));
    assert_eq!(cache.sync(&registry).await.unwrap(), 12_000);
    assert!(cache.check(EARLIER, SCOPE).is_ok());
    assert!(asserter.read_q().is_empty(), "three log requests");
}
