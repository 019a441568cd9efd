//! What arrives signed: SEV-SNP evidence (a report and its endorsement key's certificate), EIP-712
//! typed-data documents the wallet is asked to sign, and relay messages an inbox opens.

use std::sync::OnceLock;

use alloy::{
    primitives::{Address, address},
    signers::local::PrivateKeySigner,
};
use dnavault_attest::{Evidence, ExpectedReportData, Policy, Verifier};
use dnavault_envelope::RecipientKey;
use dnavault_relay::{Envelope, Kind, Payload, Seen, SignedRegistration};
use dnavault_wallet::explain::Deployment;

use crate::two_parts;

/// An SNP attestation report's length; the rest of an evidence input is the certificate.
const REPORT_LEN: usize = 1184;

/// The part of a report its signature covers.
const SIGNED_LEN: usize = 0x2A0;

/// A time within every recorded endorsement key's validity (2025-06-15).
const RECORDED: u64 = 1_750_000_000;

/// The signed part of each real report a seed holds: a report that verifies must be one of them.
const REAL_REPORTS: [&[u8]; 4] = [
    include_bytes!("../../attest/tests/vectors/snp/test-report.bin"),
    include_bytes!("../../attest/tests/vectors/snp/az-milan-snp-report.bin"),
    include_bytes!("../../attest/tests/vectors/snp/az-genoa-snp-report.bin"),
    include_bytes!("../../attest/tests/vectors/snp/test-vlek-report.bin"),
];

/// A report (its first [`REPORT_LEN`] bytes) and a certificate (DER or PEM, the rest), verified against
/// AMD's roots as of [`RECORDED`]: what verifies is a real report, its signed part unaltered.
pub fn snp_evidence(data: &[u8]) -> bool {
    if data.len() < REPORT_LEN {
        return false;
    }
    let (report, certificate) = data.split_at(REPORT_LEN);
    let Ok(evidence) = Evidence::new(report.to_vec(), certificate) else {
        return false;
    };
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        Verifier::production(Policy {
            max_vmpl: 1,
            ..Policy::default()
        })
    });
    let verified = verifier
        .verify_at(&evidence, ExpectedReportData::Unchecked, RECORDED)
        .is_ok();
    if verified {
        assert!(
            REAL_REPORTS
                .iter()
                .any(|real| real[..SIGNED_LEN] == report[..SIGNED_LEN]),
            "an altered report verified"
        );
    }
    verified
}

/// The deployment the wallet is set up for in these inputs: Anvil's first registry.
const DEPLOYMENT: Deployment = Deployment {
    chain_id: 31337,
    registry: address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
};

/// A typed-data document (JSON), then 0xFF, then the analysis descriptor its scope names (JSON, or
/// nothing): reviewed as a signing screen reviews it. Accepted when the screen would show it.
pub fn typed_data(data: &[u8]) -> bool {
    let (document, descriptor) = two_parts(data);
    let (Ok(document), Ok(descriptor)) = (
        std::str::from_utf8(document),
        std::str::from_utf8(descriptor),
    ) else {
        return false;
    };
    let descriptor = (!descriptor.is_empty()).then_some(descriptor);
    let reviewed = dnavault_wallet::typed::review_json(document, descriptor, Some(DEPLOYMENT));
    if let Ok((_, explanation)) = &reviewed {
        assert!(
            !explanation.title.is_empty(),
            "a document reviewed without a title"
        );
    }
    reviewed.is_ok()
}

/// The relay's parties in these inputs: fixed keys, so seeds stay valid.
struct RelayParties {
    /// Who sends the seed's message.
    sender: PrivateKeySigner,
    /// The inbox it is sealed to.
    inbox: SignedRegistration,
    /// The inbox's HPKE key.
    key: RecipientKey,
}

/// The payload every seed carries: an inbox that opens a message must find exactly it.
fn relay_payload() -> Payload {
    Payload::CodeUpdateAnswer {
        request: alloy::primitives::B256::repeat_byte(9),
        approved: true,
    }
}

/// The seeds' parties.
fn relay_parties() -> &'static RelayParties {
    static PARTIES: OnceLock<RelayParties> = OnceLock::new();
    PARTIES.get_or_init(|| {
        let signer = |byte| PrivateKeySigner::from_bytes(&[byte; 32].into()).expect("a key");
        let key = RecipientKey::derive(&[3; 32]).expect("32 bytes of key material");
        let owner = signer(2);
        let inbox = SignedRegistration::sign(&owner, &domain(), &key.public_key(), RECORDED)
            .expect("a registration");
        RelayParties {
            sender: signer(1),
            inbox,
            key,
        }
    })
}

/// The relay's EIP-712 domain in these inputs.
fn domain() -> alloy::sol_types::Eip712Domain {
    dnavault_protocol::eip712::registry_domain(DEPLOYMENT.chain_id, DEPLOYMENT.registry)
}

/// A relay message as JSON, opened by the inbox it names as of the seeds' time: one that opens came from
/// the seeds' sender and carries their payload.
pub fn relay_envelope(data: &[u8]) -> bool {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(data) else {
        return false;
    };
    let parties = relay_parties();
    let mut seen = Seen::default();
    let Ok(opened) = envelope.open(
        &domain(),
        &parties.inbox,
        &parties.key,
        &mut seen,
        RECORDED + 1,
    ) else {
        return false;
    };
    let sender: Address = parties.sender.address();
    assert_eq!(opened.sender, sender, "a message opened as another's");
    assert_eq!(opened.kind, Kind::CodeUpdateAnswer);
    assert_eq!(
        opened.payload.as_slice(),
        relay_payload().to_bytes(),
        "a message opened to other bytes"
    );
    Payload::from_bytes(opened.kind, &opened.payload).is_ok()
}

/// A relay message the seeds' sender sealed to the seeds' inbox.
pub(crate) fn relay_seed() -> Vec<u8> {
    let parties = relay_parties();
    let payload = relay_payload();
    let envelope = Envelope::seal(
        &parties.sender,
        &domain(),
        &parties.inbox,
        payload.kind(),
        &payload.to_bytes(),
        RECORDED,
        600,
    )
    .expect("sealed");
    serde_json::to_vec(&envelope).expect("JSON")
}
