//! The unlocked wallet: made from new words or restored, sealed for the browser's storage under a passkey's
//! PRF output or a passphrase, and opened again; it derives every key and signs. Dropping it (the shell's
//! `free()`, e.g. on the inactivity lock) zeroizes the words and the seed.

use std::rc::Rc;

use dnavault_keys::{
    Seed, SeedPhrase,
    keystore::{self, KdfStrength, PASSKEY_KEY_LEN, Unlocked},
};
use dnavault_wallet::{audit, identity::Identity, typed};
use rand_core::{OsRng, RngCore};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::{AppError, to_js};

/// scrypt's work factor for the passphrase fallback: N = 2^16 (64 MiB), what a phone's browser holds; the
/// CLI calibrates higher. The app's usual lock is the passkey, whose key has no guessable input.
pub(crate) const PASSPHRASE_LOG_N: u8 = 16;

/// How many words a person types back before new words are accepted.
pub(crate) const WORDS_TO_CONFIRM: usize = 3;

/// The owner's wallet, unlocked in this page.
#[wasm_bindgen]
pub struct Wallet {
    unlocked: Unlocked,
    seed: Rc<Seed>,
}

#[wasm_bindgen]
impl Wallet {
    /// A wallet from 12 new words (128 bits from the browser's random source).
    pub fn generate() -> Self {
        Self::from(Unlocked::new(SeedPhrase::generate(), ""))
    }

    /// The wallet `words` restore (with the optional BIP39 passphrase); a wrong word is named by position.
    pub fn restore(words: String, bip39_passphrase: String) -> Result<Self, AppError> {
        let words = Zeroizing::new(words);
        let bip39_passphrase = Zeroizing::new(bip39_passphrase);
        let phrase = SeedPhrase::parse(&words)?;
        Ok(Self::from(Unlocked::new(phrase, &bip39_passphrase)))
    }

    /// Opens a keystore sealed under a passkey with the PRF output that passkey gave now.
    #[wasm_bindgen(js_name = openWithPasskey)]
    pub fn open_with_passkey(sealed: &[u8], prf_output: Vec<u8>) -> Result<Self, AppError> {
        let key = prf_key(prf_output)?;
        Ok(Self::from(keystore::open_with_passkey(sealed, &key)?))
    }

    /// Opens a keystore sealed under a passphrase.
    #[wasm_bindgen(js_name = openWithPassphrase)]
    pub fn open_with_passphrase(sealed: &[u8], passphrase: String) -> Result<Self, AppError> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(Self::from(keystore::open_with_passphrase(
            sealed,
            &passphrase,
        )?))
    }

    /// The keystore sealed under a key from a passkey's PRF output: what the browser stores.
    #[wasm_bindgen(js_name = sealWithPasskey)]
    pub fn seal_with_passkey(&self, prf_output: Vec<u8>) -> Result<Vec<u8>, AppError> {
        let key = prf_key(prf_output)?;
        Ok(keystore::seal_with_passkey(
            &self.unlocked.phrase,
            self.unlocked.bip39_passphrase(),
            &key,
        )?)
    }

    /// The keystore sealed under a passphrase (the fallback when no passkey has the PRF extension).
    #[wasm_bindgen(js_name = sealWithPassphrase)]
    pub fn seal_with_passphrase(&self, passphrase: String) -> Result<Vec<u8>, AppError> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(keystore::seal_with_passphrase(
            &self.unlocked.phrase,
            self.unlocked.bip39_passphrase(),
            &passphrase,
            KdfStrength::LogN(PASSPHRASE_LOG_N),
        )?)
    }

    /// The recovery words, space-separated: shown once when they are new, and on an explicit export.
    #[wasm_bindgen(js_name = recoveryWords)]
    pub fn recovery_words(&self) -> String {
        self.unlocked.phrase.words().to_string()
    }

    /// Which words (1-based positions, ascending) the person types back to show they wrote them down.
    #[wasm_bindgen(js_name = confirmationPositions)]
    pub fn confirmation_positions(&self) -> Vec<u32> {
        let count = self.unlocked.phrase.word_count();
        let mut positions: Vec<u32> = Vec::with_capacity(WORDS_TO_CONFIRM);
        while positions.len() < WORDS_TO_CONFIRM.min(count) {
            let position = OsRng.next_u32() % count as u32 + 1;
            if !positions.contains(&position) {
                positions.push(position);
            }
        }
        positions.sort_unstable();
        positions
    }

    /// Whether `words` are the words at `positions` (1-based), ignoring case and surrounding spaces.
    #[wasm_bindgen(js_name = confirmWords)]
    pub fn confirm_words(&self, positions: Vec<u32>, words: Vec<String>) -> bool {
        let phrase = self.unlocked.phrase.words();
        let all: Vec<&str> = phrase.split_whitespace().collect();
        let typed: Vec<Zeroizing<String>> = words.into_iter().map(Zeroizing::new).collect();
        positions.len() == WORDS_TO_CONFIRM.min(all.len())
            && positions.len() == typed.len()
            && positions.iter().zip(&typed).all(|(&position, word)| {
                usize::try_from(position)
                    .ok()
                    .and_then(|p| p.checked_sub(1))
                    .and_then(|i| all.get(i))
                    .is_some_and(|expected| expected.eq_ignore_ascii_case(word.trim()))
            })
    }

    /// The identity at account `index`: `{index, address, pgpFingerprint, tlsCertificateSha256,
    /// hpkePublicKey}`, as `dnavault-wallet keys show --json` prints it.
    pub fn identity(&self, index: u32) -> Result<JsValue, AppError> {
        to_js(&Identity::of(&self.seed, index)?)
    }

    /// Signs the `eth_signTypedData_v4` document in `json` with account 0 (`descriptor`: as for
    /// [`crate::explain_typed_data`], whose refusals apply here too): `{typedData, digest, signer,
    /// signature}`, as `dnavault-wallet sign-typed-data --json` prints it. The shell shows the explanation
    /// and waits for a tap first.
    #[wasm_bindgen(js_name = signTypedData)]
    pub fn sign_typed_data(
        &self,
        json: &str,
        descriptor: Option<String>,
    ) -> Result<JsValue, AppError> {
        let (data, _) = crate::explain::review(json, descriptor.as_deref(), None)?;
        let signer = self.seed.ethereum_signer(0)?;
        to_js(&typed::sign(&signer, data)?)
    }
}

