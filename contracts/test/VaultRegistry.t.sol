// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "../src/IVaultRegistry.sol";
import {VaultRegistry} from "../src/VaultRegistry.sol";
import {RegistryTest} from "./utils/RegistryTest.sol";

/// @notice Every function's success and every revert path.
contract VaultRegistryTest is RegistryTest {
    address internal stranger = makeAddr("stranger");

    // ---------------------------------------------------------------- vaults

    function test_RegisterVault_CountsIdsAndEmits() public {
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultRegistered({vaultId: 2, owner: stranger, uri: "ipfs://meta"});
        vm.prank(stranger);
        uint256 id = registry.registerVault("ipfs://meta");
        assertEq(id, 2);
        assertEq(registry.vaultCount(), 2);
        assertEq(registry.ownerOf(id), stranger);
        IVaultRegistry.VaultInfo memory v = registry.vault(id);
        assertEq(v.owner, stranger);
        assertEq(v.uri, "ipfs://meta");
        assertEq(v.pendingOwner, address(0));
        assertEq(v.vaultKey, address(0));
    }

    function test_Vault_RevertsWhen_Unknown() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 99));
        registry.vault(99);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 0));
        registry.ownerOf(0);
    }

    function test_SetVaultUri() public {
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultUriChanged({vaultId: vaultId, uri: "https://new.example"});
        vm.prank(owner);
        registry.setVaultUri(vaultId, "https://new.example");
        assertEq(registry.vault(vaultId).uri, "https://new.example");
    }

    function test_SetVaultUri_RevertsWhen_NotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.setVaultUri(vaultId, "x");
    }

    function test_SetVaultUri_RevertsWhen_UnknownVault() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 7));
        vm.prank(owner);
        registry.setVaultUri(7, "x");
    }

    function test_TransferOwnership_TwoSteps() public {
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultOwnershipTransferStarted({vaultId: vaultId, owner: owner, pendingOwner: stranger});
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, stranger);
        assertEq(registry.ownerOf(vaultId), owner, "owner changes only on acceptance");
        assertEq(registry.vault(vaultId).pendingOwner, stranger);

        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultOwnershipTransferred({vaultId: vaultId, previousOwner: owner, newOwner: stranger});
        vm.prank(stranger);
        registry.acceptVaultOwnership(vaultId);
        assertEq(registry.ownerOf(vaultId), stranger);
        assertEq(registry.vault(vaultId).pendingOwner, address(0));

        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, owner));
        vm.prank(owner);
        registry.setVaultUri(vaultId, "x");
    }

    function test_TransferOwnership_UnbindsTheVaultKey() public {
        _approveMeasurement(MEASUREMENT);
        vm.prank(owner);
        registry.bindVaultKey(vaultId, vaultKey, MEASUREMENT);
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, stranger);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultKeyUnbound({vaultId: vaultId, vaultKey: vaultKey});
        vm.prank(stranger);
        registry.acceptVaultOwnership(vaultId);
        assertFalse(registry.isActiveVaultKey(vaultId, vaultKey));
        assertEq(registry.vault(vaultId).vaultKey, address(0));
    }

    function test_RevokeMeasurement_UnbindsItsKeyForGood() public {
        _approveMeasurement(MEASUREMENT);
        vm.prank(owner);
        registry.bindVaultKey(vaultId, vaultKey, MEASUREMENT);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultKeyUnbound({vaultId: vaultId, vaultKey: vaultKey});
        vm.prank(owner);
        registry.revokeMeasurement(vaultId, MEASUREMENT);
        // Approving the same code again does not re-activate the key bound under it.
        _approveMeasurement(MEASUREMENT);
        assertFalse(registry.isActiveVaultKey(vaultId, vaultKey));
    }

    function test_TransferOwnership_EndsTheOldOwnersGrants() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        _transferTo(stranger);
        assertEq(registry.vault(vaultId).epoch, 1);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE), "the previous owner's grant ended");
        assertEq(registry.grantOf(vaultId, researcher, SCOPE).epoch, 0, "the record says which owner made it");
        // Nothing to revoke: the grant is already over.
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.GrantNotFound.selector, vaultId, researcher, SCOPE));
        vm.prank(stranger);
        registry.revoke(vaultId, researcher, SCOPE);
        // The new owner's own grant is live.
        vm.prank(stranger);
        registry.grant(vaultId, researcher, SCOPE, PURPOSE, uint64(START + 1 days), false, 0);
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
        assertEq(registry.grantOf(vaultId, researcher, SCOPE).epoch, 1);
    }

    function test_TransferOwnership_BackToTheOldOwnerDoesNotRevive() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        _transferTo(stranger);
        vm.prank(stranger);
        registry.transferVaultOwnership(vaultId, owner);
        vm.prank(owner);
        registry.acceptVaultOwnership(vaultId);
        assertEq(registry.vault(vaultId).epoch, 2);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE), "a grant from an earlier ownership stays over");
    }

    function _transferTo(address newOwner) internal {
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, newOwner);
        vm.prank(newOwner);
        registry.acceptVaultOwnership(vaultId);
    }

    function test_TransferOwnership_RevertsWhen_NotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.transferVaultOwnership(vaultId, stranger);
    }

    function test_AcceptOwnership_RevertsWhen_NotPending() public {
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, researcher);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotPendingOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.acceptVaultOwnership(vaultId);
    }

    function test_AcceptOwnership_RevertsWhen_OfferWithdrawn() public {
        vm.startPrank(owner);
        registry.transferVaultOwnership(vaultId, stranger);
        registry.transferVaultOwnership(vaultId, address(0));
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotPendingOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.acceptVaultOwnership(vaultId);
    }

    function test_AcceptOwnership_RevertsWhen_UnknownVault() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 5));
        vm.prank(stranger);
        registry.acceptVaultOwnership(5);
    }

    // ---------------------------------------------------------------- measurements

    function test_ApproveMeasurement() public {
        vm.expectEmit(address(registry));
        emit IVaultRegistry.MeasurementApproved({
            vaultId: vaultId, measurementHash: keccak256(MEASUREMENT), measurement: MEASUREMENT
        });
        _approveMeasurement(MEASUREMENT);
        assertTrue(registry.isMeasurementApproved(vaultId, MEASUREMENT));
        assertFalse(registry.isMeasurementApproved(vaultId, OTHER_MEASUREMENT));
        assertFalse(registry.isMeasurementApproved(vaultId + 1, MEASUREMENT), "approval is per vault");
    }

    function test_ApproveMeasurement_RevertsWhen_NotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.approveMeasurement(vaultId, MEASUREMENT);
    }

    function test_ApproveMeasurement_RevertsWhen_WrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidMeasurementLength.selector, 32));
        vm.prank(owner);
        registry.approveMeasurement(vaultId, abi.encode(bytes32(0)));
    }

    function test_ApproveMeasurement_RevertsWhen_AlreadyApproved() public {
        _approveMeasurement(MEASUREMENT);
        vm.expectRevert(
            abi.encodeWithSelector(IVaultRegistry.MeasurementAlreadyApproved.selector, vaultId, keccak256(MEASUREMENT))
        );
        _approveMeasurement(MEASUREMENT);
    }

    function test_ApproveMeasurementWithSig() public {
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _sign(
            ownerKey, _digest(_measurementStructHash(APPROVE_MEASUREMENT_TYPE, vaultId, MEASUREMENT, 0, deadline))
        );
        vm.prank(relayer);
        registry.approveMeasurementWithSig(IVaultRegistry.ApproveMeasurement(vaultId, MEASUREMENT, 0, deadline), sig);
        assertTrue(registry.isMeasurementApproved(vaultId, MEASUREMENT));
        assertEq(registry.nonceOf(vaultId), 1);
    }

    function test_ApproveMeasurementWithSig_RevertsWhen_SignedForOtherMeasurement() public {
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _sign(
            ownerKey, _digest(_measurementStructHash(APPROVE_MEASUREMENT_TYPE, vaultId, OTHER_MEASUREMENT, 0, deadline))
        );
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.approveMeasurementWithSig(IVaultRegistry.ApproveMeasurement(vaultId, MEASUREMENT, 0, deadline), sig);
    }

    function test_ApproveMeasurementWithSig_RevertsWhen_RevokeSignatureReused() public {
        uint256 deadline = block.timestamp + 60;
        // The same fields signed under the RevokeMeasurement type must not approve anything.
        bytes memory sig = _sign(
            ownerKey, _digest(_measurementStructHash(REVOKE_MEASUREMENT_TYPE, vaultId, MEASUREMENT, 0, deadline))
        );
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.approveMeasurementWithSig(IVaultRegistry.ApproveMeasurement(vaultId, MEASUREMENT, 0, deadline), sig);
    }

    function test_RevokeMeasurement() public {
        _approveMeasurement(MEASUREMENT);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.MeasurementRevoked({
            vaultId: vaultId, measurementHash: keccak256(MEASUREMENT), measurement: MEASUREMENT
        });
        vm.prank(owner);
        registry.revokeMeasurement(vaultId, MEASUREMENT);
        assertFalse(registry.isMeasurementApproved(vaultId, MEASUREMENT));
    }

    function test_RevokeMeasurement_RevertsWhen_NotApproved() public {
        vm.expectRevert(
            abi.encodeWithSelector(IVaultRegistry.MeasurementNotApproved.selector, vaultId, keccak256(MEASUREMENT))
        );
        vm.prank(owner);
        registry.revokeMeasurement(vaultId, MEASUREMENT);
    }

    function test_RevokeMeasurement_RevertsWhen_NotOwner() public {
        _approveMeasurement(MEASUREMENT);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.revokeMeasurement(vaultId, MEASUREMENT);
    }

    function test_RevokeMeasurementWithSig() public {
        _approveMeasurement(MEASUREMENT);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _sign(
            ownerKey, _digest(_measurementStructHash(REVOKE_MEASUREMENT_TYPE, vaultId, MEASUREMENT, 0, deadline))
        );
        vm.prank(relayer);
        registry.revokeMeasurementWithSig(IVaultRegistry.RevokeMeasurement(vaultId, MEASUREMENT, 0, deadline), sig);
        assertFalse(registry.isMeasurementApproved(vaultId, MEASUREMENT));
    }

    function test_RevokeMeasurementWithSig_RevertsWhen_WrongSigner() public {
        _approveMeasurement(MEASUREMENT);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _sign(
            researcherKey, _digest(_measurementStructHash(REVOKE_MEASUREMENT_TYPE, vaultId, MEASUREMENT, 0, deadline))
        );
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.revokeMeasurementWithSig(IVaultRegistry.RevokeMeasurement(vaultId, MEASUREMENT, 0, deadline), sig);
    }

    // ---------------------------------------------------------------- vault key

    function test_BindVaultKey() public {
        _approveMeasurement(MEASUREMENT);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultKeyBound({
            vaultId: vaultId, vaultKey: vaultKey, measurementHash: keccak256(MEASUREMENT)
        });
        vm.prank(owner);
        registry.bindVaultKey(vaultId, vaultKey, MEASUREMENT);
        IVaultRegistry.VaultInfo memory v = registry.vault(vaultId);
        assertEq(v.vaultKey, vaultKey);
        assertEq(v.keyMeasurementHash, keccak256(MEASUREMENT));
        assertTrue(registry.isActiveVaultKey(vaultId, vaultKey));
        assertFalse(registry.isActiveVaultKey(vaultId, stranger));
    }

    function test_BindVaultKey_RevertsWhen_MeasurementNotApproved() public {
        vm.expectRevert(
            abi.encodeWithSelector(IVaultRegistry.MeasurementNotApproved.selector, vaultId, keccak256(MEASUREMENT))
        );
        vm.prank(owner);
        registry.bindVaultKey(vaultId, vaultKey, MEASUREMENT);
    }

    function test_BindVaultKey_RevertsWhen_ZeroKey() public {
        _approveMeasurement(MEASUREMENT);
        vm.expectRevert(IVaultRegistry.ZeroAddress.selector);
        vm.prank(owner);
        registry.bindVaultKey(vaultId, address(0), MEASUREMENT);
    }

    function test_BindVaultKey_RevertsWhen_NotOwner() public {
        _approveMeasurement(MEASUREMENT);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, vaultKey));
        vm.prank(vaultKey);
        registry.bindVaultKey(vaultId, vaultKey, MEASUREMENT);
    }

    function test_BindVaultKeyWithSig() public {
        _approveMeasurement(MEASUREMENT);
        IVaultRegistry.BindVaultKey memory m =
            IVaultRegistry.BindVaultKey(vaultId, vaultKey, MEASUREMENT, 0, block.timestamp + 60);
        bytes memory sig = _sign(ownerKey, _digest(_bindStructHash(m)));
        vm.prank(relayer);
        registry.bindVaultKeyWithSig(m, sig);
        assertTrue(registry.isActiveVaultKey(vaultId, vaultKey));
    }

    function test_BindVaultKeyWithSig_RevertsWhen_KeySwapped() public {
        _approveMeasurement(MEASUREMENT);
        IVaultRegistry.BindVaultKey memory m =
            IVaultRegistry.BindVaultKey(vaultId, vaultKey, MEASUREMENT, 0, block.timestamp + 60);
        bytes memory sig = _sign(ownerKey, _digest(_bindStructHash(m)));
        m.vaultKey = stranger;
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.bindVaultKeyWithSig(m, sig);
    }

    function test_UnbindVaultKey() public {
        _bindKey();
        vm.expectEmit(address(registry));
        emit IVaultRegistry.VaultKeyUnbound({vaultId: vaultId, vaultKey: vaultKey});
        vm.prank(owner);
        registry.unbindVaultKey(vaultId);
        assertFalse(registry.isActiveVaultKey(vaultId, vaultKey));
        assertEq(registry.vault(vaultId).vaultKey, address(0));
    }

    function test_UnbindVaultKey_RevertsWhen_NoneBound() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultKey.selector, vaultId, address(0)));
        vm.prank(owner);
        registry.unbindVaultKey(vaultId);
    }

    function test_UnbindVaultKey_RevertsWhen_NotOwner() public {
        _bindKey();
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, vaultKey));
        vm.prank(vaultKey);
        registry.unbindVaultKey(vaultId);
    }

    function test_VaultKey_InactiveOnceMeasurementRevoked() public {
        _bindKey();
        vm.prank(owner);
        registry.revokeMeasurement(vaultId, MEASUREMENT);
        assertFalse(registry.isActiveVaultKey(vaultId, vaultKey));
    }

    // ---------------------------------------------------------------- grants

    function test_Grant() public {
        uint64 expiry = uint64(START + 30 days);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.Granted({
            vaultId: vaultId,
            grantee: researcher,
            scope: SCOPE,
            purpose: PURPOSE,
            expiry: expiry,
            perQueryApproval: true,
            maxQueries: 10
        });
        vm.prank(owner);
        registry.grant(vaultId, researcher, SCOPE, PURPOSE, expiry, true, 10);
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
        assertFalse(registry.isAllowed(vaultId, researcher, keccak256("other scope")));
        assertFalse(registry.isAllowed(vaultId, stranger, SCOPE));
        IVaultRegistry.GrantRecord memory g = registry.grantOf(vaultId, researcher, SCOPE);
        assertEq(g.expiry, expiry);
        assertEq(g.purpose, PURPOSE);
        assertTrue(g.perQueryApproval);
        assertFalse(g.revoked);
        assertEq(g.maxQueries, 10);
    }

    function test_Grant_RevertsWhen_NotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, researcher));
        vm.prank(researcher);
        registry.grant(vaultId, researcher, SCOPE, PURPOSE, uint64(START + 1), false, 0);
    }

    function test_Grant_RevertsWhen_UnknownVault() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 42));
        vm.prank(owner);
        registry.grant(42, researcher, SCOPE, PURPOSE, uint64(START + 1), false, 0);
    }

    function test_Grant_RevertsWhen_ZeroGrantee() public {
        vm.expectRevert(IVaultRegistry.ZeroAddress.selector);
        vm.prank(owner);
        registry.grant(vaultId, address(0), SCOPE, PURPOSE, uint64(START + 1), false, 0);
    }

    function test_Grant_RevertsWhen_NoPermission() public {
        bytes16 modifiersOnly = bytes16(hex"0000002e");
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.MissingPurposePermission.selector, modifiersOnly));
        vm.prank(owner);
        registry.grant(vaultId, researcher, SCOPE, modifiersOnly, uint64(START + 1), false, 0);
    }

    function test_Grant_RevertsWhen_ExpiryNotInFuture() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidExpiry.selector, uint64(START)));
        vm.prank(owner);
        registry.grant(vaultId, researcher, SCOPE, PURPOSE, uint64(START), false, 0);
    }

    function test_IsAllowed_FalseFromExpiry() public {
        _grantDirect(researcher, SCOPE, uint64(START + 100));
        vm.warp(START + 99);
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
        vm.warp(START + 100);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE));
    }

    function test_GrantWithSig() public {
        IVaultRegistry.Grant memory m = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        bytes memory sig = _signGrant(ownerKey, m);
        vm.prank(relayer);
        registry.grantWithSig(m, sig);
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
        assertEq(registry.nonceOf(vaultId), 1);
    }

    function test_GrantWithSig_RevertsWhen_ValidationFails() public {
        IVaultRegistry.Grant memory m = _grantMessage(researcher, SCOPE, uint64(START));
        bytes memory sig = _signGrant(ownerKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidExpiry.selector, uint64(START)));
        registry.grantWithSig(m, sig);
    }

    function test_GrantWithSig_RevertsWhen_UnknownVault() public {
        IVaultRegistry.Grant memory m = _grantMessage(researcher, SCOPE, uint64(START + 1));
        bytes memory sig = _signGrant(ownerKey, m);
        m.vaultId = 3;
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 3));
        registry.grantWithSig(m, sig);
    }

    function test_Revoke() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        vm.expectEmit(address(registry));
        emit IVaultRegistry.GrantRevoked({vaultId: vaultId, grantee: researcher, scope: SCOPE});
        vm.prank(owner);
        registry.revoke(vaultId, researcher, SCOPE);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE));
        assertTrue(registry.grantOf(vaultId, researcher, SCOPE).revoked);
    }

    function test_Revoke_ThenGrantAgain() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        vm.prank(owner);
        registry.revoke(vaultId, researcher, SCOPE);
        _grantDirect(researcher, SCOPE, uint64(START + 2 days));
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
    }

    function test_Revoke_RevertsWhen_NeverGranted() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.GrantNotFound.selector, vaultId, researcher, SCOPE));
        vm.prank(owner);
        registry.revoke(vaultId, researcher, SCOPE);
    }

    function test_Revoke_RevertsWhen_AlreadyRevoked() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        vm.startPrank(owner);
        registry.revoke(vaultId, researcher, SCOPE);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.GrantNotFound.selector, vaultId, researcher, SCOPE));
        registry.revoke(vaultId, researcher, SCOPE);
        vm.stopPrank();
    }

    function test_Revoke_RevertsWhen_NotOwner() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, researcher));
        vm.prank(researcher);
        registry.revoke(vaultId, researcher, SCOPE);
    }

    function test_RevokeWithSig() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        IVaultRegistry.Revoke memory m = _revokeMessage(researcher, SCOPE);
        bytes memory sig = _signRevoke(ownerKey, m);
        vm.prank(relayer);
        registry.revokeWithSig(m, sig);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE));
    }

    function test_RevokeWithSig_RevertsWhen_WrongSigner() public {
        _grantDirect(researcher, SCOPE, uint64(START + 1 days));
        IVaultRegistry.Revoke memory m = _revokeMessage(researcher, SCOPE);
        bytes memory sig = _signRevoke(researcherKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.revokeWithSig(m, sig);
    }

    function test_WithSig_RevertsWhen_SignatureMalformed() public {
        IVaultRegistry.Grant memory m = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, hex"deadbeef");
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, new bytes(65));
    }

    function test_WithSig_RevertsWhen_NonceFromFuture() public {
        IVaultRegistry.Grant memory m = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        m.nonce = 1;
        bytes memory sig = _signGrant(ownerKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, 0));
        registry.grantWithSig(m, sig);
    }

    // ---------------------------------------------------------------- access requests

    /// @dev What a researcher publishes with a request: the analysis descriptor `SCOPE` stands for here.
    string internal constant DESCRIPTOR =
        '{"analysis":"dnavault/query/allele-counts/v2","panel":{"name":"test","assembly":"GRCh37","regions":[],"rsids":["rs1"]}}';

    function _request(uint64 requestedExpiry) internal returns (uint256 requestId) {
        vm.prank(researcher);
        requestId = registry.requestAccess(
            vaultId,
            SCOPE,
            PURPOSE,
            requestedExpiry,
            keccak256("protocol"),
            "https://lab.example/protocol.pdf",
            DESCRIPTOR
        );
    }

    function test_RequestAccess() public {
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AccessRequested({
            requestId: 1,
            vaultId: vaultId,
            researcher: researcher,
            scope: SCOPE,
            purpose: PURPOSE,
            requestedExpiry: uint64(START + 90 days),
            protocolHash: keccak256("protocol"),
            protocolUri: "https://lab.example/protocol.pdf",
            descriptor: DESCRIPTOR
        });
        uint256 id = _request(uint64(START + 90 days));
        assertEq(id, 1);
        IVaultRegistry.AccessRequest memory r = registry.accessRequest(id);
        assertEq(r.researcher, researcher);
        assertEq(r.vaultId, vaultId);
        assertEq(r.scope, SCOPE);
        assertEq(r.purpose, PURPOSE);
        assertEq(r.requestedExpiry, START + 90 days);
        assertEq(uint8(r.status), uint8(IVaultRegistry.RequestStatus.Pending));
    }

    function test_RequestAccess_RevertsWhen_UnknownVault() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.VaultNotFound.selector, 9));
        registry.requestAccess(9, SCOPE, PURPOSE, uint64(START + 1), bytes32(0), "", "");
    }

    function test_RequestAccess_RevertsWhen_NoPermission() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.MissingPurposePermission.selector, bytes16(0)));
        registry.requestAccess(vaultId, SCOPE, bytes16(0), uint64(START + 1), bytes32(0), "", "");
    }

    function test_RequestAccess_RevertsWhen_ExpiryPast() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidExpiry.selector, uint64(START - 1)));
        registry.requestAccess(vaultId, SCOPE, PURPOSE, uint64(START - 1), bytes32(0), "", "");
    }

    function test_GrantRequest() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectEmit(address(registry));
        emit IVaultRegistry.Granted({
            vaultId: vaultId,
            grantee: researcher,
            scope: SCOPE,
            purpose: PURPOSE,
            expiry: uint64(START + 30 days),
            perQueryApproval: true,
            maxQueries: 25
        });
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AccessRequestGranted({requestId: id});
        vm.prank(owner);
        registry.grantRequest(id, uint64(START + 30 days), true, 25);
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
        assertEq(uint8(registry.accessRequest(id).status), uint8(IVaultRegistry.RequestStatus.Granted));
    }

    function test_GrantRequest_RevertsWhen_LongerThanRequested() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidExpiry.selector, uint64(START + 91 days)));
        vm.prank(owner);
        registry.grantRequest(id, uint64(START + 91 days), false, 0);
    }

    function test_GrantRequest_RevertsWhen_NotOwner() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, researcher));
        vm.prank(researcher);
        registry.grantRequest(id, uint64(START + 1 days), false, 0);
    }

    function test_GrantRequest_RevertsWhen_Unknown() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.RequestNotFound.selector, 4));
        vm.prank(owner);
        registry.grantRequest(4, uint64(START + 1 days), false, 0);
    }

    /// @dev The owner's signed grant of request `id` with its own terms, 30 days, per-query approval, 25 queries.
    function _grantRequestMessage(uint256 id) internal view returns (IVaultRegistry.GrantRequest memory) {
        return IVaultRegistry.GrantRequest({
            requestId: id,
            vaultId: vaultId,
            researcher: researcher,
            scope: SCOPE,
            purpose: PURPOSE,
            expiry: uint64(START + 30 days),
            perQueryApproval: true,
            maxQueries: 25,
            nonce: registry.nonceOf(vaultId),
            deadline: START + 1 hours
        });
    }

    function test_GrantRequestWithSig() public {
        uint256 id = _request(uint64(START + 90 days));
        IVaultRegistry.GrantRequest memory m = _grantRequestMessage(id);
        bytes memory sig = _signGrantRequest(ownerKey, m);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AccessRequestGranted({requestId: id});
        vm.prank(relayer);
        registry.grantRequestWithSig(m, sig);
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
        IVaultRegistry.GrantRecord memory stored = registry.grantOf(vaultId, researcher, SCOPE);
        assertEq(stored.expiry, START + 30 days);
        assertEq(stored.maxQueries, 25);
        assertTrue(stored.perQueryApproval);
        assertEq(uint8(registry.accessRequest(id).status), uint8(IVaultRegistry.RequestStatus.Granted));
        assertEq(registry.hashGrantRequest(m), _digest(_grantRequestStructHash(m)));
        // Replayed: the request is granted, and the nonce is spent.
        vm.expectRevert(
            abi.encodeWithSelector(IVaultRegistry.RequestNotPending.selector, id, IVaultRegistry.RequestStatus.Granted)
        );
        registry.grantRequestWithSig(m, sig);
    }

    function test_GrantRequestWithSig_RevertsWhen_TermsAreNotTheRequests() public {
        uint256 id = _request(uint64(START + 90 days));
        IVaultRegistry.GrantRequest[4] memory altered;
        for (uint256 i; i < 4; i++) {
            altered[i] = _grantRequestMessage(id);
        }
        altered[0].researcher = stranger;
        altered[1].scope = keccak256("another analysis");
        altered[2].purpose = bytes16(hex"0001");
        altered[3].vaultId = vaultId + 1;
        for (uint256 i; i < 4; i++) {
            // Signed by the owner, and still refused: a grant of this request is of the request's own terms.
            bytes memory sig = _signGrantRequest(ownerKey, altered[i]);
            vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.RequestMismatch.selector, id));
            registry.grantRequestWithSig(altered[i], sig);
        }
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE));
    }

    function test_GrantRequestWithSig_RevertsWhen_SignatureIsNotTheOwners() public {
        uint256 id = _request(uint64(START + 90 days));
        IVaultRegistry.GrantRequest memory m = _grantRequestMessage(id);
        bytes memory sig = _signGrantRequest(researcherKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantRequestWithSig(m, sig);
        // Signed for 30 days, submitted as 90: the signature does not cover it.
        bytes memory owners = _signGrantRequest(ownerKey, m);
        m.expiry = uint64(START + 90 days);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantRequestWithSig(m, owners);
    }

    function test_GrantRequestWithSig_RevertsWhen_LongerThanRequested() public {
        uint256 id = _request(uint64(START + 90 days));
        IVaultRegistry.GrantRequest memory m = _grantRequestMessage(id);
        m.expiry = uint64(START + 91 days);
        bytes memory sig = _signGrantRequest(ownerKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidExpiry.selector, uint64(START + 91 days)));
        registry.grantRequestWithSig(m, sig);
    }

    function test_GrantRequestWithSig_RevertsWhen_PastDeadline() public {
        uint256 id = _request(uint64(START + 90 days));
        IVaultRegistry.GrantRequest memory m = _grantRequestMessage(id);
        bytes memory sig = _signGrantRequest(ownerKey, m);
        vm.warp(m.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.SignatureExpired.selector, m.deadline));
        registry.grantRequestWithSig(m, sig);
    }

    function test_DenyRequest() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AccessRequestDenied({requestId: id});
        vm.prank(owner);
        registry.denyRequest(id);
        assertEq(uint8(registry.accessRequest(id).status), uint8(IVaultRegistry.RequestStatus.Denied));
        vm.expectRevert(
            abi.encodeWithSelector(IVaultRegistry.RequestNotPending.selector, id, IVaultRegistry.RequestStatus.Denied)
        );
        vm.prank(owner);
        registry.grantRequest(id, uint64(START + 1 days), false, 0);
    }

    function test_DenyRequest_RevertsWhen_NotOwner() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, stranger));
        vm.prank(stranger);
        registry.denyRequest(id);
    }

    function test_WithdrawRequest() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AccessRequestWithdrawn({requestId: id});
        vm.prank(researcher);
        registry.withdrawRequest(id);
        assertEq(uint8(registry.accessRequest(id).status), uint8(IVaultRegistry.RequestStatus.Withdrawn));
    }

    function test_WithdrawRequest_RevertsWhen_NotRequester() public {
        uint256 id = _request(uint64(START + 90 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotRequester.selector, id, owner));
        vm.prank(owner);
        registry.withdrawRequest(id);
    }

    function test_Request_ExpiresUnanswered() public {
        uint256 id = _request(uint64(START + 1 days));
        vm.warp(START + 1 days);
        assertEq(uint8(registry.accessRequest(id).status), uint8(IVaultRegistry.RequestStatus.Expired));
        vm.expectRevert(
            abi.encodeWithSelector(IVaultRegistry.RequestNotPending.selector, id, IVaultRegistry.RequestStatus.Expired)
        );
        vm.prank(owner);
        registry.grantRequest(id, uint64(START + 2 days), false, 0);
    }

    function test_AccessRequest_RevertsWhen_Unknown() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.RequestNotFound.selector, 1));
        registry.accessRequest(1);
    }

    // ---------------------------------------------------------------- receipts

    function _head(uint64 seq) internal pure returns (IVaultRegistry.AuditHead memory) {
        return IVaultRegistry.AuditHead({seq: seq, tag: keccak256(abi.encode("audit tag", seq))});
    }

    function _one(bytes32 receipt) internal pure returns (bytes32[] memory batch) {
        batch = new bytes32[](1);
        batch[0] = receipt;
    }

    function test_AnchorReceipts() public {
        _bindKey();
        bytes32[] memory batch = _one(keccak256("receipt 1"));
        bytes32 expected = keccak256(abi.encode(vaultId, batch));
        vm.roll(77);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.ReceiptsAnchored({vaultId: vaultId, batchHash: expected, receiptHashes: batch});
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AuditHeadAnchored({vaultId: vaultId, seq: 3, tag: _head(3).tag});
        vm.prank(vaultKey);
        bytes32 batchHash = registry.anchorReceipts(vaultId, batch, _head(3));
        assertEq(batchHash, expected);
        assertEq(registry.anchoredAt(batchHash), 77);
        assertEq(registry.anchoredAt(keccak256("never")), 0);
        assertEq(registry.auditHeadOf(vaultId).seq, 3);
        assertEq(registry.auditHeadOf(vaultId).tag, _head(3).tag);
    }

    function test_AnchorReceipts_Batch() public {
        _bindKey();
        bytes32[] memory batch = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            batch[i] = keccak256(abi.encode("receipt", i));
        }
        vm.prank(vaultKey);
        bytes32 batchHash = registry.anchorReceipts(vaultId, batch, _head(4));
        assertEq(batchHash, keccak256(abi.encode(vaultId, batch)));
        assertEq(registry.anchoredAt(batchHash), block.number);
    }

    function test_AnchorReceipts_RevertsWhen_NotVaultKey() public {
        _bindKey();
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultKey.selector, vaultId, owner));
        vm.prank(owner);
        registry.anchorReceipts(vaultId, _one(keccak256("r")), _head(1));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultKey.selector, vaultId, owner));
        vm.prank(owner);
        registry.anchorAuditHead(vaultId, _head(1));
    }

    function test_AnchorReceipts_RevertsWhen_MeasurementRevoked() public {
        _bindKey();
        vm.prank(owner);
        registry.revokeMeasurement(vaultId, MEASUREMENT);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultKey.selector, vaultId, vaultKey));
        vm.prank(vaultKey);
        registry.anchorReceipts(vaultId, _one(keccak256("r")), _head(1));
    }

    function test_AnchorReceipts_RevertsWhen_KeyUnbound() public {
        _bindKey();
        vm.prank(owner);
        registry.unbindVaultKey(vaultId);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultKey.selector, vaultId, vaultKey));
        vm.prank(vaultKey);
        registry.anchorReceipts(vaultId, _one(keccak256("r")), _head(1));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultKey.selector, vaultId, vaultKey));
        vm.prank(vaultKey);
        registry.anchorAuditHead(vaultId, _head(1));
    }

    function test_AnchorReceipts_RevertsWhen_Empty() public {
        _bindKey();
        vm.expectRevert(IVaultRegistry.EmptyReceiptBatch.selector);
        vm.prank(vaultKey);
        registry.anchorReceipts(vaultId, new bytes32[](0), _head(1));
    }

    function test_AnchorReceipts_RevertsWhen_Replayed() public {
        _bindKey();
        vm.startPrank(vaultKey);
        bytes32 batchHash = registry.anchorReceipts(vaultId, _one(keccak256("r")), _head(1));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.ReceiptsAlreadyAnchored.selector, batchHash));
        registry.anchorReceipts(vaultId, _one(keccak256("r")), _head(2));
        vm.stopPrank();
    }

    function test_AnchorAuditHead_MovesForwardOnly() public {
        _bindKey();
        vm.startPrank(vaultKey);
        vm.expectEmit(address(registry));
        emit IVaultRegistry.AuditHeadAnchored({vaultId: vaultId, seq: 5, tag: _head(5).tag});
        registry.anchorAuditHead(vaultId, _head(5));
        // The same head again changes nothing and emits nothing.
        vm.recordLogs();
        registry.anchorAuditHead(vaultId, _head(5));
        assertEq(vm.getRecordedLogs().length, 0);
        // A host that rolled the log back cannot have the vault anchor an older head, nor another tag at 5.
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.AuditHeadBehind.selector, vaultId, 5, 4));
        registry.anchorAuditHead(vaultId, _head(4));
        IVaultRegistry.AuditHead memory forked = IVaultRegistry.AuditHead({seq: 5, tag: keccak256("fork")});
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.AuditHeadForked.selector, vaultId, 5));
        registry.anchorAuditHead(vaultId, forked);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.AuditHeadBehind.selector, vaultId, 5, 4));
        registry.anchorReceipts(vaultId, _one(keccak256("r")), _head(4));
        registry.anchorAuditHead(vaultId, _head(9));
        vm.stopPrank();
        assertEq(registry.auditHeadOf(vaultId).seq, 9);
    }

    function testFuzz_AnchorAuditHead_NeverMovesBack(uint64 first, uint64 second) public {
        first = uint64(bound(first, 1, type(uint64).max));
        second = uint64(bound(second, 1, type(uint64).max));
        _bindKey();
        vm.startPrank(vaultKey);
        registry.anchorAuditHead(vaultId, _head(first));
        if (second < first) {
            vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.AuditHeadBehind.selector, vaultId, first, second));
        }
        registry.anchorAuditHead(vaultId, _head(second));
        vm.stopPrank();
        assertEq(registry.auditHeadOf(vaultId).seq, second < first ? first : second);
    }

    function test_OwnershipTransfer_ClearsTheAuditHead() public {
        _bindKey();
        vm.prank(vaultKey);
        registry.anchorAuditHead(vaultId, _head(5));
        address next = makeAddr("next owner");
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, next);
        vm.prank(next);
        registry.acceptVaultOwnership(vaultId);
        assertEq(registry.auditHeadOf(vaultId).seq, 0);
        assertEq(registry.auditHeadOf(vaultId).tag, bytes32(0));
    }

    // ---------------------------------------------------------------- EIP-712 surface

    function test_Eip712Domain() public view {
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = registry.eip712Domain();
        assertEq(fields, hex"0f");
        assertEq(name, "DNA Vault Registry");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(registry));
        assertEq(salt, bytes32(0));
        assertEq(extensions.length, 0);
    }

    function test_TypeHashes_MatchTypeStrings() public view {
        assertEq(registry.GRANT_TYPEHASH(), keccak256(bytes(GRANT_TYPE)));
        assertEq(registry.REVOKE_TYPEHASH(), keccak256(bytes(REVOKE_TYPE)));
        assertEq(registry.APPROVE_MEASUREMENT_TYPEHASH(), keccak256(bytes(APPROVE_MEASUREMENT_TYPE)));
        assertEq(registry.REVOKE_MEASUREMENT_TYPEHASH(), keccak256(bytes(REVOKE_MEASUREMENT_TYPE)));
        assertEq(registry.BIND_VAULT_KEY_TYPEHASH(), keccak256(bytes(BIND_VAULT_KEY_TYPE)));
        assertEq(registry.BOOT_APPROVAL_TYPEHASH(), keccak256(bytes(BOOT_APPROVAL_TYPE)));
        assertEq(registry.QUERY_APPROVAL_TYPEHASH(), keccak256(bytes(QUERY_APPROVAL_TYPE)));
        assertEq(registry.QUERY_REQUEST_TYPEHASH(), keccak256(bytes(QUERY_REQUEST_TYPE)));
        assertEq(registry.QUERY_RECEIPT_TYPEHASH(), keccak256(bytes(QUERY_RECEIPT_TYPE)));
        assertEq(registry.UPLOAD_APPROVAL_TYPEHASH(), keccak256(bytes(UPLOAD_APPROVAL_TYPE)));
        assertEq(registry.OWNER_READ_TYPEHASH(), keccak256(bytes(OWNER_READ_TYPE)));
    }

    function test_HashViews_MatchIndependentHashing() public view {
        IVaultRegistry.Grant memory g = _grantMessage(researcher, SCOPE, uint64(START + 5));
        assertEq(registry.hashGrant(g), _digest(_grantStructHash(g)));
        IVaultRegistry.Revoke memory r = _revokeMessage(researcher, SCOPE);
        assertEq(registry.hashRevoke(r), _digest(_revokeStructHash(r)));
        assertEq(
            registry.hashApproveMeasurement(IVaultRegistry.ApproveMeasurement(vaultId, MEASUREMENT, 3, 4)),
            _digest(_measurementStructHash(APPROVE_MEASUREMENT_TYPE, vaultId, MEASUREMENT, 3, 4))
        );
        assertEq(
            registry.hashRevokeMeasurement(IVaultRegistry.RevokeMeasurement(vaultId, MEASUREMENT, 3, 4)),
            _digest(_measurementStructHash(REVOKE_MEASUREMENT_TYPE, vaultId, MEASUREMENT, 3, 4))
        );
        IVaultRegistry.BindVaultKey memory b = IVaultRegistry.BindVaultKey(vaultId, vaultKey, MEASUREMENT, 1, 2);
        assertEq(registry.hashBindVaultKey(b), _digest(_bindStructHash(b)));
        IVaultRegistry.BootApproval memory boot = IVaultRegistry.BootApproval(
            vaultId,
            vaultKey,
            MEASUREMENT,
            keccak256("chain view"),
            keccak256("boot nonce"),
            keccak256("wrapped key"),
            9
        );
        assertEq(
            registry.hashBootApproval(boot),
            _digest(
                keccak256(
                    abi.encode(
                        keccak256(bytes(BOOT_APPROVAL_TYPE)),
                        boot.vaultId,
                        boot.vaultKey,
                        keccak256(boot.measurement),
                        boot.chainView,
                        boot.bootNonce,
                        boot.wrappedKeyHash,
                        boot.deadline
                    )
                )
            )
        );
        IVaultRegistry.QueryApproval memory q = IVaultRegistry.QueryApproval(vaultId, keccak256("request"), 10);
        assertEq(
            registry.hashQueryApproval(q),
            _digest(keccak256(abi.encode(keccak256(bytes(QUERY_APPROVAL_TYPE)), q.vaultId, q.requestHash, q.deadline)))
        );
    }

    function test_HashViews_OffChainMessages_MatchIndependentHashing() public view {
        IVaultRegistry.QueryRequest memory request = IVaultRegistry.QueryRequest(
            vaultId, researcher, SCOPE, PURPOSE, keccak256("query"), keccak256("hpke key"), keccak256("nonce"), 11
        );
        assertEq(
            registry.hashQueryRequest(request),
            _digest(
                keccak256(
                    abi.encode(
                        keccak256(bytes(QUERY_REQUEST_TYPE)),
                        request.vaultId,
                        request.researcher,
                        request.scope,
                        request.purpose,
                        request.queryHash,
                        request.recipientKey,
                        request.nonce,
                        request.deadline
                    )
                )
            )
        );
        IVaultRegistry.QueryReceipt memory receipt =
            IVaultRegistry.QueryReceipt(vaultId, keccak256("request"), keccak256("result"), PURPOSE, 12, 13);
        assertEq(
            registry.hashQueryReceipt(receipt),
            _digest(
                keccak256(
                    abi.encode(
                        keccak256(bytes(QUERY_RECEIPT_TYPE)),
                        receipt.vaultId,
                        receipt.requestHash,
                        receipt.resultHash,
                        receipt.purpose,
                        receipt.consentBlock,
                        receipt.issuedAt
                    )
                )
            )
        );
        IVaultRegistry.UploadApproval memory upload =
            IVaultRegistry.UploadApproval(vaultId, "genome.vcf.gz", sha256("content"), 7, keccak256("nonce"), 14);
        assertEq(
            registry.hashUploadApproval(upload),
            _digest(
                keccak256(
                    abi.encode(
                        keccak256(bytes(UPLOAD_APPROVAL_TYPE)),
                        upload.vaultId,
                        keccak256(bytes(upload.objectId)),
                        upload.contentSha256,
                        upload.size,
                        upload.nonce,
                        upload.deadline
                    )
                )
            )
        );
        IVaultRegistry.OwnerRead memory read = IVaultRegistry.OwnerRead(vaultId, "audit", bytes32(uint256(7)), 15);
        assertEq(
            registry.hashOwnerRead(read),
            _digest(
                keccak256(
                    abi.encode(
                        keccak256(bytes(OWNER_READ_TYPE)),
                        read.vaultId,
                        keccak256(bytes(read.what)),
                        read.recipientKey,
                        read.deadline
                    )
                )
            )
        );
        // The string fields are signed too: another object id, or another record read, is another digest.
        bytes32 before = registry.hashUploadApproval(upload);
        upload.objectId = "genome.vcf.gz.tbi";
        assertNotEq(registry.hashUploadApproval(upload), before);
        before = registry.hashOwnerRead(read);
        read.what = "receipts";
        assertNotEq(registry.hashOwnerRead(read), before);
        before = registry.hashOwnerRead(read);
        read.recipientKey = bytes32(uint256(8));
        assertNotEq(registry.hashOwnerRead(read), before);
    }

    function test_IsOwnerSignature() public view {
        bytes32 digest = registry.hashQueryApproval(IVaultRegistry.QueryApproval(vaultId, keccak256("q"), 1));
        assertTrue(registry.isOwnerSignature(vaultId, digest, _sign(ownerKey, digest)));
        assertFalse(registry.isOwnerSignature(vaultId, digest, _sign(researcherKey, digest)));
        assertFalse(registry.isOwnerSignature(vaultId, digest, _malleate(_sign(ownerKey, digest))));
    }
}
