//! Launch measurements against the digests the `sev` crate's OpenSSL build and `sev-snp-measure` agree on
//! (tests/vectors/measurement, Apache-2.0, see its README).

use dnavault_attest::measure::{LaunchConfig, MeasureError, launch_measurement};

fn ovmf(name: &str) -> std::path::PathBuf {
    format!(
        "{}/tests/vectors/measurement/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
    .into()
}

fn hex_of(config: &LaunchConfig) -> String {
    hex::encode(launch_measurement(config).expect("measures"))
}

#[test]
fn ovmf_only_matches_the_reference_digests() {
    let mut config = LaunchConfig::qemu(ovmf("ovmf_AmdSev_suffix.bin"));
    assert_eq!(
        hex_of(&config),
        "19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d"
    );
    config.guest_features = 0x21;
    assert_eq!(
        hex_of(&config),
        "e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b"
    );
    let mut plain = LaunchConfig::qemu(ovmf("ovmf_OvmfX64_suffix.bin"));
    assert_eq!(
        hex_of(&plain),
        "da0296de8193586a5512078dcd719eccecbd87e2b825ad4148c44f665dc87df21e5b49e21523a9ad993afdb6a30b4005"
    );
    plain.guest_features = 0x21;
    assert_eq!(
        hex_of(&plain),
        "28797ae0afaba4005a81e629acebfb59e6687949d6be44007cd5506823b0dd66f146aaae26ff291eed7b493d8a64c385"
    );
}

#[test]
fn kernel_initrd_command_line_and_vcpus_are_measured() {
    let mut config = LaunchConfig::qemu(ovmf("ovmf_AmdSev_suffix.bin"));
    config.kernel = Some("/dev/null".into());
    config.initrd = Some("/dev/null".into());
    config.append = Some("console=ttyS0 loglevel=7".into());
    assert_eq!(
        hex_of(&config),
        "6d287813eb5222d770f75005c664e34c204f385ce832cc2ce7d0d6f354454362f390ef83a92046c042e706363b4b08fa"
    );
    config.guest_features = 0x21;
    assert_eq!(
        hex_of(&config),
        "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977"
    );
    config.append = None;
    config.vcpus = 4;
    assert_eq!(
        hex_of(&config),
        "4953b1fb416fa874980e8442b3706d345926d5f38879134e00813c5d7abcbe78eafe7b422907be0b4698e2414a631942"
    );
    config.guest_features = 0x1;
    assert_eq!(
        hex_of(&config),
        "5061fffb019493a903613d56d54b94912a1a2f9e4502385f5c194616753720a92441310ba6c4933de877c36e23046ad5"
    );
    // Every input changes the digest.
    config.vcpus = 2;
    assert_ne!(
        hex_of(&config),
        "5061fffb019493a903613d56d54b94912a1a2f9e4502385f5c194616753720a92441310ba6c4933de877c36e23046ad5"
    );
}

#[test]
fn bad_launch_parameters_are_refused_with_the_reason() {
    let good = LaunchConfig::qemu(ovmf("ovmf_AmdSev_suffix.bin"));
    let refuse = |change: &dyn Fn(&mut LaunchConfig)| {
        let mut config = good.clone();
        change(&mut config);
        launch_measurement(&config).expect_err("refused")
    };
    assert!(matches!(
        refuse(&|c| c.vcpu_type = "pentium".into()),
        MeasureError::Invalid {
            what: "vCPU type",
            ..
        }
    ));
    assert!(matches!(
        refuse(&|c| c.vmm = "vbox".into()),
        MeasureError::Invalid { what: "VMM", .. }
    ));
    assert!(matches!(
        refuse(&|c| c.vcpus = 0),
        MeasureError::Invalid { .. }
    ));
    assert!(matches!(
        refuse(&|c| c.guest_features = 0x20),
        MeasureError::Invalid { .. }
    ));
    assert!(matches!(
        refuse(&|c| c.append = Some("quiet".into())),
        MeasureError::NoKernel
    ));
    assert!(matches!(
        refuse(&|c| c.ovmf = "/nonexistent/OVMF.fd".into()),
        MeasureError::Read { .. }
    ));
    // A plain OvmfX64 build has no SEV hashes table: it cannot measure a kernel.
    assert!(matches!(
        refuse(&|c| {
            c.ovmf = ovmf("ovmf_OvmfX64_suffix.bin");
            c.kernel = Some("/dev/null".into());
        }),
        MeasureError::Measurement(_)
    ));
    // A file that is not OVMF.
    assert!(matches!(
        refuse(&|c| c.ovmf = ovmf("README.md")),
        MeasureError::Measurement(_)
    ));
}
