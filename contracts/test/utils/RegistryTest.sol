// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "../../src/IVaultRegistry.sol";
import {VaultRegistry} from "../../src/VaultRegistry.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Shared set-up for VaultRegistry tests: a registry, an owner with a vault, a researcher, and EIP-712
/// signing helpers that hash from the type strings themselves, independently of the contract's own hashing.
abstract contract RegistryTest is Test {
    string internal constant GRANT_TYPE =
        "Grant(uint256 vaultId,address grantee,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)";
    string internal constant REVOKE_TYPE =
        "Revoke(uint256 vaultId,address grantee,bytes32 scope,uint256 nonce,uint256 deadline)";
    string internal constant GRANT_REQUEST_TYPE =
        "GrantRequest(uint256 requestId,uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)";
    string internal constant APPROVE_MEASUREMENT_TYPE =
        "ApproveMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)";
    string internal constant REVOKE_MEASUREMENT_TYPE =
        "RevokeMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)";
    string internal constant BIND_VAULT_KEY_TYPE =
        "BindVaultKey(uint256 vaultId,address vaultKey,bytes measurement,uint256 nonce,uint256 deadline)";
    string internal constant BOOT_APPROVAL_TYPE =
        "BootApproval(uint256 vaultId,address vaultKey,bytes measurement,bytes32 chainView,bytes32 bootNonce,bytes32 wrappedKeyHash,uint256 deadline)";
    string internal constant QUERY_APPROVAL_TYPE =
        "QueryApproval(uint256 vaultId,bytes32 requestHash,uint256 deadline)";
    string internal constant QUERY_REQUEST_TYPE =
        "QueryRequest(uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,bytes32 queryHash,bytes32 recipientKey,bytes32 nonce,uint256 deadline)";
    string internal constant QUERY_RECEIPT_TYPE =
        "QueryReceipt(uint256 vaultId,bytes32 requestHash,bytes32 resultHash,bytes16 purpose,uint256 consentBlock,uint64 issuedAt)";
    string internal constant UPLOAD_APPROVAL_TYPE =
        "UploadApproval(uint256 vaultId,string objectId,bytes32 contentSha256,uint64 size,bytes32 nonce,uint256 deadline)";
    string internal constant OWNER_READ_TYPE =
        "OwnerRead(uint256 vaultId,string what,bytes32 recipientKey,uint256 deadline)";
    string internal constant DOMAIN_TYPE =
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    /// @dev secp256k1's group order; a signature with s above half of it is malleable.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    /// @dev A launch measurement as SNP reports it: 48 bytes.
    bytes internal constant MEASUREMENT =
        hex"5c19d5b4a50066c8c991bd920dfa2276e11d3e75cb9d53d8ac38cd9dc70af4ab1e4a8fd96e3fdd7d0a0d7e8cb2f1c2e9";
    bytes internal constant OTHER_MEASUREMENT =
        hex"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    /// @dev The registry treats a scope as opaque: any 32 bytes (the protocol's are analysis descriptors' hashes).
    bytes32 internal constant SCOPE = keccak256("an analysis descriptor");
    /// @dev DUO:0000007 (disease specific research) of MONDO:0007254 (breast cancer), with DUO:0000046
    /// (non-commercial use only).
    bytes16 internal constant PURPOSE = bytes16(hex"000700001c56002e");
    uint256 internal constant START = 1_800_000_000;

    VaultRegistry internal registry;
    address internal owner;
    uint256 internal ownerKey;
    address internal researcher;
    uint256 internal researcherKey;
    address internal relayer;
    address internal vaultKey;
    uint256 internal vaultKeyKey;
    uint256 internal vaultId;

    function setUp() public virtual {
        vm.warp(START);
        registry = new VaultRegistry();
        (owner, ownerKey) = makeAddrAndKey("owner");
        (researcher, researcherKey) = makeAddrAndKey("researcher");
        (vaultKey, vaultKeyKey) = makeAddrAndKey("vault key");
        relayer = makeAddr("relayer");
        vm.prank(owner);
        vaultId = registry.registerVault("https://vault.example/owner");
    }

    // ---- messages

    function _grantMessage(address grantee, bytes32 scope, uint64 expiry)
        internal
        view
        returns (IVaultRegistry.Grant memory)
    {
        return IVaultRegistry.Grant({
            vaultId: vaultId,
            grantee: grantee,
            scope: scope,
            purpose: PURPOSE,
            expiry: expiry,
            perQueryApproval: false,
            maxQueries: 0,
            nonce: registry.nonceOf(vaultId),
            deadline: block.timestamp + 1 hours
        });
    }

    function _revokeMessage(address grantee, bytes32 scope) internal view returns (IVaultRegistry.Revoke memory) {
        return IVaultRegistry.Revoke({
            vaultId: vaultId,
            grantee: grantee,
            scope: scope,
            nonce: registry.nonceOf(vaultId),
            deadline: block.timestamp + 1 hours
        });
    }

    // ---- struct hashes, from the type strings

    function _grantStructHash(IVaultRegistry.Grant memory m) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(bytes(GRANT_TYPE)),
                m.vaultId,
                m.grantee,
                m.scope,
                m.purpose,
                m.expiry,
                m.perQueryApproval,
                m.maxQueries,
                m.nonce,
                m.deadline
            )
        );
    }

    function _grantRequestStructHash(IVaultRegistry.GrantRequest memory m) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(bytes(GRANT_REQUEST_TYPE)),
                m.requestId,
                m.vaultId,
                m.researcher,
                m.scope,
                m.purpose,
                m.expiry,
                m.perQueryApproval,
                m.maxQueries,
                m.nonce,
                m.deadline
            )
        );
    }

    function _revokeStructHash(IVaultRegistry.Revoke memory m) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(bytes(REVOKE_TYPE)), m.vaultId, m.grantee, m.scope, m.nonce, m.deadline));
    }

    function _measurementStructHash(
        string memory typeString,
        uint256 id,
        bytes memory measurement,
        uint256 nonce,
        uint256 deadline
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(bytes(typeString)), id, keccak256(measurement), nonce, deadline));
    }

    function _bindStructHash(IVaultRegistry.BindVaultKey memory m) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(bytes(BIND_VAULT_KEY_TYPE)),
                m.vaultId,
                m.vaultKey,
                keccak256(m.measurement),
                m.nonce,
                m.deadline
            )
        );
    }

    // ---- digests and signatures

    function _domainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(bytes(DOMAIN_TYPE)),
                keccak256(bytes("DNA Vault Registry")),
                keccak256(bytes("1")),
                chainId,
                verifyingContract
            )
        );
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return _digestFor(block.chainid, address(registry), structHash);
    }

    function _digestFor(uint256 chainId, address verifyingContract, bytes32 structHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(chainId, verifyingContract), structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _signGrant(uint256 key, IVaultRegistry.Grant memory m) internal view returns (bytes memory) {
        return _sign(key, _digest(_grantStructHash(m)));
    }

    function _signGrantRequest(uint256 key, IVaultRegistry.GrantRequest memory m) internal view returns (bytes memory) {
        return _sign(key, _digest(_grantRequestStructHash(m)));
    }

    function _signRevoke(uint256 key, IVaultRegistry.Revoke memory m) internal view returns (bytes memory) {
        return _sign(key, _digest(_revokeStructHash(m)));
    }

    /// @dev The same signature with s mirrored into the upper half of the curve order and v flipped: a valid
    /// ECDSA signature of the same digest that EIP-2 forbids.
    function _malleate(bytes memory signature) internal pure returns (bytes memory) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        return abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    // ---- common actions

    function _approveMeasurement(bytes memory measurement) internal {
        vm.prank(owner);
        registry.approveMeasurement(vaultId, measurement);
    }

    function _bindKey() internal {
        _approveMeasurement(MEASUREMENT);
        vm.prank(owner);
        registry.bindVaultKey(vaultId, vaultKey, MEASUREMENT);
    }

    function _grantDirect(address grantee, bytes32 scope, uint64 expiry) internal {
        vm.prank(owner);
        registry.grant(vaultId, grantee, scope, PURPOSE, expiry, false, 0);
    }
}
