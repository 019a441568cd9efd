//! The attestation backend the settings name: SEV-SNP hardware, or (in a build with the `simulated`
//! feature only) the simulated platform, which writes its test-only roots to the data directory for the
//! owner's wallet.

use std::path::PathBuf;

use dnavault_attest::{Backend, hardware::Hardware};

use crate::{LaunchError, Platform, Settings};

/// The backend, and where the simulated platform wrote its roots (`None` on hardware).
pub(crate) fn backend(
    settings: &Settings,
) -> Result<(Box<dyn Backend>, Option<PathBuf>), LaunchError> {
    match settings.platform {
        Platform::SevGuest => Ok((
            Box::new(Hardware {
                cached_vcek: settings.cached_vcek.clone(),
                vmpl: 0,
            }),
            None,
        )),
        Platform::Simulated => simulated(settings),
    }
}

#[cfg(feature = "simulated")]
fn simulated(settings: &Settings) -> Result<(Box<dyn Backend>, Option<PathBuf>), LaunchError> {
    use std::sync::Arc;

    use dnavault_attest::{backend::Simulated, simulated::SimulatedPlatform};

    /// The file a simulated vault writes its test-only root bundle to.
    const SIMULATED_ROOTS: &str = "simulated-platform-roots.pem";

    let text = settings
        .simulated_measurement
        .as_deref()
        .unwrap_or_default();
    let measurement: [u8; 48] = hex::decode(text.trim_start_matches("0x"))
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(LaunchError::Measurement)?;
    let platform = Arc::new(SimulatedPlatform::new()?);
    let roots = settings.data_dir.join(SIMULATED_ROOTS);
    std::fs::write(&roots, platform.root_bundle_pem()).map_err(|source| LaunchError::File {
        path: roots.clone(),
        source,
    })?;
    tracing::warn!(
        roots = %roots.display(),
        "SIMULATED PLATFORM: this vault's memory is NOT protected by SEV-SNP; its evidence chains to a \
         test-only root. Never put real genomes in it."
    );
    Ok((Box::new(Simulated::new(platform, measurement)), Some(roots)))
}

/// A production build has no simulated platform: it says so rather than run unprotected.
#[cfg(not(feature = "simulated"))]
fn simulated(_: &Settings) -> Result<(Box<dyn Backend>, Option<PathBuf>), LaunchError> {
    Err(LaunchError::NoSimulatedPlatform)
}

#[cfg(all(test, not(feature = "simulated")))]
mod tests {
    use crate::Settings;

    #[test]
    fn a_production_build_refuses_the_simulated_platform_and_says_what_to_do() {
        let flags = crate::settings::tests::flags(&[
            ("data_dir", "/nonexistent".into()),
            ("rpc_url", "http://127.0.0.1:1".into()),
            ("chain_id", 1.into()),
            (
                "registry",
                "0x5FbDB2315678afecb367f032d93F642f64180aa3".into(),
            ),
            ("vault_id", 1.into()),
            ("platform", "simulated".into()),
            ("simulated_measurement", "ab".repeat(48).into()),
        ]);
        let settings = Settings::load(None, &flags).unwrap();
        let Err(error) = super::backend(&settings) else {
            panic!("a production build made a simulated platform");
        };
        let error = error.to_string();
        assert!(
            error.contains("production build") && error.contains("--platform sev-guest"),
            "{error}"
        );
    }
}
