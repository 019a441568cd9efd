// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "../src/IVaultRegistry.sol";
import {VaultRegistry} from "../src/VaultRegistry.sol";
import {MinimalWallet} from "./utils/MinimalWallet.sol";
import {RegistryTest} from "./utils/RegistryTest.sol";

/// @notice Fuzzed attacks on the signature paths, and an EIP-1271 contract wallet as owner.
contract VaultRegistrySignaturesTest is RegistryTest {
    /// @dev Fuzzed grant fields, bounded to what the registry accepts.
    function _fuzzGrant(address grantee, bytes32 scope, uint64 lifetime)
        internal
        view
        returns (IVaultRegistry.Grant memory)
    {
        vm.assume(grantee != address(0));
        return _grantMessage(grantee, scope, uint64(block.timestamp + bound(lifetime, 1, 3650 days)));
    }

    function testFuzz_GrantWithSig_Accepts(
        address grantee,
        bytes32 scope,
        uint64 lifetime,
        bool perQuery,
        uint32 maxQueries
    ) public {
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, lifetime);
        m.perQueryApproval = perQuery;
        m.maxQueries = maxQueries;
        registry.grantWithSig(m, _signGrant(ownerKey, m));
        assertTrue(registry.isAllowed(vaultId, grantee, scope));
        IVaultRegistry.GrantRecord memory stored = registry.grantOf(vaultId, grantee, scope);
        assertEq(stored.perQueryApproval, perQuery);
        assertEq(stored.maxQueries, maxQueries);
    }

    function testFuzz_GrantWithSig_RejectsAlteredBudget(address grantee, bytes32 scope, uint32 maxQueries) public {
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        m.maxQueries = 5;
        bytes memory sig = _signGrant(ownerKey, m);
        vm.assume(maxQueries != 5);
        m.maxQueries = maxQueries;
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
        assertFalse(registry.isAllowed(vaultId, grantee, scope));
    }

    function testFuzz_GrantWithSig_RejectsWrongSigner(uint256 signerKey, address grantee, bytes32 scope) public {
        signerKey = bound(signerKey, 1, SECP256K1_N - 1);
        vm.assume(signerKey != ownerKey);
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        bytes memory sig = _signGrant(signerKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
        assertFalse(registry.isAllowed(vaultId, grantee, scope));
    }

    function testFuzz_GrantWithSig_RejectsMalleableS(address grantee, bytes32 scope, uint64 lifetime) public {
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, lifetime);
        bytes memory sig = _malleate(_signGrant(ownerKey, m));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_GrantWithSig_RejectsWrongChainId(uint64 otherChain, address grantee, bytes32 scope) public {
        vm.assume(otherChain != block.chainid);
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        bytes memory sig = _sign(ownerKey, _digestFor(otherChain, address(registry), _grantStructHash(m)));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_GrantWithSig_RejectsReplayOnForkedChain(uint64 forkChain, address grantee, bytes32 scope) public {
        vm.assume(forkChain != block.chainid && forkChain != 0);
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        bytes memory sig = _signGrant(ownerKey, m);
        vm.chainId(forkChain);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_GrantWithSig_RejectsWrongContract(address otherContract, address grantee, bytes32 scope) public {
        vm.assume(otherContract != address(registry));
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        bytes memory sig = _sign(ownerKey, _digestFor(block.chainid, otherContract, _grantStructHash(m)));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_GrantWithSig_RejectsSignatureForOtherRegistry(address grantee, bytes32 scope) public {
        VaultRegistry other = new VaultRegistry();
        vm.prank(owner);
        other.registerVault("same owner, other registry");
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        bytes memory sig = _sign(ownerKey, _digestFor(block.chainid, address(other), _grantStructHash(m)));
        other.grantWithSig(m, sig);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_GrantWithSig_RejectsReplayedNonce(address grantee, bytes32 scope, uint64 lifetime) public {
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, lifetime);
        bytes memory sig = _signGrant(ownerKey, m);
        registry.grantWithSig(m, sig);
        vm.prank(owner);
        registry.revoke(vaultId, grantee, scope);
        // The researcher replays the old signature to undo the revocation.
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, 1));
        registry.grantWithSig(m, sig);
        assertFalse(registry.isAllowed(vaultId, grantee, scope));
    }

    function testFuzz_GrantWithSig_RejectsPastDeadline(uint256 late, address grantee, bytes32 scope) public {
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 30 days);
        m.deadline = block.timestamp + 1 hours;
        bytes memory sig = _signGrant(ownerKey, m);
        vm.warp(m.deadline + bound(late, 1, 365 days));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.SignatureExpired.selector, m.deadline));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_GrantWithSig_RejectsTamperedField(uint8 field, address grantee, bytes32 scope) public {
        IVaultRegistry.Grant memory m = _fuzzGrant(grantee, scope, 1 days);
        bytes memory sig = _signGrant(ownerKey, m);
        field = uint8(bound(field, 0, 4));
        if (field == 0) m.grantee = address(uint160(grantee) ^ 1);
        else if (field == 1) m.scope = ~scope;
        else if (field == 2) m.purpose = bytes16(hex"002a");
        else if (field == 3) m.expiry += 1;
        else m.perQueryApproval = !m.perQueryApproval;
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.grantWithSig(m, sig);
    }

    function testFuzz_RevokeWithSig_RejectsWrongSigner(uint256 signerKey, bytes32 scope) public {
        signerKey = bound(signerKey, 1, SECP256K1_N - 1);
        vm.assume(signerKey != ownerKey);
        _grantDirect(researcher, scope, uint64(START + 1 days));
        IVaultRegistry.Revoke memory m = _revokeMessage(researcher, scope);
        bytes memory sig = _signRevoke(signerKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.revokeWithSig(m, sig);
        assertTrue(registry.isAllowed(vaultId, researcher, scope));
    }

    function testFuzz_RevokeWithSig_RejectsMalleableAndReplay(bytes32 scope) public {
        _grantDirect(researcher, scope, uint64(START + 1 days));
        IVaultRegistry.Revoke memory m = _revokeMessage(researcher, scope);
        bytes memory sig = _signRevoke(ownerKey, m);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.revokeWithSig(m, _malleate(sig));
        registry.revokeWithSig(m, sig);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, 1));
        registry.revokeWithSig(m, sig);
    }

    function testFuzz_RevokedIsNeverAllowed(bytes32 scope, uint64 lifetime, uint32 later) public {
        _grantDirect(researcher, scope, uint64(START + bound(lifetime, 1, 3650 days)));
        vm.prank(owner);
        registry.revoke(vaultId, researcher, scope);
        vm.warp(START + bound(later, 0, 3650 days));
        assertFalse(registry.isAllowed(vaultId, researcher, scope));
    }

    function testFuzz_ExpiredIsNeverAllowed(bytes32 scope, uint64 lifetime, uint64 after_) public {
        uint64 expiry = uint64(START + bound(lifetime, 1, 3650 days));
        _grantDirect(researcher, scope, expiry);
        vm.warp(uint256(expiry) + bound(after_, 0, 3650 days));
        assertFalse(registry.isAllowed(vaultId, researcher, scope));
    }

    function testFuzz_BindVaultKeyWithSig_RejectsWrongSigner(uint256 signerKey, address key) public {
        signerKey = bound(signerKey, 1, SECP256K1_N - 1);
        vm.assume(signerKey != ownerKey && key != address(0));
        _approveMeasurement(MEASUREMENT);
        IVaultRegistry.BindVaultKey memory m = IVaultRegistry.BindVaultKey(vaultId, key, MEASUREMENT, 0, START + 60);
        bytes memory sig = _sign(signerKey, _digest(_bindStructHash(m)));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.bindVaultKeyWithSig(m, sig);
    }

    function testFuzz_ApproveMeasurementWithSig_RejectsWrongChain(uint64 otherChain, bytes32 a, bytes16 b) public {
        vm.assume(otherChain != block.chainid);
        bytes memory measurement = abi.encodePacked(a, b);
        bytes32 structHash = _measurementStructHash(APPROVE_MEASUREMENT_TYPE, vaultId, measurement, 0, START + 60);
        bytes memory sig = _sign(ownerKey, _digestFor(otherChain, address(registry), structHash));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, vaultId, owner));
        registry.approveMeasurementWithSig(IVaultRegistry.ApproveMeasurement(vaultId, measurement, 0, START + 60), sig);
    }

    // ---------------------------------------------------------------- cancelling signatures

    /// @dev A grant signed and handed over, not yet relayed: the owner cancels it, and it never applies; the
    /// owner's next message, signed with the new nonce, does.
    function testFuzz_CancelNonces_VoidsSignedUnrelayedMessages(uint8 extra) public {
        IVaultRegistry.Grant memory withheld = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        bytes memory sig = _signGrant(ownerKey, withheld);
        uint256 next = uint256(extra) + 1;
        vm.expectEmit(address(registry));
        emit IVaultRegistry.NoncesCancelled({vaultId: vaultId, nonce: next});
        vm.prank(owner);
        registry.cancelNonces(vaultId, next);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, next));
        registry.grantWithSig(withheld, sig);
        assertFalse(registry.isAllowed(vaultId, researcher, SCOPE));
        IVaultRegistry.Grant memory fresh = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        assertEq(fresh.nonce, next);
        registry.grantWithSig(fresh, _signGrant(ownerKey, fresh));
        assertTrue(registry.isAllowed(vaultId, researcher, SCOPE));
    }

    function test_CancelNonces_RevertsWhen_NotOwnerOrNotForward() public {
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, vaultId, researcher));
        vm.prank(researcher);
        registry.cancelNonces(vaultId, 5);
        vm.prank(owner);
        registry.cancelNonces(vaultId, 5);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, 5));
        vm.prank(owner);
        registry.cancelNonces(vaultId, 5);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, vaultId, 5));
        vm.prank(owner);
        registry.cancelNonces(vaultId, 4);
    }

    /// @dev Nonces cancelled up to the last one: the vault accepts no more signatures, and never wraps.
    function test_CancelNonces_ToTheEnd_AcceptsNothingMore() public {
        vm.prank(owner);
        registry.cancelNonces(vaultId, type(uint256).max);
        IVaultRegistry.Grant memory last = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        vm.expectRevert(abi.encodeWithSelector(0x4e487b71, 0x11)); // arithmetic overflow
        registry.grantWithSig(last, _signGrant(ownerKey, last));
        assertEq(registry.nonceOf(vaultId), type(uint256).max);
    }

    // ---------------------------------------------------------------- EIP-1271 owner

    function _walletVault() internal returns (MinimalWallet wallet, uint256 id) {
        wallet = new MinimalWallet(owner);
        vm.prank(owner);
        bytes memory ret = wallet.execute(address(registry), abi.encodeCall(VaultRegistry.registerVault, ("wallet")));
        id = abi.decode(ret, (uint256));
        assertEq(registry.ownerOf(id), address(wallet));
    }

    function test_Eip1271Owner_GrantAndRevokeWithSig() public {
        (MinimalWallet wallet, uint256 id) = _walletVault();
        IVaultRegistry.Grant memory g = IVaultRegistry.Grant({
            vaultId: id,
            grantee: researcher,
            scope: SCOPE,
            purpose: PURPOSE,
            expiry: uint64(START + 1 days),
            perQueryApproval: false,
            maxQueries: 0,
            nonce: registry.nonceOf(id),
            deadline: START + 60
        });
        registry.grantWithSig(g, _signGrant(ownerKey, g));
        assertTrue(registry.isAllowed(id, researcher, SCOPE));

        IVaultRegistry.Revoke memory r = IVaultRegistry.Revoke(id, researcher, SCOPE, 1, START + 60);
        registry.revokeWithSig(r, _signRevoke(ownerKey, r));
        assertFalse(registry.isAllowed(id, researcher, SCOPE));
        assertEq(registry.nonceOf(id), 2);
        assertEq(registry.nonceOf(vaultId), 0, "each vault's nonces are its own");
    }

    /// @dev The vault moves between two wallets of the same signer: a grant signature used under the first,
    /// and a grant since revoked, do not replay under the second (nonces belong to the vault).
    function test_Eip1271Owner_MovingBetweenWalletsReplaysNothing() public {
        (MinimalWallet first, uint256 id) = _walletVault();
        IVaultRegistry.Grant memory g = _grantMessage(researcher, SCOPE, uint64(START + 1 days));
        g.vaultId = id;
        g.nonce = registry.nonceOf(id);
        bytes memory sig = _signGrant(ownerKey, g);
        registry.grantWithSig(g, sig);
        vm.prank(owner);
        first.execute(address(registry), abi.encodeCall(VaultRegistry.revoke, (id, researcher, SCOPE)));
        MinimalWallet second = new MinimalWallet(owner);
        vm.prank(owner);
        first.execute(address(registry), abi.encodeCall(VaultRegistry.transferVaultOwnership, (id, address(second))));
        vm.prank(owner);
        second.execute(address(registry), abi.encodeCall(VaultRegistry.acceptVaultOwnership, (id)));
        assertEq(registry.ownerOf(id), address(second));
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidNonce.selector, id, 1));
        registry.grantWithSig(g, sig);
        assertFalse(registry.isAllowed(id, researcher, SCOPE), "the revoked grant stays revoked");
    }

    function testFuzz_Eip1271Owner_RejectsOtherSigner(uint256 signerKey) public {
        signerKey = bound(signerKey, 1, SECP256K1_N - 1);
        vm.assume(signerKey != ownerKey);
        (MinimalWallet wallet, uint256 id) = _walletVault();
        IVaultRegistry.Grant memory g = IVaultRegistry.Grant({
            vaultId: id,
            grantee: researcher,
            scope: SCOPE,
            purpose: PURPOSE,
            expiry: uint64(START + 1 days),
            perQueryApproval: false,
            maxQueries: 0,
            nonce: 0,
            deadline: START + 60
        });
        bytes memory sig = _signGrant(signerKey, g);
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.InvalidSignature.selector, id, address(wallet)));
        registry.grantWithSig(g, sig);
    }

    function test_Eip1271Owner_DirectCallsAndOffchainApprovals() public {
        (MinimalWallet wallet, uint256 id) = _walletVault();
        vm.prank(owner);
        wallet.execute(address(registry), abi.encodeCall(VaultRegistry.approveMeasurement, (id, MEASUREMENT)));
        assertTrue(registry.isMeasurementApproved(id, MEASUREMENT));

        bytes32 digest = registry.hashQueryApproval(IVaultRegistry.QueryApproval(id, keccak256("query"), START + 60));
        assertTrue(registry.isOwnerSignature(id, digest, _sign(ownerKey, digest)));
        assertFalse(registry.isOwnerSignature(id, digest, _sign(researcherKey, digest)));

        // The EOA that controls the wallet is not itself the owner.
        vm.expectRevert(abi.encodeWithSelector(IVaultRegistry.NotVaultOwner.selector, id, owner));
        vm.prank(owner);
        registry.revokeMeasurement(id, MEASUREMENT);
    }
}
