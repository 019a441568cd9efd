//! The expected launch measurement of a guest, computed before it boots so its owner can approve it.
//!
//! The arithmetic is the `sev` crate's (`snp_calc_launch_digest`, the same as virtee's `sev-snp-measure`):
//! OVMF's pages, the SEV hashes table of kernel, initrd and command line, and one VMSA page per vCPU.

use std::path::PathBuf;

use sev::measurement::{
    snp::{SnpMeasurementArgs, snp_calc_launch_digest},
    vcpu_types::CpuType,
    vmsa::{GuestFeatures, VMMType},
};

/// What a confidential VM is launched with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchConfig {
    /// The OVMF firmware image (an `AmdSev` build to measure a kernel).
    pub ovmf: PathBuf,
    /// Number of vCPUs.
    pub vcpus: u32,
    /// The vCPU model, as QEMU names it (`epyc-v4`, `epyc-milan`, `epyc-genoa`, ...).
    pub vcpu_type: String,
    /// The SEV_FEATURES the hypervisor sets in each VMSA (bit 0: SNP active).
    pub guest_features: u64,
    /// The kernel, measured by OVMF through the SEV hashes table.
    pub kernel: Option<PathBuf>,
    /// The initrd.
    pub initrd: Option<PathBuf>,
    /// The kernel command line.
    pub append: Option<String>,
    /// The VMM (`qemu`, `ec2`, `krun`): it decides some VMSA register values.
    pub vmm: String,
}

impl LaunchConfig {
    /// A QEMU guest with OVMF only: one EPYC-v4 vCPU, SNP active, no kernel.
    pub fn qemu(ovmf: impl Into<PathBuf>) -> Self {
        Self {
            ovmf: ovmf.into(),
            vcpus: 1,
            vcpu_type: "epyc-v4".into(),
            guest_features: 0x1,
            kernel: None,
            initrd: None,
            append: None,
            vmm: "qemu".into(),
        }
    }
}

/// Why a measurement could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// A launch parameter is not valid.
    #[error("invalid {what} `{value}`")]
    Invalid {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// An initrd or command line without a kernel.
    #[error("--initrd and --append measure only with --kernel")]
    NoKernel,
    /// A file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The sev crate refused the inputs (an OVMF without SNP metadata, a kernel with an OVMF that cannot
    /// measure one, ...).
    #[error("cannot measure this guest: {0}")]
    Measurement(String),
}

/// Computes the SNP launch digest (the report's MEASUREMENT) of a guest.
pub fn launch_measurement(config: &LaunchConfig) -> Result<[u8; 48], MeasureError> {
    let vcpu_type =
        CpuType::try_from(config.vcpu_type.as_str()).map_err(|_| MeasureError::Invalid {
            what: "vCPU type",
            value: config.vcpu_type.clone(),
        })?;
    let vmm: VMMType = config.vmm.parse().map_err(|_| MeasureError::Invalid {
        what: "VMM",
        value: config.vmm.clone(),
    })?;
    if config.vcpus == 0 {
        return Err(MeasureError::Invalid {
            what: "vCPU count",
            value: "0".into(),
        });
    }
    if config.guest_features & 1 == 0 {
        return Err(MeasureError::Invalid {
            what: "guest features (bit 0, SNP active, must be set)",
            value: format!("{:#x}", config.guest_features),
        });
    }
    if config.kernel.is_none() && (config.initrd.is_some() || config.append.is_some()) {
        return Err(MeasureError::NoKernel);
    }
    // The sev crate reports a missing file as a bare I/O error; name it here.
    for path in [
        Some(&config.ovmf),
        config.kernel.as_ref(),
        config.initrd.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        std::fs::metadata(path).map_err(|source| MeasureError::Read {
            path: path.clone(),
            source,
        })?;
    }
    let digest = snp_calc_launch_digest(SnpMeasurementArgs {
        vcpus: config.vcpus,
        vcpu_type,
        ovmf_file: config.ovmf.clone(),
        guest_features: GuestFeatures(config.guest_features),
        kernel_file: config.kernel.clone(),
        initrd_file: config.initrd.clone(),
        append: config.append.as_deref(),
        ovmf_hash_str: None,
        vmm_type: Some(vmm),
    })
    .map_err(|e| MeasureError::Measurement(e.to_string()))?;
    let bytes: Vec<u8> = digest
        .try_into()
        .map_err(|e: sev::error::MeasurementError| MeasureError::Measurement(e.to_string()))?;
    bytes
        .try_into()
        .map_err(|_| MeasureError::Measurement("digest is not 48 bytes".into()))
}
