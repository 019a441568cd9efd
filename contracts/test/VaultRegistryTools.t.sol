// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "../src/IVaultRegistry.sol";
import {RegistryTest} from "./utils/RegistryTest.sol";

/// @notice Installing analysis tools: approving and revoking a tool's manifest hash, directly and by signature.
contract VaultRegistryToolsTest is RegistryTest {
    string internal constant APPROVE_TOOL_TYPE =
        "ApproveTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)";
    string internal constant REVOKE_TOOL_TYPE =
        "RevokeTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)";

    /// @dev A tool's identity is its manifest's EIP-712 struct hash; the registry treats it as opaque.
    bytes32 internal constant TOOL = keccak256("the bcftools query manifest");
    bytes32 internal constant OTHER_TOOL = keccak256("the plink2 --score manifest");

    address internal stranger = makeAddr("stranger");

    function _toolStructHash(string memory typeString, uint256 id, bytes32 tool, uint256 nonce, uint256 deadline)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(keccak256(bytes(typeString)), id, tool, nonce, deadline));
    }

    function _signTool(uint256 key, string memory typeString, bytes32 tool, uint256 nonce)
        internal
        view
        returns (bytes memory)
    {
        return _sign(key, _digest(_toolStructHash(typeString, vaultId, tool, nonce, block.timestamp + 60)));
    }

    function _approveTool(bytes32 tool) internal {
        vm.prank(owner);
        registry.approveTool(vaultId, tool);
    }

    function test_ApproveTool() public {
        vm.expectEmit(address(registry));
        emit IVaultRegistry.ToolApproved({vaultId: vaultId, tool: TOOL});
        _approveTool(TOOL);
        assertTrue(registry.isToolApproved(vaultId, TOOL));
        assertFalse(registry.isToolApproved(vaultId, OTHER_TOOL));
        assertFalse(registry.isToolApproved(vaultId + 1, TOOL), "approval is per vault");
    }

    function test_ApproveTool_RevertsWhen_NotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.approveTool(vaultId, TOOL);
    }

    function test_ApproveTool_RevertsWhen_Zero() public {
        vm.expectRevert(IVaultRegistry.InvalidTool.selector);
        _approveTool(bytes32(0));
    }

    function test_ApproveTool_RevertsWhen_AlreadyApproved() public {
        _approveTool(TOOL);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.ToolAlreadyApproved.selector, vaultId, TOOL));
        _approveTool(TOOL);
    }

    function test_ApproveToolWithSig() public {
        bytes memory sig = _signTool(ownerKey, APPROVE_TOOL_TYPE, TOOL, 0);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.ToolApproved({vaultId: vaultId, tool: TOOL});
        vm.prank(relayer);
        registry.approveToolWithSig(IVaultRegistry.ApproveTool(vaultId, TOOL, 0, block.timestamp + 60), sig);
        assertTrue(registry.isToolApproved(vaultId, TOOL));
        assertEq(registry.nonceOf(vaultId), 1);
    }

    function test_ApproveToolWithSig_RevertsWhen_Replayed() public {
        bytes memory sig = _signTool(ownerKey, APPROVE_TOOL_TYPE, TOOL, 0);
        IVaultRegistry.ApproveTool memory m = IVaultRegistry.ApproveTool(vaultId, TOOL, 0, block.timestamp + 60);
        registry.approveToolWithSig(m, sig);
        vm.prank(owner);
        registry.revokeTool(vaultId, TOOL);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, 1));
        registry.approveToolWithSig(m, sig);
    }

    function test_ApproveToolWithSig_RevertsWhen_SignedForOtherTool() public {
        bytes memory sig = _signTool(ownerKey, APPROVE_TOOL_TYPE, OTHER_TOOL, 0);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.approveToolWithSig(IVaultRegistry.ApproveTool(vaultId, TOOL, 0, block.timestamp + 60), sig);
    }

    function test_ApproveToolWithSig_RevertsWhen_RevokeSignatureReused() public {
        // The same fields signed under the RevokeTool type must not approve anything.
        bytes memory sig = _signTool(ownerKey, REVOKE_TOOL_TYPE, TOOL, 0);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.approveToolWithSig(IVaultRegistry.ApproveTool(vaultId, TOOL, 0, block.timestamp + 60), sig);
    }

    function test_ApproveToolWithSig_RevertsWhen_Expired() public {
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _signTool(ownerKey, APPROVE_TOOL_TYPE, TOOL, 0);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.SignatureExpired.selector, deadline));
        registry.approveToolWithSig(IVaultRegistry.ApproveTool(vaultId, TOOL, 0, deadline), sig);
    }

    function test_ApproveToolWithSig_RevertsWhen_WrongSigner() public {
        bytes memory sig = _signTool(researcherKey, APPROVE_TOOL_TYPE, TOOL, 0);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.approveToolWithSig(IVaultRegistry.ApproveTool(vaultId, TOOL, 0, block.timestamp + 60), sig);
    }

    function test_RevokeTool() public {
        _approveTool(TOOL);
        _approveTool(OTHER_TOOL);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.ToolRevoked({vaultId: vaultId, tool: TOOL});
        vm.prank(owner);
        registry.revokeTool(vaultId, TOOL);
        assertFalse(registry.isToolApproved(vaultId, TOOL));
        assertTrue(registry.isToolApproved(vaultId, OTHER_TOOL), "only the named tool is revoked");
    }

    function test_RevokeTool_RevertsWhen_NotApproved() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.ToolNotApproved.selector, vaultId, TOOL));
        vm.prank(owner);
        registry.revokeTool(vaultId, TOOL);
    }

    function test_RevokeTool_RevertsWhen_NotOwner() public {
        _approveTool(TOOL);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.revokeTool(vaultId, TOOL);
    }

    function test_RevokeToolWithSig() public {
        _approveTool(TOOL);
        bytes memory sig = _signTool(ownerKey, REVOKE_TOOL_TYPE, TOOL, 0);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.ToolRevoked({vaultId: vaultId, tool: TOOL});
        vm.prank(relayer);
        registry.revokeToolWithSig(IVaultRegistry.RevokeTool(vaultId, TOOL, 0, block.timestamp + 60), sig);
        assertFalse(registry.isToolApproved(vaultId, TOOL));
    }

    function test_RevokeToolWithSig_RevertsWhen_ApproveSignatureReused() public {
        _approveTool(TOOL);
        bytes memory sig = _signTool(ownerKey, APPROVE_TOOL_TYPE, TOOL, 0);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.revokeToolWithSig(IVaultRegistry.RevokeTool(vaultId, TOOL, 0, block.timestamp + 60), sig);
    }

    function test_ToolApproval_StaysWithTheVaultOnTransfer() public {
        _approveTool(TOOL);
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, stranger);
        vm.prank(stranger);
        registry.acceptVaultOwnership(vaultId);
        assertTrue(registry.isToolApproved(vaultId, TOOL));
        vm.prank(stranger);
        registry.revokeTool(vaultId, TOOL);
        assertFalse(registry.isToolApproved(vaultId, TOOL));
    }

    function test_HashViews_MatchTheTypeStrings() public view {
        assertEq(
            registry.hashApproveTool(IVaultRegistry.ApproveTool(vaultId, TOOL, 3, 4)),
            _digest(_toolStructHash(APPROVE_TOOL_TYPE, vaultId, TOOL, 3, 4))
        );
        assertEq(
            registry.hashRevokeTool(IVaultRegistry.RevokeTool(vaultId, TOOL, 3, 4)),
            _digest(_toolStructHash(REVOKE_TOOL_TYPE, vaultId, TOOL, 3, 4))
        );
        assertEq(registry.APPROVE_TOOL_TYPEHASH(), keccak256(bytes(APPROVE_TOOL_TYPE)));
        assertEq(registry.REVOKE_TOOL_TYPEHASH(), keccak256(bytes(REVOKE_TOOL_TYPE)));
    }

    function testFuzz_ApproveTool_OnlyTheNamedTool(bytes32 tool, bytes32 other) public {
        vm.assume(tool != bytes32(0) && other != tool);
        _approveTool(tool);
        assertTrue(registry.isToolApproved(vaultId, tool));
        assertFalse(registry.isToolApproved(vaultId, other));
    }
}
