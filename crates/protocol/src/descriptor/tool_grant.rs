//! A grant to run an approved analysis tool: the manifest it must be, the panel the regions it is given
//! stay inside, and the one scoring file it may read. The owner reads all of it before signing, and the
//! vault runs the tool only if its manifest hashes to the grant's, the owner approved that hash on-chain,
//! and every file the manifest pins still has its hash.

use alloy::{primitives::B256, sol_types::SolStruct};
use serde::{Deserialize, Serialize};

use super::{OutsideScope, Panel, PanelError, ScoreParameters, panel, weights_digest};
use crate::{query::RunTool, tool::ToolManifest};

alloy::sol! {
    /// A tool grant's parameters: the tool's identity, its panel (zero: none) and its scoring file's
    /// `ScoreParameters` hash (zero: none).
    struct ToolParameters {
        bytes32 tool;
        bytes32 panel;
        bytes32 score;
    }
}

/// The one scoring file a tool grant lets its tool read, as the owner reads it: its PGS Catalog id and
/// reported trait, its number of weights and the SHA-256 of its text (the vault checks the file says the
/// same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScoreFile {
    /// The PGS Catalog id (`PGS000001`).
    pub pgs_id: String,
    /// SHA-256 of the scoring file's text.
    pub weights_sha256: B256,
    /// How many weights it has.
    pub variants: u64,
    /// The trait it reports (`#trait_reported`).
    pub trait_reported: String,
}

impl ScoreFile {
    /// Its struct hash, the same as a polygenic-score grant's parameters for the same file.
    pub fn hash(&self) -> B256 {
        ScoreParameters {
            pgsId: self.pgs_id.clone(),
            weightsSha256: self.weights_sha256,
            variants: self.variants,
            traitReported: self.trait_reported.clone(),
        }
        .eip712_hash_struct()
    }
}

/// The struct hash of a tool grant's parameters.
pub(super) fn parameters(
    tool: &ToolManifest,
    panel: Option<&Panel>,
    score: Option<&ScoreFile>,
) -> B256 {
    ToolParameters {
        tool: tool.id(),
        panel: panel.map_or(B256::ZERO, Panel::hash),
        score: score.map_or(B256::ZERO, ScoreFile::hash),
    }
    .eip712_hash_struct()
}

/// Checks a tool grant is well formed and binds what it shows: the manifest valid, a panel exactly when the
/// tool takes `{regions}` and a scoring file exactly when it takes `{weights}` (a bound that binds nothing
/// would mislead the owner).
pub(super) fn check(
    tool: &ToolManifest,
    panel: Option<&Panel>,
    score: Option<&ScoreFile>,
) -> Result<(), PanelError> {
    let refuse = |what: &str, reason: String| PanelError {
        what: what.into(),
        reason,
    };
    tool.check().map_err(|e| refuse("tool", e.to_string()))?;
    let takes = tool.placeholders();
    if takes.contains(&"{regions}") != panel.is_some() {
        return Err(refuse(
            "panel",
            "a tool grant names a panel exactly when its tool takes {regions}".into(),
        ));
    }
    if takes.contains(&"{weights}") != score.is_some() {
        return Err(refuse(
            "score",
            "a tool grant names a scoring file exactly when its tool takes {weights}".into(),
        ));
    }
    if let Some(panel) = panel {
        panel.check()?;
    }
    if let Some(score) = score {
        panel::pgs_id(&score.pgs_id)?;
    }
    Ok(())
}

/// Checks a run asks nothing its grant does not allow: the very tool, every region inside the panel, the
/// very scoring file, and nothing the tool does not take.
pub(super) fn allows(
    tool: &ToolManifest,
    panel: Option<&Panel>,
    score: Option<&ScoreFile>,
    run: &RunTool,
) -> Result<(), OutsideScope> {
    if run.tool != tool.id() {
        return Err(OutsideScope::Tool {
            allowed: tool.id(),
            asked: run.tool,
        });
    }
    match panel {
        Some(panel) => {
            for (i, region) in run.regions.iter().enumerate() {
                if !panel.covers(&region.chrom, region.start, region.end) {
                    return Err(panel.outside(format!(
                        "regions[{i}] {}:{}-{}",
                        region.chrom, region.start, region.end
                    )));
                }
            }
        }
        None if !run.regions.is_empty() => return Err(OutsideScope::Unused("regions")),
        None => {}
    }
    match (score, &run.scoring_file) {
        (Some(score), Some(file)) => {
            let found = weights_digest(file);
            if found != score.weights_sha256 {
                return Err(OutsideScope::Weights {
                    pgs_id: score.pgs_id.clone(),
                    allowed: score.weights_sha256,
                    found,
                });
            }
        }
        (None, Some(_)) => return Err(OutsideScope::Unused("scoringFile")),
        (_, None) => {}
    }
    Ok(())
}
