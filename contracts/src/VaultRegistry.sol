// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IVaultRegistry} from "./IVaultRegistry.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title DNA Vault registry
/// @notice The public record of DNA vaults: who owns each vault, which SEV-SNP launch measurements the owner
/// approved, which attested key the running vault signs with, which researchers may run which analyses
/// (consent grants), researchers' access requests, and the anchored hashes of every access receipt.
/// @dev Every owner action can be taken directly by the owner or relayed by anyone with the owner's EIP-712
/// signature. Owners may be EOAs or EIP-1271 contract wallets. Signed messages carry the vault's sequential
/// nonce (the owner may cancel unused ones) and a deadline; the EIP-712 domain binds chain id and contract
/// address. Types, errors, events and the functions' documentation are in `IVaultRegistry`.
contract VaultRegistry is IVaultRegistry, EIP712 {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Length in bytes of an SEV-SNP launch measurement (SHA-384).
    uint256 public constant MEASUREMENT_LENGTH = 48;

    /// @dev keccak256("Grant(uint256 vaultId,address grantee,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)")
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(uint256 vaultId,address grantee,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)"
    );
    /// @dev keccak256("Revoke(uint256 vaultId,address grantee,bytes32 scope,uint256 nonce,uint256 deadline)")
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(uint256 vaultId,address grantee,bytes32 scope,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("GrantRequest(uint256 requestId,uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)")
    bytes32 public constant GRANT_REQUEST_TYPEHASH = keccak256(
        "GrantRequest(uint256 requestId,uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)"
    );
    /// @dev keccak256("ApproveMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)")
    bytes32 public constant APPROVE_MEASUREMENT_TYPEHASH =
        keccak256("ApproveMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("RevokeMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)")
    bytes32 public constant REVOKE_MEASUREMENT_TYPEHASH =
        keccak256("RevokeMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("ApproveTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)")
    bytes32 public constant APPROVE_TOOL_TYPEHASH =
        keccak256("ApproveTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("RevokeTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)")
    bytes32 public constant REVOKE_TOOL_TYPEHASH =
        keccak256("RevokeTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("BindVaultKey(uint256 vaultId,address vaultKey,bytes measurement,uint256 nonce,uint256 deadline)")
    bytes32 public constant BIND_VAULT_KEY_TYPEHASH =
        keccak256("BindVaultKey(uint256 vaultId,address vaultKey,bytes measurement,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("BootApproval(uint256 vaultId,address vaultKey,bytes measurement,bytes32 chainView,bytes32 bootNonce,bytes32 wrappedKeyHash,uint256 deadline)")
    bytes32 public constant BOOT_APPROVAL_TYPEHASH = keccak256(
        "BootApproval(uint256 vaultId,address vaultKey,bytes measurement,bytes32 chainView,bytes32 bootNonce,bytes32 wrappedKeyHash,uint256 deadline)"
    );
    /// @dev keccak256("QueryApproval(uint256 vaultId,bytes32 requestHash,uint256 deadline)")
    bytes32 public constant QUERY_APPROVAL_TYPEHASH =
        keccak256("QueryApproval(uint256 vaultId,bytes32 requestHash,uint256 deadline)");
    /// @dev keccak256("QueryRequest(uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,bytes32 queryHash,bytes32 recipientKey,bytes32 nonce,uint256 deadline)")
    bytes32 public constant QUERY_REQUEST_TYPEHASH = keccak256(
        "QueryRequest(uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,bytes32 queryHash,bytes32 recipientKey,bytes32 nonce,uint256 deadline)"
    );
    /// @dev keccak256("QueryReceipt(uint256 vaultId,bytes32 requestHash,bytes32 resultHash,bytes16 purpose,uint256 consentBlock,uint64 issuedAt)")
    bytes32 public constant QUERY_RECEIPT_TYPEHASH = keccak256(
        "QueryReceipt(uint256 vaultId,bytes32 requestHash,bytes32 resultHash,bytes16 purpose,uint256 consentBlock,uint64 issuedAt)"
    );
    /// @dev keccak256("UploadApproval(uint256 vaultId,string objectId,bytes32 contentSha256,uint64 size,bytes32 nonce,uint256 deadline)")
    bytes32 public constant UPLOAD_APPROVAL_TYPEHASH = keccak256(
        "UploadApproval(uint256 vaultId,string objectId,bytes32 contentSha256,uint64 size,bytes32 nonce,uint256 deadline)"
    );
    /// @dev keccak256("OwnerRead(uint256 vaultId,string what,bytes32 recipientKey,uint256 deadline)")
    bytes32 public constant OWNER_READ_TYPEHASH =
        keccak256("OwnerRead(uint256 vaultId,string what,bytes32 recipientKey,uint256 deadline)");

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
    mapping(uint256 vaultId => uint256 nonce) private _nonces;
    mapping(uint256 vaultId => AuditHead) private _auditHeads;
    mapping(uint256 vaultId => mapping(bytes32 tool => bool)) private _approvedTools;

    constructor() EIP712("DNA Vault Registry", "1") {}

    /*//////////////////////////////////////////////////////////////
                                 VAULTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function registerVault(string calldata uri) external returns (uint256 vaultId) {
        vaultId = ++_vaultCount;
        VaultInfo storage v = _vaults[vaultId];
        v.owner = msg.sender;
        v.uri = uri;
        emit VaultRegistered({vaultId: vaultId, owner: msg.sender, uri: uri});
    }

    /// @inheritdoc IVaultRegistry
    function setVaultUri(uint256 vaultId, string calldata uri) external {
        _onlyOwner(vaultId);
        _vaults[vaultId].uri = uri;
        emit VaultUriChanged({vaultId: vaultId, uri: uri});
    }

    /// @inheritdoc IVaultRegistry
    function transferVaultOwnership(uint256 vaultId, address newOwner) external {
        _onlyOwner(vaultId);
        _vaults[vaultId].pendingOwner = newOwner;
        emit VaultOwnershipTransferStarted({vaultId: vaultId, owner: msg.sender, pendingOwner: newOwner});
    }

    /// @inheritdoc IVaultRegistry
    function acceptVaultOwnership(uint256 vaultId) external {
        VaultInfo storage v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        if (v.pendingOwner != msg.sender) revert NotPendingOwner(vaultId, msg.sender);
        address previousOwner = v.owner;
        v.owner = msg.sender;
        v.pendingOwner = address(0);
        // Every grant the previous owner made ends (checked: the 65,536th transfer of one vault reverts).
        ++v.epoch;
        emit VaultOwnershipTransferred({vaultId: vaultId, previousOwner: previousOwner, newOwner: msg.sender});
        // The running vault was booted for the previous owner: the new owner binds a key of their own boot,
        // whose audit log is chained under the new owner's key.
        _unbindKey(vaultId, v);
        delete _auditHeads[vaultId];
    }

    /// @inheritdoc IVaultRegistry
    function vault(uint256 vaultId) external view returns (VaultInfo memory) {
        VaultInfo memory v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        return v;
    }

    /// @inheritdoc IVaultRegistry
    function ownerOf(uint256 vaultId) external view returns (address) {
        return _ownerOf(vaultId);
    }

    /// @inheritdoc IVaultRegistry
    function vaultCount() external view returns (uint256) {
        return _vaultCount;
    }

    /*//////////////////////////////////////////////////////////////
                              MEASUREMENTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function approveMeasurement(uint256 vaultId, bytes calldata measurement) external {
        _onlyOwner(vaultId);
        _approveMeasurement(vaultId, measurement);
    }

    /// @inheritdoc IVaultRegistry
    function approveMeasurementWithSig(ApproveMeasurement calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _approveMeasurement(message.vaultId, message.measurement);
    }

    /// @inheritdoc IVaultRegistry
    function revokeMeasurement(uint256 vaultId, bytes calldata measurement) external {
        _onlyOwner(vaultId);
        _revokeMeasurement(vaultId, measurement);
    }

    /// @inheritdoc IVaultRegistry
    function revokeMeasurementWithSig(RevokeMeasurement calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _revokeMeasurement(message.vaultId, message.measurement);
    }

    /// @inheritdoc IVaultRegistry
    function isMeasurementApproved(uint256 vaultId, bytes calldata measurement) external view returns (bool) {
        return _approvedMeasurements[vaultId][keccak256(measurement)];
    }

    /*//////////////////////////////////////////////////////////////
                                 TOOLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function approveTool(uint256 vaultId, bytes32 tool) external {
        _onlyOwner(vaultId);
        _approveTool(vaultId, tool);
    }

    /// @inheritdoc IVaultRegistry
    function approveToolWithSig(ApproveTool calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _approveTool(message.vaultId, message.tool);
    }

    /// @inheritdoc IVaultRegistry
    function revokeTool(uint256 vaultId, bytes32 tool) external {
        _onlyOwner(vaultId);
        _revokeTool(vaultId, tool);
    }

    /// @inheritdoc IVaultRegistry
    function revokeToolWithSig(RevokeTool calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _revokeTool(message.vaultId, message.tool);
    }

    /// @inheritdoc IVaultRegistry
    function isToolApproved(uint256 vaultId, bytes32 tool) external view returns (bool) {
        return _approvedTools[vaultId][tool];
    }

    /*//////////////////////////////////////////////////////////////
                               VAULT KEY
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function bindVaultKey(uint256 vaultId, address vaultKey, bytes calldata measurement) external {
        _onlyOwner(vaultId);
        _bindVaultKey(vaultId, vaultKey, measurement);
    }

    /// @inheritdoc IVaultRegistry
    function bindVaultKeyWithSig(BindVaultKey calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _bindVaultKey(message.vaultId, message.vaultKey, message.measurement);
    }

    /// @inheritdoc IVaultRegistry
    function unbindVaultKey(uint256 vaultId) external {
        _onlyOwner(vaultId);
        VaultInfo storage v = _vaults[vaultId];
        if (v.vaultKey == address(0)) revert NotVaultKey(vaultId, address(0));
        _unbindKey(vaultId, v);
    }

    /// @inheritdoc IVaultRegistry
    function isActiveVaultKey(uint256 vaultId, address account) public view returns (bool) {
        VaultInfo storage v = _vaults[vaultId];
        return account != address(0) && v.vaultKey == account && _approvedMeasurements[vaultId][v.keyMeasurementHash];
    }

    /*//////////////////////////////////////////////////////////////
                                 GRANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function grant(
        uint256 vaultId,
        address grantee,
        bytes32 scope,
        bytes16 purpose,
        uint64 expiry,
        bool perQueryApproval,
        uint32 maxQueries
    ) external {
        _onlyOwner(vaultId);
        _grant(vaultId, grantee, scope, purpose, expiry, perQueryApproval, maxQueries);
    }

    /// @inheritdoc IVaultRegistry
    function grantWithSig(Grant calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _grant(
            message.vaultId,
            message.grantee,
            message.scope,
            message.purpose,
            message.expiry,
            message.perQueryApproval,
            message.maxQueries
        );
    }

    /// @inheritdoc IVaultRegistry
    function revoke(uint256 vaultId, address grantee, bytes32 scope) external {
        _onlyOwner(vaultId);
        _revoke(vaultId, grantee, scope);
    }

    /// @inheritdoc IVaultRegistry
    function revokeWithSig(Revoke calldata message, bytes calldata signature) external {
        _consumeOwnerSignature(message.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _revoke(message.vaultId, message.grantee, message.scope);
    }

    /// @inheritdoc IVaultRegistry
    function isAllowed(uint256 vaultId, address grantee, bytes32 scope) external view returns (bool) {
        GrantRecord storage g = _grants[vaultId][grantee][scope];
        return !g.revoked && block.timestamp < g.expiry && g.epoch == _vaults[vaultId].epoch;
    }

    /// @inheritdoc IVaultRegistry
    function grantOf(uint256 vaultId, address grantee, bytes32 scope) external view returns (GrantRecord memory) {
        return _grants[vaultId][grantee][scope];
    }

    /*//////////////////////////////////////////////////////////////
                            ACCESS REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function requestAccess(
        uint256 vaultId,
        bytes32 scope,
        bytes16 purpose,
        uint64 requestedExpiry,
        bytes32 protocolHash,
        string calldata protocolUri,
        string calldata descriptor
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
            protocolUri: protocolUri,
            descriptor: descriptor
        });
    }

    /// @inheritdoc IVaultRegistry
    function grantRequest(uint256 requestId, uint64 expiry, bool perQueryApproval, uint32 maxQueries) external {
        AccessRequest storage r = _pendingRequest(requestId);
        _onlyOwner(r.vaultId);
        _grantRequest(r, requestId, expiry, perQueryApproval, maxQueries);
    }

    /// @inheritdoc IVaultRegistry
    function grantRequestWithSig(GrantRequest calldata message, bytes calldata signature) external {
        AccessRequest storage r = _pendingRequest(message.requestId);
        if (
            r.vaultId != message.vaultId || r.researcher != message.researcher || r.scope != message.scope
                || r.purpose != message.purpose
        ) revert RequestMismatch(message.requestId);
        _consumeOwnerSignature(r.vaultId, _structHash(message), message.nonce, message.deadline, signature);
        _grantRequest(r, message.requestId, message.expiry, message.perQueryApproval, message.maxQueries);
    }

    /// @inheritdoc IVaultRegistry
    function denyRequest(uint256 requestId) external {
        AccessRequest storage r = _pendingRequest(requestId);
        _onlyOwner(r.vaultId);
        r.status = RequestStatus.Denied;
        emit AccessRequestDenied({requestId: requestId});
    }

    /// @inheritdoc IVaultRegistry
    function withdrawRequest(uint256 requestId) external {
        AccessRequest storage r = _pendingRequest(requestId);
        if (r.researcher != msg.sender) revert NotRequester(requestId, msg.sender);
        r.status = RequestStatus.Withdrawn;
        emit AccessRequestWithdrawn({requestId: requestId});
    }

    /// @inheritdoc IVaultRegistry
    function accessRequest(uint256 requestId) external view returns (AccessRequest memory request) {
        request = _requests[requestId];
        if (request.status == RequestStatus.None) revert RequestNotFound(requestId);
        request.status = _statusNow(request);
    }

    /*//////////////////////////////////////////////////////////////
                                RECEIPTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function anchorReceipts(uint256 vaultId, bytes32[] calldata receiptHashes, AuditHead calldata auditHead)
        external
        returns (bytes32 batchHash)
    {
        if (!isActiveVaultKey(vaultId, msg.sender)) revert NotVaultKey(vaultId, msg.sender);
        if (receiptHashes.length == 0) revert EmptyReceiptBatch();
        batchHash = keccak256(abi.encode(vaultId, receiptHashes));
        if (_anchoredAt[batchHash] != 0) revert ReceiptsAlreadyAnchored(batchHash);
        _anchoredAt[batchHash] = block.number;
        emit ReceiptsAnchored({vaultId: vaultId, batchHash: batchHash, receiptHashes: receiptHashes});
        _anchorAuditHead(vaultId, auditHead);
    }

    /// @inheritdoc IVaultRegistry
    function anchorAuditHead(uint256 vaultId, AuditHead calldata auditHead) external {
        if (!isActiveVaultKey(vaultId, msg.sender)) revert NotVaultKey(vaultId, msg.sender);
        _anchorAuditHead(vaultId, auditHead);
    }

    /// @inheritdoc IVaultRegistry
    function auditHeadOf(uint256 vaultId) external view returns (AuditHead memory) {
        return _auditHeads[vaultId];
    }

    /// @inheritdoc IVaultRegistry
    function anchoredAt(bytes32 batchHash) external view returns (uint256) {
        return _anchoredAt[batchHash];
    }

    /*//////////////////////////////////////////////////////////////
                           SIGNED MESSAGE HASHES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVaultRegistry
    function hashGrant(Grant calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashRevoke(Revoke calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashGrantRequest(GrantRequest calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashApproveMeasurement(ApproveMeasurement calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashRevokeMeasurement(RevokeMeasurement calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashApproveTool(ApproveTool calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashRevokeTool(RevokeTool calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashBindVaultKey(BindVaultKey calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashBootApproval(BootApproval calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashQueryApproval(QueryApproval calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashQueryRequest(QueryRequest calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashQueryReceipt(QueryReceipt calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashUploadApproval(UploadApproval calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function hashOwnerRead(OwnerRead calldata message) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(message));
    }

    /// @inheritdoc IVaultRegistry
    function nonceOf(uint256 vaultId) external view returns (uint256) {
        return _nonces[vaultId];
    }

    /// @inheritdoc IVaultRegistry
    function cancelNonces(uint256 vaultId, uint256 nonce) external {
        _onlyOwner(vaultId);
        uint256 current = _nonces[vaultId];
        if (nonce <= current) revert InvalidNonce(vaultId, current);
        _nonces[vaultId] = nonce;
        emit NoncesCancelled({vaultId: vaultId, nonce: nonce});
    }

    /// @inheritdoc IVaultRegistry
    function isOwnerSignature(uint256 vaultId, bytes32 digest, bytes calldata signature) external view returns (bool) {
        return SignatureChecker.isValidSignatureNowCalldata(_ownerOf(vaultId), digest, signature);
    }

    /*//////////////////////////////////////////////////////////////
                              STRUCT HASHES
    //////////////////////////////////////////////////////////////*/

    // Each message's EIP-712 struct hash, written once: the `...WithSig` functions and the `hash...` views use
    // these. Static fields are encoded as they are; `bytes` and `string` fields by their keccak256.

    function _structHash(Grant calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(GRANT_TYPEHASH, m));
    }

    function _structHash(Revoke calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(REVOKE_TYPEHASH, m));
    }

    function _structHash(GrantRequest calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(GRANT_REQUEST_TYPEHASH, m));
    }

    function _structHash(ApproveMeasurement calldata m) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(APPROVE_MEASUREMENT_TYPEHASH, m.vaultId, keccak256(m.measurement), m.nonce, m.deadline)
            );
    }

    function _structHash(RevokeMeasurement calldata m) private pure returns (bytes32) {
        return
            keccak256(abi.encode(REVOKE_MEASUREMENT_TYPEHASH, m.vaultId, keccak256(m.measurement), m.nonce, m.deadline));
    }

    function _structHash(BindVaultKey calldata m) private pure returns (bytes32) {
        return keccak256(
            abi.encode(BIND_VAULT_KEY_TYPEHASH, m.vaultId, m.vaultKey, keccak256(m.measurement), m.nonce, m.deadline)
        );
    }

    function _structHash(BootApproval calldata m) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                BOOT_APPROVAL_TYPEHASH,
                m.vaultId,
                m.vaultKey,
                keccak256(m.measurement),
                m.chainView,
                m.bootNonce,
                m.wrappedKeyHash,
                m.deadline
            )
        );
    }

    function _structHash(QueryApproval calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(QUERY_APPROVAL_TYPEHASH, m));
    }

    function _structHash(QueryRequest calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(QUERY_REQUEST_TYPEHASH, m));
    }

    function _structHash(ApproveTool calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(APPROVE_TOOL_TYPEHASH, m));
    }

    function _structHash(RevokeTool calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(REVOKE_TOOL_TYPEHASH, m));
    }

    function _structHash(QueryReceipt calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(QUERY_RECEIPT_TYPEHASH, m));
    }

    function _structHash(UploadApproval calldata m) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                UPLOAD_APPROVAL_TYPEHASH,
                m.vaultId,
                keccak256(bytes(m.objectId)),
                m.contentSha256,
                m.size,
                m.nonce,
                m.deadline
            )
        );
    }

    function _structHash(OwnerRead calldata m) private pure returns (bytes32) {
        return
            keccak256(abi.encode(OWNER_READ_TYPEHASH, m.vaultId, keccak256(bytes(m.what)), m.recipientKey, m.deadline));
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

    /// @dev Checks the deadline, consumes the vault's nonce and verifies the owner's signature over the message.
    function _consumeOwnerSignature(
        uint256 vaultId,
        bytes32 structHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        address owner = _ownerOf(vaultId);
        uint256 current = _nonces[vaultId];
        if (nonce != current) revert InvalidNonce(vaultId, current);
        // Checked: a vault whose nonces were cancelled up to 2^256 - 1 accepts no more signatures, rather
        // than wrapping to nonces already used.
        _nonces[vaultId] = current + 1;
        if (!SignatureChecker.isValidSignatureNowCalldata(owner, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature(vaultId, owner);
        }
    }

    function _approveTool(uint256 vaultId, bytes32 tool) private {
        if (tool == bytes32(0)) revert InvalidTool();
        if (_approvedTools[vaultId][tool]) revert ToolAlreadyApproved(vaultId, tool);
        _approvedTools[vaultId][tool] = true;
        emit ToolApproved({vaultId: vaultId, tool: tool});
    }

    function _revokeTool(uint256 vaultId, bytes32 tool) private {
        if (!_approvedTools[vaultId][tool]) revert ToolNotApproved(vaultId, tool);
        _approvedTools[vaultId][tool] = false;
        emit ToolRevoked({vaultId: vaultId, tool: tool});
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
        // A key bound under revoked code stays unbound: approving the code again does not bring it back.
        VaultInfo storage v = _vaults[vaultId];
        if (v.keyMeasurementHash == measurementHash) _unbindKey(vaultId, v);
    }

    /// @dev Unbinds the vault's key, if one is bound.
    function _unbindKey(uint256 vaultId, VaultInfo storage v) private {
        address vaultKey = v.vaultKey;
        if (vaultKey == address(0)) return;
        v.vaultKey = address(0);
        v.keyMeasurementHash = bytes32(0);
        emit VaultKeyUnbound({vaultId: vaultId, vaultKey: vaultKey});
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
        bool perQueryApproval,
        uint32 maxQueries
    ) private {
        if (grantee == address(0)) revert ZeroAddress();
        _checkPurpose(purpose);
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        _grants[vaultId][grantee][scope] = GrantRecord({
            expiry: expiry,
            purpose: purpose,
            perQueryApproval: perQueryApproval,
            revoked: false,
            maxQueries: maxQueries,
            epoch: _vaults[vaultId].epoch
        });
        emit Granted({
            vaultId: vaultId,
            grantee: grantee,
            scope: scope,
            purpose: purpose,
            expiry: expiry,
            perQueryApproval: perQueryApproval,
            maxQueries: maxQueries
        });
    }

    function _checkPurpose(bytes16 purpose) private pure {
        // forge-lint: disable-next-line(unsafe-typecast) -- deliberately the first DUO term, the permission
        if (bytes2(purpose) == bytes2(0)) revert MissingPurposePermission(purpose);
    }

    function _revoke(uint256 vaultId, address grantee, bytes32 scope) private {
        GrantRecord storage g = _grants[vaultId][grantee][scope];
        if (g.expiry == 0 || g.revoked || g.epoch != _vaults[vaultId].epoch) {
            revert GrantNotFound(vaultId, grantee, scope);
        }
        g.revoked = true;
        emit GrantRevoked({vaultId: vaultId, grantee: grantee, scope: scope});
    }

    function _grantRequest(
        AccessRequest storage r,
        uint256 requestId,
        uint64 expiry,
        bool perQueryApproval,
        uint32 maxQueries
    ) private {
        if (expiry > r.requestedExpiry) revert InvalidExpiry(expiry);
        r.status = RequestStatus.Granted;
        _grant(r.vaultId, r.researcher, r.scope, r.purpose, expiry, perQueryApproval, maxQueries);
        emit AccessRequestGranted({requestId: requestId});
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

    /// @dev Moves the vault's anchored audit head forward; the same head again is a no-op.
    function _anchorAuditHead(uint256 vaultId, AuditHead calldata head) private {
        AuditHead storage anchored = _auditHeads[vaultId];
        uint64 anchoredSeq = anchored.seq;
        if (head.seq < anchoredSeq) revert AuditHeadBehind(vaultId, anchoredSeq, head.seq);
        if (head.seq == anchoredSeq) {
            if (head.tag != anchored.tag) revert AuditHeadForked(vaultId, head.seq);
            return;
        }
        anchored.seq = head.seq;
        anchored.tag = head.tag;
        emit AuditHeadAnchored({vaultId: vaultId, seq: head.seq, tag: head.tag});
    }
}
