// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title DNA Vault registry
/// @notice The public record of DNA vaults: who owns each vault, which SEV-SNP launch measurements the owner
/// approved, which attested key the running vault signs with, which researchers may run which analyses
/// (consent grants), researchers' access requests, and the anchored hashes of every access receipt.
/// @dev Every owner action can be taken directly by the owner or relayed by anyone with the owner's EIP-712
/// signature. Owners may be EOAs or EIP-1271 contract wallets. Signed messages carry the owner's sequential
/// nonce (OpenZeppelin `Nonces`) and a deadline; the EIP-712 domain binds chain id and contract address.
contract VaultRegistry is EIP712, Nonces {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice An owner's consent that `grantee` may run the analysis `scope` on vault `vaultId`.
    /// @param purpose Up to eight GA4GH DUO term numbers, two bytes each, big-endian, left-aligned, zero-padded:
    /// the first is the permission (e.g. 0x0007 for DUO:0000007), the rest are modifiers.
    /// @param expiry Unix time from which the grant no longer allows anything.
    /// @param perQueryApproval Whether every query also needs the owner's live `QueryApproval`.
    struct Grant {
        uint256 vaultId;
        address grantee;
        bytes32 scope;
        bytes16 purpose;
        uint64 expiry;
        bool perQueryApproval;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An owner's revocation of the grant for (`vaultId`, `grantee`, `scope`).
    struct Revoke {
        uint256 vaultId;
        address grantee;
        bytes32 scope;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An owner's approval of a 48-byte SNP launch measurement for a vault: a code update.
    struct ApproveMeasurement {
        uint256 vaultId;
        bytes measurement;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An owner's withdrawal of a previously approved launch measurement.
    struct RevokeMeasurement {
        uint256 vaultId;
        bytes measurement;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An owner's binding of the vault's attested signing key and the measurement it booted with.
    struct BindVaultKey {
        uint256 vaultId;
        address vaultKey;
        bytes measurement;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Off-chain: the owner lets a sealed vault boot. Checked by the vault, never submitted here.
    /// @param bootNonce The fresh nonce of the vault's boot request, bound into its attestation report.
    /// @param wrappedKeyHash keccak256 of the HPKE-wrapped data key that comes with the approval.
    struct BootApproval {
        uint256 vaultId;
        address vaultKey;
        bytes measurement;
        bytes32 bootNonce;
        bytes32 wrappedKeyHash;
        uint256 deadline;
    }

    /// @notice Off-chain: the owner's live approval of one query, for grants that ask for it.
    /// @param requestHash The EIP-712 hash of the researcher's signed query request.
    struct QueryApproval {
        uint256 vaultId;
        bytes32 requestHash;
        uint256 deadline;
    }

    /// @notice What the registry holds about a vault.
    struct VaultInfo {
        address owner;
        address pendingOwner;
        address vaultKey;
        bytes32 keyMeasurementHash;
        string uri;
    }

    /// @notice A stored consent grant; one storage slot.
    struct GrantRecord {
        uint64 expiry;
        bytes16 purpose;
        bool perQueryApproval;
        bool revoked;
    }

    /// @notice The life of an access request.
    enum RequestStatus {
        None,
        Pending,
        Granted,
        Denied,
        Withdrawn,
        Expired
    }

    /// @notice A researcher's stored access request (its protocol hash and URI are in its event).
    struct AccessRequest {
        address researcher;
        uint64 requestedExpiry;
        RequestStatus status;
        bytes16 purpose;
        uint64 vaultId;
        bytes32 scope;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Length in bytes of an SEV-SNP launch measurement (SHA-384).
    uint256 public constant MEASUREMENT_LENGTH = 48;

    /// @dev keccak256("Grant(uint256 vaultId,address grantee,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint256 nonce,uint256 deadline)")
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(uint256 vaultId,address grantee,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint256 nonce,uint256 deadline)"
    );
    /// @dev keccak256("Revoke(uint256 vaultId,address grantee,bytes32 scope,uint256 nonce,uint256 deadline)")
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(uint256 vaultId,address grantee,bytes32 scope,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("ApproveMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)")
    bytes32 public constant APPROVE_MEASUREMENT_TYPEHASH =
        keccak256("ApproveMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("RevokeMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)")
    bytes32 public constant REVOKE_MEASUREMENT_TYPEHASH =
        keccak256("RevokeMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("BindVaultKey(uint256 vaultId,address vaultKey,bytes measurement,uint256 nonce,uint256 deadline)")
    bytes32 public constant BIND_VAULT_KEY_TYPEHASH =
        keccak256("BindVaultKey(uint256 vaultId,address vaultKey,bytes measurement,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("BootApproval(uint256 vaultId,address vaultKey,bytes measurement,bytes32 bootNonce,bytes32 wrappedKeyHash,uint256 deadline)")
    bytes32 public constant BOOT_APPROVAL_TYPEHASH = keccak256(
        "BootApproval(uint256 vaultId,address vaultKey,bytes measurement,bytes32 bootNonce,bytes32 wrappedKeyHash,uint256 deadline)"
    );
    /// @dev keccak256("QueryApproval(uint256 vaultId,bytes32 requestHash,uint256 deadline)")
    bytes32 public constant QUERY_APPROVAL_TYPEHASH =
        keccak256("QueryApproval(uint256 vaultId,bytes32 requestHash,uint256 deadline)");

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice No vault has this id.
    error VaultNotFound(uint256 vaultId);
    /// @notice The caller is not the vault's owner.
    error NotVaultOwner(uint256 vaultId, address caller);
    /// @notice The caller is not the vault's pending owner.
    error NotPendingOwner(uint256 vaultId, address caller);
    /// @notice An address that must be set was zero.
    error ZeroAddress();
    /// @notice The signature is not the vault owner's for this message.
    error InvalidSignature(uint256 vaultId, address owner);
    /// @notice The signed message's deadline has passed.
    error SignatureExpired(uint256 deadline);
    /// @notice A measurement is not 48 bytes long.
    error InvalidMeasurementLength(uint256 length);
    /// @notice The measurement is approved for this vault already.
    error MeasurementAlreadyApproved(uint256 vaultId, bytes32 measurementHash);
    /// @notice The measurement is not approved for this vault.
    error MeasurementNotApproved(uint256 vaultId, bytes32 measurementHash);
    /// @notice An expiry lies in the past, or beyond what the access request asked for.
    error InvalidExpiry(uint64 expiry);
    /// @notice A purpose's first DUO term (its permission) is zero.
    error MissingPurposePermission(bytes16 purpose);
    /// @notice There is no live grant to revoke.
    error GrantNotFound(uint256 vaultId, address grantee, bytes32 scope);
    /// @notice No access request has this id.
    error RequestNotFound(uint256 requestId);
    /// @notice The access request is not pending.
    error RequestNotPending(uint256 requestId, RequestStatus status);
    /// @notice The caller did not file this access request.
    error NotRequester(uint256 requestId, address caller);
    /// @notice The caller is not the vault's bound key, or the key's measurement is no longer approved.
    error NotVaultKey(uint256 vaultId, address caller);
    /// @notice A receipt batch was empty.
    error EmptyReceiptBatch();
    /// @notice This receipt batch is anchored already.
    error ReceiptsAlreadyAnchored(bytes32 batchHash);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A vault was registered.
    event VaultRegistered(uint256 indexed vaultId, address indexed owner, string uri);
    /// @notice A vault's endpoint/metadata URI changed.
    event VaultUriChanged(uint256 indexed vaultId, string uri);
    /// @notice The owner offered the vault to `pendingOwner` (zero: offer withdrawn).
    event VaultOwnershipTransferStarted(uint256 indexed vaultId, address indexed owner, address indexed pendingOwner);
    /// @notice The vault changed owner.
    event VaultOwnershipTransferred(uint256 indexed vaultId, address indexed previousOwner, address indexed newOwner);
    /// @notice The owner approved a launch measurement for the vault.
    event MeasurementApproved(uint256 indexed vaultId, bytes32 indexed measurementHash, bytes measurement);
    /// @notice The owner revoked a launch measurement.
    event MeasurementRevoked(uint256 indexed vaultId, bytes32 indexed measurementHash, bytes measurement);
    /// @notice The owner bound the vault's attested signing key.
    event VaultKeyBound(uint256 indexed vaultId, address indexed vaultKey, bytes32 indexed measurementHash);
    /// @notice The owner unbound the vault's signing key.
    event VaultKeyUnbound(uint256 indexed vaultId, address indexed vaultKey);
    /// @notice The owner granted (or renewed) consent.
    event Granted(
        uint256 indexed vaultId,
        address indexed grantee,
        bytes32 indexed scope,
        bytes16 purpose,
        uint64 expiry,
        bool perQueryApproval
    );
    /// @notice The owner revoked consent.
    event GrantRevoked(uint256 indexed vaultId, address indexed grantee, bytes32 indexed scope);
    /// @notice A researcher filed an access request.
    event AccessRequested(
        uint256 indexed requestId,
        uint256 indexed vaultId,
        address indexed researcher,
        bytes32 scope,
        bytes16 purpose,
        uint64 requestedExpiry,
        bytes32 protocolHash,
        string protocolUri
    );
    /// @notice The owner granted an access request.
    event AccessRequestGranted(uint256 indexed requestId);
    /// @notice The owner denied an access request.
    event AccessRequestDenied(uint256 indexed requestId);
    /// @notice The researcher withdrew an access request.
    event AccessRequestWithdrawn(uint256 indexed requestId);
    /// @notice The vault's bound key anchored a batch of access receipt hashes.
    event ReceiptsAnchored(uint256 indexed vaultId, bytes32 indexed batchHash, bytes32[] receiptHashes);

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    uint256 private _vaultCount;
    uint256 private _requestCount;
    mapping(uint256 vaultId => VaultInfo) private _vaults;
    mapping(uint256 vaultId => mapping(bytes32 measurementHash => bool)) private _approvedMeasurements;
    mapping(uint256 vaultId => mapping(address grantee => mapping(bytes32 scope => GrantRecord))) private _grants;
    mapping(uint256 requestId => AccessRequest) private _requests;
    mapping(bytes32 batchHash => uint256 blockNumber) private _anchoredAt;

    constructor() EIP712("DNA Vault Registry", "1") {}

    /*//////////////////////////////////////////////////////////////
                                 VAULTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers a vault owned by the caller.
    /// @param uri Where the vault is reached, or its metadata.
    /// @return vaultId The new vault's id, counting from 1.
    function registerVault(string calldata uri) external returns (uint256 vaultId) {
        vaultId = ++_vaultCount;
        VaultInfo storage v = _vaults[vaultId];
        v.owner = msg.sender;
        v.uri = uri;
        emit VaultRegistered({vaultId: vaultId, owner: msg.sender, uri: uri});
    }

    /// @notice Changes the vault's endpoint/metadata URI. Owner only.
    function setVaultUri(uint256 vaultId, string calldata uri) external {
        _onlyOwner(vaultId);
        _vaults[vaultId].uri = uri;
        emit VaultUriChanged({vaultId: vaultId, uri: uri});
    }

    /// @notice Offers the vault to `newOwner`, who must accept; zero withdraws the offer. Owner only.
    function transferVaultOwnership(uint256 vaultId, address newOwner) external {
        _onlyOwner(vaultId);
        _vaults[vaultId].pendingOwner = newOwner;
        emit VaultOwnershipTransferStarted({vaultId: vaultId, owner: msg.sender, pendingOwner: newOwner});
    }

    /// @notice Accepts a vault offered to the caller. Grants and approved measurements stay with the vault.
    function acceptVaultOwnership(uint256 vaultId) external {
        VaultInfo storage v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        if (v.pendingOwner != msg.sender) revert NotPendingOwner(vaultId, msg.sender);
        address previousOwner = v.owner;
        v.owner = msg.sender;
        v.pendingOwner = address(0);
        emit VaultOwnershipTransferred({vaultId: vaultId, previousOwner: previousOwner, newOwner: msg.sender});
    }

    /// @notice Everything the registry holds about a vault.
    function vault(uint256 vaultId) external view returns (VaultInfo memory) {
        VaultInfo memory v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        return v;
    }

    /// @notice The vault's owner; reverts for an unknown vault.
    function ownerOf(uint256 vaultId) external view returns (address) {
        return _ownerOf(vaultId);
    }

    /// @notice How many vaults exist; ids run from 1 to this.
    function vaultCount() external view returns (uint256) {
        return _vaultCount;
    }

    /*//////////////////////////////////////////////////////////////
                              MEASUREMENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Approves a launch measurement for the vault (a code update). Owner only.
    function approveMeasurement(uint256 vaultId, bytes calldata measurement) external {
        _onlyOwner(vaultId);
        _approveMeasurement(vaultId, measurement);
    }

    /// @notice Approves a launch measurement with the owner's `ApproveMeasurement` signature; anyone may relay.
    function approveMeasurementWithSig(ApproveMeasurement calldata message, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(
                APPROVE_MEASUREMENT_TYPEHASH,
                message.vaultId,
                keccak256(message.measurement),
                message.nonce,
                message.deadline
            )
        );
        _consumeOwnerSignature(message.vaultId, structHash, message.nonce, message.deadline, signature);
        _approveMeasurement(message.vaultId, message.measurement);
    }

    /// @notice Revokes an approved launch measurement; a key bound with it can no longer anchor receipts.
    function revokeMeasurement(uint256 vaultId, bytes calldata measurement) external {
        _onlyOwner(vaultId);
        _revokeMeasurement(vaultId, measurement);
    }

    /// @notice Revokes a launch measurement with the owner's `RevokeMeasurement` signature; anyone may relay.
    function revokeMeasurementWithSig(RevokeMeasurement calldata message, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(
                REVOKE_MEASUREMENT_TYPEHASH,
                message.vaultId,
                keccak256(message.measurement),
                message.nonce,
                message.deadline
            )
        );
        _consumeOwnerSignature(message.vaultId, structHash, message.nonce, message.deadline, signature);
        _revokeMeasurement(message.vaultId, message.measurement);
    }

    /// @notice Whether the owner currently approves this launch measurement for the vault.
    function isMeasurementApproved(uint256 vaultId, bytes calldata measurement) external view returns (bool) {
        return _approvedMeasurements[vaultId][keccak256(measurement)];
    }

    /*//////////////////////////////////////////////////////////////
                               VAULT KEY
    //////////////////////////////////////////////////////////////*/

    /// @notice Binds the attested signing key of a booted vault and the approved measurement it booted with.
    function bindVaultKey(uint256 vaultId, address vaultKey, bytes calldata measurement) external {
        _onlyOwner(vaultId);
        _bindVaultKey(vaultId, vaultKey, measurement);
    }

    /// @notice Binds a vault key with the owner's `BindVaultKey` signature; anyone may relay.
    function bindVaultKeyWithSig(BindVaultKey calldata message, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(
                BIND_VAULT_KEY_TYPEHASH,
                message.vaultId,
                message.vaultKey,
                keccak256(message.measurement),
                message.nonce,
                message.deadline
            )
        );
        _consumeOwnerSignature(message.vaultId, structHash, message.nonce, message.deadline, signature);
        _bindVaultKey(message.vaultId, message.vaultKey, message.measurement);
    }

    /// @notice Unbinds the vault's signing key (e.g. when the vault is shut down). Owner only.
    function unbindVaultKey(uint256 vaultId) external {
        _onlyOwner(vaultId);
        VaultInfo storage v = _vaults[vaultId];
        address vaultKey = v.vaultKey;
        if (vaultKey == address(0)) revert NotVaultKey(vaultId, address(0));
        v.vaultKey = address(0);
        v.keyMeasurementHash = bytes32(0);
        emit VaultKeyUnbound({vaultId: vaultId, vaultKey: vaultKey});
    }

    /// @notice Whether `account` is the vault's bound key and its boot measurement is still approved.
    function isActiveVaultKey(uint256 vaultId, address account) public view returns (bool) {
        VaultInfo storage v = _vaults[vaultId];
        return account != address(0) && v.vaultKey == account && _approvedMeasurements[vaultId][v.keyMeasurementHash];
    }

    /*//////////////////////////////////////////////////////////////
                                 GRANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Grants (or renews) consent directly. Owner only.
    function grant(
        uint256 vaultId,
        address grantee,
        bytes32 scope,
        bytes16 purpose,
        uint64 expiry,
        bool perQueryApproval
    ) external {
        _onlyOwner(vaultId);
        _grant(vaultId, grantee, scope, purpose, expiry, perQueryApproval);
    }

    /// @notice Grants consent with the owner's `Grant` signature; anyone (typically the grantee) may relay.
    function grantWithSig(Grant calldata message, bytes calldata signature) external {
        bytes32 structHash = keccak256(abi.encode(GRANT_TYPEHASH, message));
        _consumeOwnerSignature(message.vaultId, structHash, message.nonce, message.deadline, signature);
        _grant(
            message.vaultId, message.grantee, message.scope, message.purpose, message.expiry, message.perQueryApproval
        );
    }

    /// @notice Revokes consent; it stops allowing anything from this block on. Owner only.
    function revoke(uint256 vaultId, address grantee, bytes32 scope) external {
        _onlyOwner(vaultId);
        _revoke(vaultId, grantee, scope);
    }

    /// @notice Revokes consent with the owner's `Revoke` signature; anyone may relay.
    function revokeWithSig(Revoke calldata message, bytes calldata signature) external {
        bytes32 structHash = keccak256(abi.encode(REVOKE_TYPEHASH, message));
        _consumeOwnerSignature(message.vaultId, structHash, message.nonce, message.deadline, signature);
        _revoke(message.vaultId, message.grantee, message.scope);
    }

    /// @notice Whether `grantee` may run `scope` on the vault now: granted, not revoked, not expired.
    /// @dev A grant with `perQueryApproval` additionally needs the owner's live approval of each query.
    function isAllowed(uint256 vaultId, address grantee, bytes32 scope) external view returns (bool) {
        GrantRecord storage g = _grants[vaultId][grantee][scope];
        return !g.revoked && block.timestamp < g.expiry;
    }

    /// @notice The stored grant for (vault, grantee, scope); all zero if none was ever given.
    function grantOf(uint256 vaultId, address grantee, bytes32 scope) external view returns (GrantRecord memory) {
        return _grants[vaultId][grantee][scope];
    }

    /*//////////////////////////////////////////////////////////////
                            ACCESS REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Files a researcher's request for access to a vault; pending until answered, withdrawn or expired.
    /// @param requestedExpiry When the requested grant would end; the request itself expires then too.
    /// @param protocolHash The hash of the research protocol document at `protocolUri`.
    /// @return requestId The new request's id, counting from 1.
    function requestAccess(
        uint256 vaultId,
        bytes32 scope,
        bytes16 purpose,
        uint64 requestedExpiry,
        bytes32 protocolHash,
        string calldata protocolUri
    ) external returns (uint256 requestId) {
        _ownerOf(vaultId);
        _checkPurpose(purpose);
        if (requestedExpiry <= block.timestamp) revert InvalidExpiry(requestedExpiry);
        requestId = ++_requestCount;
        _requests[requestId] = AccessRequest({
            researcher: msg.sender,
            requestedExpiry: requestedExpiry,
            status: RequestStatus.Pending,
            purpose: purpose,
            // forge-lint: disable-next-line(unsafe-typecast) -- ids count from 1 and _ownerOf proved this one exists
            vaultId: uint64(vaultId),
            scope: scope
        });
        emit AccessRequested({
            requestId: requestId,
            vaultId: vaultId,
            researcher: msg.sender,
            scope: scope,
            purpose: purpose,
            requestedExpiry: requestedExpiry,
            protocolHash: protocolHash,
            protocolUri: protocolUri
        });
    }

    /// @notice Grants a pending request as asked, with an expiry no later than requested. Owner only.
    function grantRequest(uint256 requestId, uint64 expiry, bool perQueryApproval) external {
        AccessRequest storage r = _pendingRequest(requestId);
        _onlyOwner(r.vaultId);
        if (expiry > r.requestedExpiry) revert InvalidExpiry(expiry);
        r.status = RequestStatus.Granted;
        _grant(r.vaultId, r.researcher, r.scope, r.purpose, expiry, perQueryApproval);
        emit AccessRequestGranted({requestId: requestId});
    }

    /// @notice Denies a pending request. Owner only.
    function denyRequest(uint256 requestId) external {
        AccessRequest storage r = _pendingRequest(requestId);
        _onlyOwner(r.vaultId);
        r.status = RequestStatus.Denied;
        emit AccessRequestDenied({requestId: requestId});
    }

    /// @notice Withdraws a pending request. Its researcher only.
    function withdrawRequest(uint256 requestId) external {
        AccessRequest storage r = _pendingRequest(requestId);
        if (r.researcher != msg.sender) revert NotRequester(requestId, msg.sender);
        r.status = RequestStatus.Withdrawn;
        emit AccessRequestWithdrawn({requestId: requestId});
    }

    /// @notice A stored access request, with its status as of now (a pending one past its expiry is Expired).
    function accessRequest(uint256 requestId) external view returns (AccessRequest memory request) {
        request = _requests[requestId];
        if (request.status == RequestStatus.None) revert RequestNotFound(requestId);
        request.status = _statusNow(request);
    }

    /*//////////////////////////////////////////////////////////////
                                RECEIPTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Anchors one access receipt hash. The vault's active bound key only.
    function anchorReceipt(uint256 vaultId, bytes32 receiptHash) external returns (bytes32 batchHash) {
        bytes32[] memory receiptHashes = new bytes32[](1);
        receiptHashes[0] = receiptHash;
        return _anchorReceipts(vaultId, receiptHashes);
    }

    /// @notice Anchors a batch of access receipt hashes. The vault's active bound key only.
    /// @return batchHash keccak256(abi.encode(vaultId, receiptHashes)), the key of `anchoredAt`.
    function anchorReceipts(uint256 vaultId, bytes32[] calldata receiptHashes) external returns (bytes32 batchHash) {
        return _anchorReceipts(vaultId, receiptHashes);
    }

    /// @notice The block a receipt batch was anchored in; zero if never.
    function anchoredAt(bytes32 batchHash) external view returns (uint256) {
        return _anchoredAt[batchHash];
    }

    /*//////////////////////////////////////////////////////////////
                           SIGNED MESSAGE HASHES
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashGrant(Grant calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(GRANT_TYPEHASH, message)));
    }

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashRevoke(Revoke calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REVOKE_TYPEHASH, message)));
    }

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashApproveMeasurement(ApproveMeasurement calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    APPROVE_MEASUREMENT_TYPEHASH,
                    message.vaultId,
                    keccak256(message.measurement),
                    message.nonce,
                    message.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashRevokeMeasurement(RevokeMeasurement calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    REVOKE_MEASUREMENT_TYPEHASH,
                    message.vaultId,
                    keccak256(message.measurement),
                    message.nonce,
                    message.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashBindVaultKey(BindVaultKey calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    BIND_VAULT_KEY_TYPEHASH,
                    message.vaultId,
                    message.vaultKey,
                    keccak256(message.measurement),
                    message.nonce,
                    message.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashBootApproval(BootApproval calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    BOOT_APPROVAL_TYPEHASH,
                    message.vaultId,
                    message.vaultKey,
                    keccak256(message.measurement),
                    message.bootNonce,
                    message.wrappedKeyHash,
                    message.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 digest an owner signs for `message`.
    function hashQueryApproval(QueryApproval calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(QUERY_APPROVAL_TYPEHASH, message)));
    }

    /// @notice Whether `signature` is the vault owner's (EOA or EIP-1271 wallet) over `digest`.
    /// @dev For off-chain approvals (boot, per-query) that a vault verifies against the current owner.
    function isOwnerSignature(uint256 vaultId, bytes32 digest, bytes calldata signature) external view returns (bool) {
        return SignatureChecker.isValidSignatureNowCalldata(_ownerOf(vaultId), digest, signature);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _ownerOf(uint256 vaultId) private view returns (address owner) {
        owner = _vaults[vaultId].owner;
        if (owner == address(0)) revert VaultNotFound(vaultId);
    }

    function _onlyOwner(uint256 vaultId) private view {
        if (_ownerOf(vaultId) != msg.sender) revert NotVaultOwner(vaultId, msg.sender);
    }

    /// @dev Checks the deadline, consumes the owner's nonce and verifies the owner's signature over the message.
    function _consumeOwnerSignature(
        uint256 vaultId,
        bytes32 structHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        address owner = _ownerOf(vaultId);
        _useCheckedNonce(owner, nonce);
        if (!SignatureChecker.isValidSignatureNowCalldata(owner, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature(vaultId, owner);
        }
    }

    function _approveMeasurement(uint256 vaultId, bytes calldata measurement) private {
        bytes32 measurementHash = _measurementHash(measurement);
        if (_approvedMeasurements[vaultId][measurementHash]) {
            revert MeasurementAlreadyApproved(vaultId, measurementHash);
        }
        _approvedMeasurements[vaultId][measurementHash] = true;
        emit MeasurementApproved({vaultId: vaultId, measurementHash: measurementHash, measurement: measurement});
    }

    function _revokeMeasurement(uint256 vaultId, bytes calldata measurement) private {
        bytes32 measurementHash = _measurementHash(measurement);
        if (!_approvedMeasurements[vaultId][measurementHash]) revert MeasurementNotApproved(vaultId, measurementHash);
        _approvedMeasurements[vaultId][measurementHash] = false;
        emit MeasurementRevoked({vaultId: vaultId, measurementHash: measurementHash, measurement: measurement});
    }

    function _bindVaultKey(uint256 vaultId, address vaultKey, bytes calldata measurement) private {
        if (vaultKey == address(0)) revert ZeroAddress();
        bytes32 measurementHash = _measurementHash(measurement);
        if (!_approvedMeasurements[vaultId][measurementHash]) revert MeasurementNotApproved(vaultId, measurementHash);
        VaultInfo storage v = _vaults[vaultId];
        v.vaultKey = vaultKey;
        v.keyMeasurementHash = measurementHash;
        emit VaultKeyBound({vaultId: vaultId, vaultKey: vaultKey, measurementHash: measurementHash});
    }

    function _measurementHash(bytes calldata measurement) private pure returns (bytes32) {
        if (measurement.length != MEASUREMENT_LENGTH) revert InvalidMeasurementLength(measurement.length);
        return keccak256(measurement);
    }

    function _grant(
        uint256 vaultId,
        address grantee,
        bytes32 scope,
        bytes16 purpose,
        uint64 expiry,
        bool perQueryApproval
    ) private {
        if (grantee == address(0)) revert ZeroAddress();
        _checkPurpose(purpose);
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        _grants[vaultId][grantee][scope] =
            GrantRecord({expiry: expiry, purpose: purpose, perQueryApproval: perQueryApproval, revoked: false});
        emit Granted({
            vaultId: vaultId,
            grantee: grantee,
            scope: scope,
            purpose: purpose,
            expiry: expiry,
            perQueryApproval: perQueryApproval
        });
    }

    function _checkPurpose(bytes16 purpose) private pure {
        // forge-lint: disable-next-line(unsafe-typecast) -- deliberately the first DUO term, the permission
        if (bytes2(purpose) == bytes2(0)) revert MissingPurposePermission(purpose);
    }

    function _revoke(uint256 vaultId, address grantee, bytes32 scope) private {
        GrantRecord storage g = _grants[vaultId][grantee][scope];
        if (g.expiry == 0 || g.revoked) revert GrantNotFound(vaultId, grantee, scope);
        g.revoked = true;
        emit GrantRevoked({vaultId: vaultId, grantee: grantee, scope: scope});
    }

    function _pendingRequest(uint256 requestId) private view returns (AccessRequest storage r) {
        r = _requests[requestId];
        RequestStatus status = _statusNow(r);
        if (status == RequestStatus.None) revert RequestNotFound(requestId);
        if (status != RequestStatus.Pending) revert RequestNotPending(requestId, status);
    }

    function _statusNow(AccessRequest memory r) private view returns (RequestStatus) {
        if (r.status == RequestStatus.Pending && block.timestamp >= r.requestedExpiry) return RequestStatus.Expired;
        return r.status;
    }

    function _anchorReceipts(uint256 vaultId, bytes32[] memory receiptHashes) private returns (bytes32 batchHash) {
        if (!isActiveVaultKey(vaultId, msg.sender)) revert NotVaultKey(vaultId, msg.sender);
        if (receiptHashes.length == 0) revert EmptyReceiptBatch();
        batchHash = keccak256(abi.encode(vaultId, receiptHashes));
        if (_anchoredAt[batchHash] != 0) revert ReceiptsAlreadyAnchored(batchHash);
        _anchoredAt[batchHash] = block.number;
        emit ReceiptsAnchored({vaultId: vaultId, batchHash: batchHash, receiptHashes: receiptHashes});
    }
}
