//! Tool manifests: the identity's type string is locked, every field is inside it, malformed manifests are
//! refused with what and where, and placeholders fill whole arguments only.

use alloy::{primitives::B256, sol_types::SolStruct};
use dnavault_protocol::tool::{File, Limits, ManifestError, ToolManifest, hashed};

/// One edit of a manifest.
type Change = fn(&mut ToolManifest);

fn plink2() -> ToolManifest {
    let file = |path: &str, byte: u8| File {
        path: path.into(),
        sha256: B256::repeat_byte(byte),
    };
    ToolManifest {
        name: "plink2 --score".into(),
        version: "2.00a3.7".into(),
        executable: file("/usr/lib/plink2/plink2-sse2", 1),
        files: vec![
            file("/lib64/ld-linux-x86-64.so.2", 2),
            file("/lib/x86_64-linux-gnu/libc.so.6", 3),
        ],
        arguments: [
            "--vcf",
            "{genome}",
            "--score",
            "{weights}",
            "1",
            "2",
            "3",
            "header",
            "--out",
            "result",
        ]
        .map(String::from)
        .to_vec(),
        outputs: vec!["result.sscore".into()],
        limits: Limits {
            cpu_seconds: 60,
            memory_bytes: 1 << 30,
            output_bytes: 1 << 20,
            wall_seconds: 120,
        },
    }
}

#[test]
fn the_identity_type_string_is_locked() {
    assert_eq!(
        hashed::ToolManifest::eip712_encode_type(),
        "ToolManifest(string name,string version,ToolFile executable,ToolFile[] files,string[] arguments,\
         string[] outputs,ToolLimits limits)ToolFile(string path,bytes32 sha256)\
         ToolLimits(uint64 cpuSeconds,uint64 memoryBytes,uint64 outputBytes,uint64 wallSeconds)"
    );
}

#[test]
fn every_field_is_inside_the_identity() {
    let base = plink2();
    assert!(base.check().is_ok());
    let changes: [Change; 9] = [
        |m| m.name.push('!'),
        |m| m.version = "2.00a3.8".into(),
        |m| m.executable.sha256.0[31] ^= 1,
        |m| m.executable.path = "/usr/lib/plink2/plink2-avx2".into(),
        |m| m.files[1].sha256.0[0] ^= 0x80,
        |m| {
            m.files.pop();
        },
        |m| m.arguments[7] = "no-header".into(),
        |m| m.outputs.push("result.log".into()),
        |m| m.limits.cpu_seconds += 1,
    ];
    let mut seen = vec![base.id()];
    for change in changes {
        let mut changed = base.clone();
        change(&mut changed);
        assert!(!seen.contains(&changed.id()), "{changed:?}");
        seen.push(changed.id());
    }
}

#[test]
fn a_malformed_manifest_is_refused_saying_what_and_where() {
    let cases: [(Change, ManifestError); 10] = [
        (
            |m| m.name = " ".into(),
            ManifestError::Empty { field: "name" },
        ),
        (
            |m| m.name = "plink2\u{1b}[2J approve".into(),
            ManifestError::Text { field: "name" },
        ),
        (
            |m| m.version = "2".repeat(101),
            ManifestError::Text { field: "version" },
        ),
        (
            |m| m.outputs.clear(),
            ManifestError::Empty { field: "outputs" },
        ),
        (
            |m| m.executable.path = "plink2".into(),
            ManifestError::Path {
                what: "executable".into(),
                path: "plink2".into(),
            },
        ),
        (
            |m| m.files[1].path = "/lib/../etc/shadow".into(),
            ManifestError::Path {
                what: "files[1]".into(),
                path: "/lib/../etc/shadow".into(),
            },
        ),
        (
            |m| m.arguments[1] = "{genome }".into(),
            ManifestError::Placeholder {
                index: 1,
                argument: "{genome }".into(),
            },
        ),
        (
            |m| m.arguments[9] = "--out={genome}".into(),
            ManifestError::Placeholder {
                index: 9,
                argument: "--out={genome}".into(),
            },
        ),
        (
            |m| m.outputs[0] = "../inputs/genome.vcf.gz".into(),
            ManifestError::Output {
                index: 0,
                output: "../inputs/genome.vcf.gz".into(),
            },
        ),
        (
            |m| m.limits.wall_seconds = 0,
            ManifestError::Bounds {
                what: "limits.wallSeconds",
            },
        ),
    ];
    for (change, expected) in cases {
        let mut manifest = plink2();
        change(&mut manifest);
        assert_eq!(manifest.check(), Err(expected));
    }
}

#[test]
fn placeholders_fill_whole_arguments_and_a_missing_value_is_named() {
    let manifest = plink2();
    assert_eq!(manifest.placeholders(), ["{genome}", "{weights}"]);
    let filled = manifest
        .arguments_with(|p| Some(format!("/dev/shm/run/inputs/{}", &p[1..p.len() - 1])))
        .unwrap();
    assert_eq!(filled[1], "/dev/shm/run/inputs/genome");
    assert_eq!(filled[3], "/dev/shm/run/inputs/weights");
    assert_eq!(filled[9], "result", "literals stay");
    let missing = manifest.arguments_with(|p| (p == "{genome}").then(|| "g".to_owned()));
    assert_eq!(missing, Err("{weights}"));
}

#[test]
fn a_manifest_with_an_unknown_field_is_refused_and_one_read_back_is_the_same_tool() {
    let text = serde_json::to_string(&plink2()).unwrap();
    let back: ToolManifest = serde_json::from_str(&text).unwrap();
    assert_eq!(back.id(), plink2().id());
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["network"] = true.into();
    assert!(serde_json::from_value::<ToolManifest>(value).is_err());
}
