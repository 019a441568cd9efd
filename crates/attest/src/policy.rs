//! What a report must satisfy beyond its signatures: the guest policy bits, the VMPL, and a minimum TCB for
//! each product line, shipped with the verifier and raised by configuration.

use sev::firmware::guest::AttestationReport;

use crate::{AttestError, Product, Result, Tcb};

/// What a report must satisfy beyond its signatures. The default is the strict one: no debug, no migration
/// agent, VMPL 0, the shipped minimum TCB, no test roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Allow guests whose policy permits debugging. Never in production.
    pub allow_debug: bool,
    /// Allow guests whose policy permits a migration agent (which can read the guest's memory to move it).
    pub allow_migration_agent: bool,
    /// Allow a host with SMT enabled (a sibling thread shares the core's caches with other tenants).
    pub allow_smt: bool,
    /// The least privileged VMPL accepted (0: only the most privileged).
    pub max_vmpl: u32,
    /// The minimum reported TCB per product line.
    pub min_tcb: MinimumTcb,
    /// Accept reports that chain to a test-only root (the simulated backend). Never in production.
    pub accept_test_roots: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_debug: false,
            allow_migration_agent: false,
            allow_smt: true,
            max_vmpl: 0,
            min_tcb: MinimumTcb::shipped(),
            accept_test_roots: false,
        }
    }
}

/// The lowest TCB a report may be signed at, per product line. A product line with none is refused until
/// one is configured: no floor is not a floor of zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimumTcb {
    milan: Option<Tcb>,
    genoa: Option<Tcb>,
    turin: Option<Tcb>,
}

/// What the report's guest policy and platform say, as checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestSettings {
    /// The guest policy allows debugging.
    pub debug: bool,
    /// The guest policy allows a migration agent.
    pub migration_agent: bool,
    /// The guest policy allows SMT on the host.
    pub smt_allowed: bool,
    /// The platform runs with SMT enabled.
    pub smt_enabled: bool,
    /// The guest policy requires a single socket.
    pub single_socket: bool,
}

impl MinimumTcb {
    /// The floor this verifier ships: the TCB of the real AMD evidence it is tested against (Azure's Milan
    /// at bootloader 3, TEE 0, SNP 8, microcode 115; Genoa at 10, 0, 23, 84). It keeps out reports from
    /// older, known-vulnerable firmware; AMD's security bulletins set higher levels, and an owner raises
    /// the floor to them with [`MinimumTcb::set`]. Turin has no shipped floor yet.
    pub fn shipped() -> Self {
        Self {
            milan: Some(Tcb {
                bootloader: 3,
                tee: 0,
                snp: 8,
                microcode: 115,
                fmc: None,
            }),
            genoa: Some(Tcb {
                bootloader: 10,
                tee: 0,
                snp: 23,
                microcode: 84,
                fmc: None,
            }),
            turin: None,
        }
    }

    /// No floor at all: every product line is refused until one is set.
    pub fn none() -> Self {
        Self {
            milan: None,
            genoa: None,
            turin: None,
        }
    }

    /// The floor for `product`, if one is set.
    pub fn of(&self, product: Product) -> Option<&Tcb> {
        match product {
            Product::Milan => self.milan.as_ref(),
            Product::Genoa => self.genoa.as_ref(),
            Product::Turin => self.turin.as_ref(),
        }
    }

    /// Sets a floor from `PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC]` (`genoa=10.0.23.84`).
    pub fn set(&mut self, spec: &str) -> Result<()> {
        let refuse = |reason: &str| AttestError::Policy(format!("minimum TCB {spec:?}: {reason}"));
        let (product, levels) = spec
            .split_once('=')
            .ok_or_else(|| refuse("expected PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC]"))?;
        let product: Product = product.trim().parse()?;
        let levels = levels
            .split('.')
            .map(|level| level.trim().parse::<u8>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| refuse("each level is a number from 0 to 255"))?;
        let tcb = match levels.as_slice() {
            [bootloader, tee, snp, microcode] => Tcb {
                bootloader: *bootloader,
                tee: *tee,
                snp: *snp,
                microcode: *microcode,
                fmc: None,
            },
            [bootloader, tee, snp, microcode, fmc] => Tcb {
                bootloader: *bootloader,
                tee: *tee,
                snp: *snp,
                microcode: *microcode,
                fmc: Some(*fmc),
            },
            _ => return Err(refuse("give four levels, or five with the FMC (Turin)")),
        };
        *match product {
            Product::Milan => &mut self.milan,
            Product::Genoa => &mut self.genoa,
            Product::Turin => &mut self.turin,
        } = Some(tcb);
        Ok(())
    }
}

impl Policy {
    /// The default policy with each floor in `min_tcb` (`PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC]`)
    /// set, and SMT on the host allowed or not.
    pub fn configured(min_tcb: &[String], allow_smt: bool) -> Result<Self> {
        let mut policy = Self {
            allow_smt,
            ..Self::default()
        };
        for spec in min_tcb {
            policy.min_tcb.set(spec)?;
        }
        Ok(policy)
    }

    /// Checks `report` (from `product`, at `tcb`) against this policy; what its guest policy says, and the
    /// minimum TCB it was held to.
    pub(crate) fn check(
        &self,
        report: &AttestationReport,
        product: Product,
        tcb: &Tcb,
    ) -> Result<(GuestSettings, Tcb)> {
        let settings = GuestSettings {
            debug: report.policy.debug_allowed(),
            migration_agent: report.policy.migrate_ma_allowed(),
            smt_allowed: report.policy.smt_allowed(),
            smt_enabled: report.plat_info.smt_enabled(),
            single_socket: report.policy.single_socket_required(),
        };
        if settings.debug && !self.allow_debug {
            return Err(AttestError::DebugAllowed);
        }
        if settings.migration_agent && !self.allow_migration_agent {
            return Err(AttestError::MigrationAgentAllowed);
        }
        if settings.smt_enabled && !self.allow_smt {
            return Err(AttestError::SmtEnabled);
        }
        if report.vmpl > self.max_vmpl {
            return Err(AttestError::Vmpl {
                found: report.vmpl,
                max: self.max_vmpl,
            });
        }
        let min = self
            .min_tcb
            .of(product)
            .ok_or(AttestError::NoMinimumTcb { product })?;
        for (component, found, minimum) in [
            ("bootloader", tcb.bootloader, min.bootloader),
            ("TEE", tcb.tee, min.tee),
            ("SNP", tcb.snp, min.snp),
            ("microcode", tcb.microcode, min.microcode),
            ("FMC", tcb.fmc.unwrap_or(0), min.fmc.unwrap_or(0)),
        ] {
            if found < minimum {
                return Err(AttestError::TcbTooLow {
                    component,
                    found,
                    minimum,
                });
            }
        }
        Ok((settings, *min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_is_set_per_product_and_bad_specs_are_refused() {
        let mut min = MinimumTcb::shipped();
        assert!(min.of(Product::Turin).is_none(), "no shipped Turin floor");
        min.set("turin=1.0.1.1.2").unwrap();
        assert_eq!(min.of(Product::Turin).unwrap().fmc, Some(2));
        min.set("Genoa=11.0.24.90").unwrap();
        assert_eq!(min.of(Product::Genoa).unwrap().bootloader, 11);
        for bad in [
            "genoa",
            "genoa=1.2.3",
            "genoa=1.2.3.300",
            "rome=1.2.3.4",
            "milan=a.b.c.d",
        ] {
            assert!(min.set(bad).is_err(), "{bad}");
        }
    }
}
