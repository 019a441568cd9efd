// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "../src/IVaultRegistry.sol";
import {VaultRegistry} from "../src/VaultRegistry.sol";
import {RegistryTest} from "./utils/RegistryTest.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Drives the registry through random grants, revocations, signed messages, replays and time, keeping
/// a ghost model of what each (grantee, scope) should be.
contract RegistryHandler is RegistryTest {
    address[3] internal grantees;
    bytes32[2] internal scopes;

    /// @dev Ghost state: the expiry of the latest grant, and whether it was revoked since.
    mapping(address => mapping(bytes32 => uint64)) public ghostExpiry;
    mapping(address => mapping(bytes32 => bool)) public ghostRevoked;
    /// @dev Signatures the registry accepted, per owner; its nonce must equal this count.
    uint256 public ghostSignedUses;
    uint256 public lastSeenNonce;
    bytes internal lastSignature;
    IVaultRegistry.Grant internal lastGrant;

    constructor(VaultRegistry registry_, address owner_, uint256 ownerKey_, uint256 vaultId_) {
        registry = registry_;
        owner = owner_;
        ownerKey = ownerKey_;
        vaultId = vaultId_;
        grantees = [makeAddr("g0"), makeAddr("g1"), makeAddr("g2")];
        scopes = [keccak256("s0"), keccak256("s1")];
    }

    function grantDirect(uint8 who, uint8 what, uint32 lifetime) external {
        (address grantee, bytes32 scope) = _pick(who, what);
        uint64 expiry = uint64(block.timestamp + bound(lifetime, 1, 30 days));
        vm.prank(owner);
        registry.grant(vaultId, grantee, scope, PURPOSE, expiry, false, 0);
        _recordGrant(grantee, scope, expiry);
    }

    function grantSigned(uint8 who, uint8 what, uint32 lifetime) external {
        (address grantee, bytes32 scope) = _pick(who, what);
        IVaultRegistry.Grant memory m =
            _grantMessage(grantee, scope, uint64(block.timestamp + bound(lifetime, 1, 30 days)));
        bytes memory sig = _signGrant(ownerKey, m);
        registry.grantWithSig(m, sig);
        ghostSignedUses++;
        _recordGrant(grantee, scope, m.expiry);
        lastGrant = m;
        lastSignature = sig;
        _checkNonceGrew();
    }

    function revokeDirect(uint8 who, uint8 what) external {
        (address grantee, bytes32 scope) = _pick(who, what);
        if (ghostExpiry[grantee][scope] == 0 || ghostRevoked[grantee][scope]) return;
        vm.prank(owner);
        registry.revoke(vaultId, grantee, scope);
        ghostRevoked[grantee][scope] = true;
    }

    function revokeSigned(uint8 who, uint8 what) external {
        (address grantee, bytes32 scope) = _pick(who, what);
        if (ghostExpiry[grantee][scope] == 0 || ghostRevoked[grantee][scope]) return;
        IVaultRegistry.Revoke memory m = _revokeMessage(grantee, scope);
        registry.revokeWithSig(m, _signRevoke(ownerKey, m));
        ghostSignedUses++;
        ghostRevoked[grantee][scope] = true;
        _checkNonceGrew();
    }

    /// @dev A replay of the last accepted signed grant must never land.
    function replayLastGrant() external {
        if (lastSignature.length == 0) return;
        try registry.grantWithSig(lastGrant, lastSignature) {
            revert("replayed grant accepted");
        } catch {}
    }

    /// @dev The vault goes to another owner and comes back: every grant made before is over.
    function transferRoundTrip() external {
        address interim = makeAddr("interim");
        vm.prank(owner);
        registry.transferVaultOwnership(vaultId, interim);
        vm.prank(interim);
        registry.acceptVaultOwnership(vaultId);
        vm.prank(interim);
        registry.transferVaultOwnership(vaultId, owner);
        vm.prank(owner);
        registry.acceptVaultOwnership(vaultId);
        for (uint256 i; i < 3; ++i) {
            for (uint256 j; j < 2; ++j) {
                ghostRevoked[grantees[i]][scopes[j]] = true;
            }
        }
    }

    function warp(uint32 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 10 days));
        vm.roll(block.number + 1);
    }

    function granteeCount() external pure returns (uint256) {
        return 3;
    }

    function granteeAt(uint256 i) external view returns (address) {
        return grantees[i];
    }

    function scopeAt(uint256 i) external view returns (bytes32) {
        return scopes[i];
    }

    function _pick(uint8 who, uint8 what) internal view returns (address, bytes32) {
        return (grantees[who % 3], scopes[what % 2]);
    }

    function _recordGrant(address grantee, bytes32 scope, uint64 expiry) internal {
        ghostExpiry[grantee][scope] = expiry;
        ghostRevoked[grantee][scope] = false;
    }

    function _checkNonceGrew() internal {
        uint256 nonce = registry.nonceOf(vaultId);
        require(nonce > lastSeenNonce, "nonce did not grow");
        lastSeenNonce = nonce;
    }
}

/// @notice Invariants: nothing revoked, expired or granted under an earlier owner is ever allowed; the owner's
/// nonce only grows, by exactly one per accepted signature.
contract VaultRegistryInvariantTest is RegistryTest {
    RegistryHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new RegistryHandler(registry, owner, ownerKey, vaultId);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = RegistryHandler.grantDirect.selector;
        selectors[1] = RegistryHandler.grantSigned.selector;
        selectors[2] = RegistryHandler.revokeDirect.selector;
        selectors[3] = RegistryHandler.revokeSigned.selector;
        selectors[4] = RegistryHandler.replayLastGrant.selector;
        selectors[5] = RegistryHandler.warp.selector;
        selectors[6] = RegistryHandler.transferRoundTrip.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_RevokedOrExpiredIsNeverAllowed() public view {
        for (uint256 i; i < handler.granteeCount(); ++i) {
            for (uint256 j; j < 2; ++j) {
                address grantee = handler.granteeAt(i);
                bytes32 scope = handler.scopeAt(j);
                bool shouldBeAllowed =
                    !handler.ghostRevoked(grantee, scope) && block.timestamp < handler.ghostExpiry(grantee, scope);
                assertEq(registry.isAllowed(vaultId, grantee, scope), shouldBeAllowed);
            }
        }
    }

    function invariant_NoncesOnlyGrowWithAcceptedSignatures() public view {
        assertEq(registry.nonceOf(vaultId), handler.ghostSignedUses());
        assertGe(registry.nonceOf(vaultId), handler.lastSeenNonce());
    }
}
