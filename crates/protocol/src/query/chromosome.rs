//! Chromosome names as sites and regions carry them: VCFs write `22` or `chr22`, raw files `22`, `X`, `MT`.
//! Where two names are compared across files or vaults, they compare without the `chr` prefix and without
//! letter case; an indexed VCF lookup still asks for the name its file uses.

/// The name without a leading `chr`: `chr22` and `22` are both `22`.
pub fn bare(name: &str) -> &str {
    name.strip_prefix("chr").unwrap_or(name)
}

/// Whether two names are the same chromosome: `chr22` and `22`, `chrX` and `x`.
pub fn same(one: &str, other: &str) -> bool {
    bare(one).eq_ignore_ascii_case(bare(other))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_prefix_or_case() {
        assert_eq!(bare("chr22"), "22");
        assert_eq!(bare("22"), "22");
        assert_eq!(bare("MT"), "MT");
        assert!(same("chr22", "22"));
        assert!(same("chrX", "x"));
        assert!(!same("chr2", "22"));
        assert!(!same("21", "22"));
    }
}
