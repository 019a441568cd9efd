//! Why a query could not be asked or its answer not trusted.

/// A researcher-side failure.
#[derive(Debug, thiserror::Error)]
pub enum ResearchError {
    /// The vault refused, or could not be reached.
    #[error(transparent)]
    Vault(#[from] dnavault_ratls::RatlsError),
    /// The vault's evidence does not verify or does not bind what it serves.
    #[error("the vault's attestation: {0}")]
    Attestation(String),
    /// The chain could not be read.
    #[error("cannot read the registry: {0}")]
    Chain(String),
    /// The answer does not hold: the receipt, its signer or the sealed result.
    #[error("the vault's answer does not hold: {0}")]
    Answer(String),
    /// The query could not be prepared.
    #[error("the query: {0}")]
    Query(String),
}
