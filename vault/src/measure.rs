//! `dnavault-vault measure`: the launch measurement a guest will have, for its owner to approve beforehand.

use std::path::PathBuf;

use clap::Args;
use dnavault_attest::measure::{LaunchConfig, launch_measurement};
use serde_json::json;

#[derive(Debug, Args)]
pub(crate) struct MeasureArgs {
    /// The OVMF firmware image (an `AmdSev` build to measure a kernel).
    #[arg(long, value_name = "FILE")]
    ovmf: PathBuf,
    /// Number of vCPUs.
    #[arg(long, default_value_t = 1)]
    vcpus: u32,
    /// The vCPU model as QEMU names it (epyc-v4, epyc-milan, epyc-genoa, epyc-turin, ...).
    #[arg(long, default_value = "epyc-v4")]
    vcpu_type: String,
    /// The guest's SEV_FEATURES, hex (bit 0, SNP active, is required).
    #[arg(long, default_value = "0x1", value_parser = parse_hex_u64)]
    guest_features: u64,
    /// The kernel OVMF measures (direct boot).
    #[arg(long, value_name = "FILE")]
    kernel: Option<PathBuf>,
    /// The initrd.
    #[arg(long, value_name = "FILE")]
    initrd: Option<PathBuf>,
    /// The kernel command line.
    #[arg(long)]
    append: Option<String>,
    /// The VMM: qemu, ec2 or krun.
    #[arg(long, default_value = "qemu")]
    vmm: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn parse_hex_u64(text: &str) -> Result<u64, String> {
    u64::from_str_radix(text.trim_start_matches("0x"), 16)
        .map_err(|e| format!("`{text}` is not a hex number: {e}"))
}

pub(crate) fn run(args: MeasureArgs) -> eyre::Result<()> {
    let config = LaunchConfig {
        ovmf: args.ovmf,
        vcpus: args.vcpus,
        vcpu_type: args.vcpu_type,
        guest_features: args.guest_features,
        kernel: args.kernel,
        initrd: args.initrd,
        append: args.append,
        vmm: args.vmm,
    };
    let measurement = hex::encode(launch_measurement(&config)?);
    if args.json {
        let value = json!({
            "measurement": measurement,
            "ovmf": config.ovmf,
            "vcpus": config.vcpus,
            "vcpuType": config.vcpu_type,
            "guestFeatures": format!("{:#x}", config.guest_features),
            "kernel": config.kernel,
            "initrd": config.initrd,
            "append": config.append,
            "vmm": config.vmm,
        });
        println!("{value}");
    } else {
        println!("{measurement}");
        eprintln!(
            "Approve it for a vault with: dnavault-wallet approve-measurement --vault ID --measurement {measurement}"
        );
    }
    Ok(())
}
