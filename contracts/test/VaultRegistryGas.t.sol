// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "../src/IVaultRegistry.sol";
import {VaultRegistry} from "../src/VaultRegistry.sol";
import {RegistryTest} from "./utils/RegistryTest.sol";

/// @notice Execution gas of the consent hot paths, written to contracts/snapshots/ and held to targets.
/// Storage is cooled before each measured call so that it is charged as in a fresh transaction.
contract VaultRegistryGasTest is RegistryTest {
    uint256 internal constant GRANT_WITH_SIG_TARGET = 50_000;
    uint256 internal constant REVOKE_TARGET = 12_000;
    /// @dev Two cold slots: the grant's and the vault's (its ownership epoch ends a previous owner's grants
    /// without touching them). Was 5,000 while grants outlived a transfer.
    uint256 internal constant IS_ALLOWED_TARGET = 5_500;

    /// @dev An owner's second grant: the nonce slot is already non-zero, the grant slot is new.
    function test_Gas_GrantWithSig() public {
        IVaultRegistry.Grant memory first = _grantMessage(researcher, SCOPE, uint64(START + 30 days));
        registry.grantWithSig(first, _signGrant(ownerKey, first));

        IVaultRegistry.Grant memory second =
            _grantMessage(researcher, keccak256("polygenic score"), uint64(START + 30 days));
        bytes memory sig = _signGrant(ownerKey, second);
        vm.cool(address(registry));
        vm.prank(researcher);
        registry.grantWithSig(second, sig);
        uint256 gasUsed = vm.snapshotGasLastCall("grantWithSig");
        assertLe(gasUsed, GRANT_WITH_SIG_TARGET);
        assertTrue(registry.isAllowed(vaultId, researcher, keccak256("polygenic score")));
    }

    function test_Gas_Revoke() public {
        _grantDirect(researcher, SCOPE, uint64(START + 30 days));
        vm.cool(address(registry));
        vm.prank(owner);
        registry.revoke(vaultId, researcher, SCOPE);
        uint256 gasUsed = vm.snapshotGasLastCall("revoke");
        assertLe(gasUsed, REVOKE_TARGET);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE));
    }

    /// @dev A vault's usual anchoring: a full batch of 64 receipts with the audit head that records them, the
    /// head already anchored once (its slots non-zero).
    function test_Gas_AnchorReceipts() public {
        _bindKey();
        vm.prank(vaultKey);
        registry.anchorAuditHead(vaultId, IVaultRegistry.AuditHead({seq: 1, tag: keccak256("head 1")}));
        bytes32[] memory batch = new bytes32[](64);
        for (uint256 i; i < 64; ++i) {
            batch[i] = keccak256(abi.encode("receipt", i));
        }
        IVaultRegistry.AuditHead memory head = IVaultRegistry.AuditHead({seq: 70, tag: keccak256("head 70")});
        vm.cool(address(registry));
        vm.prank(vaultKey);
        registry.anchorReceipts(vaultId, batch, head);
        vm.snapshotGasLastCall("anchorReceipts (64 receipts)");
        vm.cool(address(registry));
        vm.prank(vaultKey);
        registry.anchorAuditHead(vaultId, IVaultRegistry.AuditHead({seq: 71, tag: keccak256("head 71")}));
        vm.snapshotGasLastCall("anchorAuditHead");
        assertEq(registry.auditHeadOf(vaultId).seq, 71);
    }

    function test_Gas_IsAllowed() public {
        _grantDirect(researcher, SCOPE, uint64(START + 30 days));
        vm.cool(address(registry));
        bool allowed = registry.isAllowed(vaultId, researcher, SCOPE);
        uint256 gasUsed = vm.snapshotGasLastCall("isAllowed");
        assertLe(gasUsed, IS_ALLOWED_TARGET);
        assertTrue(allowed);
    }
}