#[wasm_bindgen]
impl Wallet {
    /// This phone's relay inbox, signed for `chain_id` and `registry` now: shown, then registered.
    pub fn pairing(&self, chain_id: u64, registry: String) -> Result<crate::Pairing, AppError> {
        crate::Pairing::sign(&self.seed, chain_id, &registry, crate::now()?)
    }
}

#[wasm_bindgen]
impl Wallet {
    /// Opens account 0's inbox at the relay and chain `settings` name (`{relay, rpcUrl, chainId, registry,
    /// testRoots?, minTcb?, refuseSmt?}`): a promise of an [`crate::Inbox`]. The inbox shares the seed
    /// until both it and this wallet are freed.
    #[wasm_bindgen(js_name = openInbox)]
    pub fn open_inbox(&self, settings: JsValue) -> js_sys::Promise {
        let seed = self.seed.clone();
        crate::promise(async move {
            let settings = crate::settings::Settings::from_js(settings)?;
            Ok(crate::Inbox::open(seed, settings).await?.into())
        })
    }

    /// Account 0 online at the chain and website `settings` name (as for [`Self::open_inbox`]): a promise
    /// of an [`crate::Owner`], which grants access requests and revokes grants.
    #[wasm_bindgen(js_name = openOwner)]
    pub fn open_owner(&self, settings: JsValue) -> js_sys::Promise {
        let seed = self.seed.clone();
        crate::promise(async move {
            let settings = crate::settings::Settings::from_js(settings)?;
            Ok(crate::Owner::open(&seed, settings).await?.into())
        })
    }
}

#[wasm_bindgen]
impl Wallet {
    /// Vault `vault`'s whole audit log, read through the website `settings` name (as for
    /// [`Self::open_inbox`]) with a signed read sealed to a fresh key, and checked under account 0's audit
    /// key for the vault against the head anchored on-chain: a promise of `{log, checked}`, as
    /// `dnavault-wallet audit --json` prints it. A log that does not open or verify is refused.
    #[wasm_bindgen(js_name = readAudit)]
    pub fn read_audit(&self, settings: JsValue, vault: String) -> js_sys::Promise {
        let seed = self.seed.clone();
        crate::promise(async move {
            let settings = crate::settings::Settings::from_js(settings)?;
            let vault: u64 = vault.parse().map_err(|_| AppError::Input {
                what: "the vault id",
                reason: format!("{vault:?} is not a whole number"),
            })?;
            let website: alloy::transports::http::reqwest::Url =
                settings.relay.parse().map_err(|e| AppError::Input {
                    what: "the website's address",
                    reason: format!("{e}"),
                })?;
            let connection = settings.connect(&seed).await?;
            let fetch = async |header: audit::Header<'_>, page| {
                audit::fetch_through_website(&website, vault, header, page).await
            };
            let (log, checked) =
                audit::read_checked(&seed, 0, &connection, vault, crate::now()?, fetch).await?;
            let mut value =
                serde_json::to_value(&log).map_err(|e| AppError::Internal(e.to_string()))?;
            value["checked"] =
                serde_json::to_value(checked).map_err(|e| AppError::Internal(e.to_string()))?;
            crate::to_js(&value)
        })
    }
}

impl From<Unlocked> for Wallet {
    fn from(unlocked: Unlocked) -> Self {
        let seed = Rc::new(unlocked.seed());
        Self { unlocked, seed }
    }
}

fn prf_key(prf_output: Vec<u8>) -> Result<Zeroizing<[u8; PASSKEY_KEY_LEN]>, AppError> {
    Ok(keystore::sealing_key(prf_output)?)
}
