//! Where evidence comes from: AMD hardware (`/dev/sev-guest`) or the simulated platform.

use crate::{Evidence, Result};

/// A source of attestation evidence for this guest.
pub trait Backend: Send + Sync {
    /// A report carrying `report_data`, with the certificate of the key that signed it.
    fn attest(&self, report_data: [u8; 64]) -> Result<Evidence>;

    /// Whether the evidence chains to a test-only root (the simulated platform).
    fn is_test_only(&self) -> bool;
}

/// The simulated platform as a backend, for a guest with a chosen measurement.
#[cfg(feature = "simulated")]
pub struct Simulated {
    platform: std::sync::Arc<crate::simulated::SimulatedPlatform>,
    measurement: [u8; 48],
}

#[cfg(feature = "simulated")]
impl Simulated {
    /// A simulated guest launched with `measurement` on `platform`.
    pub fn new(
        platform: std::sync::Arc<crate::simulated::SimulatedPlatform>,
        measurement: [u8; 48],
    ) -> Self {
        Self {
            platform,
            measurement,
        }
    }
}

#[cfg(feature = "simulated")]
impl Backend for Simulated {
    fn attest(&self, report_data: [u8; 64]) -> Result<Evidence> {
        self.platform.attest(&crate::simulated::GuestConfig::vault(
            self.measurement,
            report_data,
        ))
    }

    fn is_test_only(&self) -> bool {
        true
    }
}
