//! The vault's library and its command line without a running service: sealed boot on Anvil with the
//! simulated platform, the genome analyses on the encrypted store, `attest verify` and `genome`. The vault
//! as a running process, with the wallet and the researcher, is tested in the workspace's `tests/` package.

mod attest_cli;
mod boot;
mod encrypted_genome;
mod genome_check;
mod genome_cli;
