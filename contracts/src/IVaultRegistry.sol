// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title DNA Vault registry: the interface
/// @notice Every message the DNA Vault protocol signs (the ones this registry checks and the off-chain ones that
/// vaults and researchers check against it), its errors, its events and its functions. The Rust protocol crate
/// (`dnavault-protocol`) takes its types from this file's compiled ABI, so each message is declared once.
interface IVaultRegistry {
    /*//////////////////////////////////////////////////////////////
                            SIGNED MESSAGES
    //////////////////////////////////////////////////////////////*/

    /// @notice An owner's consent that `grantee` may run the analysis `scope` on vault `vaultId`.
    /// @param scope The hash of the analysis descriptor: the analysis, its version and its parameters.
    /// @param purpose A GA4GH DUO purpose, big-endian: bytes 0-1 the permission's term number (0x0007 for
    /// DUO:0000007), bytes 2-5 the disease's MONDO number for disease-specific research (else zero), bytes 6-15
    /// up to five modifiers' term numbers, zero-padded.
    /// @param expiry Unix time from which the grant no longer allows anything.
    /// @param perQueryApproval Whether every query also needs the owner's live `QueryApproval`.
    /// @param maxQueries How many queries the grant allows in its life (0: no limit); the vault counts them.
    struct Grant {
        uint256 vaultId;
        address grantee;
        bytes32 scope;
        bytes16 purpose;
        uint64 expiry;
        bool perQueryApproval;
        uint32 maxQueries;
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

    /// @notice An owner's grant of pending access request `requestId` as its researcher asked: `vaultId`,
    /// `researcher`, `scope` and `purpose` must be the request's (they are signed so the owner's wallet shows
    /// them), with the owner's `expiry` (no later than requested), per-query approval and query budget.
    struct GrantRequest {
        uint256 requestId;
        uint256 vaultId;
        address researcher;
        bytes32 scope;
        bytes16 purpose;
        uint64 expiry;
        bool perQueryApproval;
        uint32 maxQueries;
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

    /// @notice An owner's approval of an analysis tool for a vault: installing it, a code update.
    /// @param tool The tool's identity: the EIP-712 struct hash of its manifest (program, version, the SHA-256
    /// of its executable and of every file it loads, argument template, outputs, limits).
    struct ApproveTool {
        uint256 vaultId;
        bytes32 tool;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An owner's withdrawal of a previously approved tool.
    struct RevokeTool {
        uint256 vaultId;
        bytes32 tool;
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
    /// @param chainView The EIP-712 struct hash of the vault's chain view (chain, registry, RPC endpoints and
    /// how each is authenticated, quorum, confirmations, poll interval, age limits), bound into its report.
    /// @param bootNonce The fresh nonce of the vault's boot request, bound into its attestation report.
    /// @param wrappedKeyHash keccak256 of the HPKE-wrapped data key that comes with the approval.
    struct BootApproval {
        uint256 vaultId;
        address vaultKey;
        bytes measurement;
        bytes32 chainView;
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

    /// @notice Off-chain: a researcher's request to run one query on a vault, checked by the vault against the
    /// grant for (`vaultId`, `researcher`, `scope`).
    /// @param purpose The DUO purpose the researcher declares for this query (see `Grant`); the vault runs it
    /// only if the grant's purpose covers it.
    /// @param queryHash keccak256 of the query's JSON text as sent.
    /// @param recipientKey The researcher's X25519 HPKE public key: the result is sealed to it.
    /// @param nonce A fresh random nonce: the vault runs a request once.
    struct QueryRequest {
        uint256 vaultId;
        address researcher;
        bytes32 scope;
        bytes16 purpose;
        bytes32 queryHash;
        bytes32 recipientKey;
        bytes32 nonce;
        uint256 deadline;
    }

    /// @notice The head of a vault's audit log: its last entry's position and HMAC tag, made under a key only
    /// the unsealed vault and its owner hold, so the host that stores the log cannot forge one. Anchored by the
    /// vault; its owner's audit read checks that the log it is shown passes through it.
    /// @param seq The entry's position in the log (from 1).
    /// @param tag The entry's HMAC-SHA256 tag, which chains every entry before it.
    struct AuditHead {
        uint64 seq;
        bytes32 tag;
    }

    /// @notice Off-chain: a vault's receipt for one query it ran, signed with its bound key and anchored here by
    /// its EIP-712 digest (`anchorReceipts`).
    /// @param requestHash The EIP-712 digest of the `QueryRequest` it answers.
    /// @param resultHash keccak256 of the sealed result (the HPKE envelope) sent.
    /// @param purpose The DUO purpose the request declared and the grant covered.
    /// @param consentBlock The block the consent was checked at.
    /// @param issuedAt Unix time the query ran.
    struct QueryReceipt {
        uint256 vaultId;
        bytes32 requestHash;
        bytes32 resultHash;
        bytes16 purpose;
        uint256 consentBlock;
        uint64 issuedAt;
    }

    /// @notice Off-chain: the owner's approval of one upload of exactly these bytes to one object of a vault.
    /// @param contentSha256 SHA-256 of the content.
    /// @param size The content's length in bytes.
    /// @param nonce A fresh random nonce: the vault stores an approved upload once.
    struct UploadApproval {
        uint256 vaultId;
        string objectId;
        bytes32 contentSha256;
        uint64 size;
        bytes32 nonce;
        uint256 deadline;
    }

    /// @notice Off-chain: the owner's short-lived authorization to read a vault's records.
    /// @param what What is read (`audit`).
    /// @param recipientKey The owner's X25519 HPKE public key the vault seals its answer to, so whoever carries
    /// the answer (a website, a relay) reads nothing of it.
    struct OwnerRead {
        uint256 vaultId;
        string what;
        bytes32 recipientKey;
        uint256 deadline;
    }

    /*//////////////////////////////////////////////////////////////
                              STORED STATE
    //////////////////////////////////////////////////////////////*/

    /// @notice What the registry holds about a vault.
    struct VaultInfo {
        address owner;
        /// @dev Counts ownership transfers; a grant made under an earlier epoch is no longer live. Shares the
        /// owner's slot, so `isAllowed` reads one slot of the vault.
        uint16 epoch;
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
        uint32 maxQueries;
        /// @dev The vault's ownership epoch when it was granted: a transfer ends the old owner's grants.
        uint16 epoch;
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

    /// @notice A researcher's stored access request (its protocol hash and URI and its descriptor are in its event).
    struct AccessRequest {
        address researcher;
        uint64 requestedExpiry;
        RequestStatus status;
        bytes16 purpose;
        uint64 vaultId;
        bytes32 scope;
    }

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
    /// @notice A tool's identity was zero.
    error InvalidTool();
    /// @notice The tool is approved for this vault already.
    error ToolAlreadyApproved(uint256 vaultId, bytes32 tool);
    /// @notice The tool is not approved for this vault.
    error ToolNotApproved(uint256 vaultId, bytes32 tool);
    /// @notice An expiry lies in the past, or beyond what the access request asked for.
    error InvalidExpiry(uint64 expiry);
    /// @notice A purpose's first DUO term (its permission) is zero.
    error MissingPurposePermission(bytes16 purpose);
    /// @notice There is no live grant to revoke.
    error GrantNotFound(uint256 vaultId, address grantee, bytes32 scope);
    /// @notice No access request has this id.
    error RequestNotFound(uint256 requestId);
    /// @notice A signed message's nonce is not the vault's next one (used, cancelled, or from the future).
    error InvalidNonce(uint256 vaultId, uint256 current);
    /// @notice A signed grant of an access request names another vault, researcher, scope or purpose than the
    /// request.
    error RequestMismatch(uint256 requestId);
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
    /// @notice An audit head older than the one anchored: the log would move backwards.
    error AuditHeadBehind(uint256 vaultId, uint64 anchoredSeq, uint64 seq);
    /// @notice An audit head at the anchored head's position with another tag: the log forked.
    error AuditHeadForked(uint256 vaultId, uint64 seq);

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
    /// @notice The owner approved an analysis tool (its manifest's hash) for the vault.
    event ToolApproved(uint256 indexed vaultId, bytes32 indexed tool);
    /// @notice The owner revoked an analysis tool.
    event ToolRevoked(uint256 indexed vaultId, bytes32 indexed tool);
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
        bool perQueryApproval,
        uint32 maxQueries
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
        string protocolUri,
        string descriptor
    );
    /// @notice The owner granted an access request.
    event AccessRequestGranted(uint256 indexed requestId);
    /// @notice The owner denied an access request.
    event AccessRequestDenied(uint256 indexed requestId);
    /// @notice The researcher withdrew an access request.
    event AccessRequestWithdrawn(uint256 indexed requestId);
    /// @notice The owner cancelled every signed message of the vault with a nonce below `nonce`.
    event NoncesCancelled(uint256 indexed vaultId, uint256 nonce);
    /// @notice The vault's bound key anchored a batch of access receipt hashes.
    event ReceiptsAnchored(uint256 indexed vaultId, bytes32 indexed batchHash, bytes32[] receiptHashes);
    /// @notice The vault's bound key anchored the head of its audit log (with a receipt batch or alone). A new
    /// owner's vault starts from none.
    event AuditHeadAnchored(uint256 indexed vaultId, uint64 seq, bytes32 tag);

    /*//////////////////////////////////////////////////////////////
                                 VAULTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers a vault owned by the caller.
    /// @param uri Where the vault is reached, or its metadata.
    /// @return vaultId The new vault's id, counting from 1.
    function registerVault(string calldata uri) external returns (uint256 vaultId);

    /// @notice Changes the vault's endpoint/metadata URI. Owner only.
    /// @param vaultId The vault.
    /// @param uri The new URI.
    function setVaultUri(uint256 vaultId, string calldata uri) external;

    /// @notice Offers the vault to `newOwner`, who must accept; zero withdraws the offer. Owner only.
    /// @param vaultId The vault.
    /// @param newOwner The account offered the vault.
    function transferVaultOwnership(uint256 vaultId, address newOwner) external;

    /// @notice Accepts a vault offered to the caller. Grants and approved measurements stay with the vault; its
    /// bound key is unbound (the running vault was booted for the previous owner, and seals).
    /// @param vaultId The vault.
    function acceptVaultOwnership(uint256 vaultId) external;

    /// @notice Everything the registry holds about a vault; reverts for an unknown vault.
    /// @param vaultId The vault.
    /// @return info Its owner, pending owner, bound key, the key's measurement hash and URI.
    function vault(uint256 vaultId) external view returns (VaultInfo memory info);

    /// @notice The vault's owner; reverts for an unknown vault.
    /// @param vaultId The vault.
    /// @return owner The owner (an EOA or an EIP-1271 wallet).
    function ownerOf(uint256 vaultId) external view returns (address owner);

    /// @notice How many vaults exist; ids run from 1 to this.
    /// @return count The number of vaults.
    function vaultCount() external view returns (uint256 count);

    /*//////////////////////////////////////////////////////////////
                              MEASUREMENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Approves a launch measurement for the vault (a code update). Owner only.
    /// @param vaultId The vault.
    /// @param measurement The 48-byte SNP launch measurement.
    function approveMeasurement(uint256 vaultId, bytes calldata measurement) external;

    /// @notice Approves a launch measurement with the owner's `ApproveMeasurement` signature; anyone may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature (65-byte ECDSA or an EIP-1271 wallet's).
    function approveMeasurementWithSig(ApproveMeasurement calldata message, bytes calldata signature) external;

    /// @notice Revokes an approved launch measurement; a key bound with it is unbound, and approving the
    /// measurement again does not bind it back.
    /// @param vaultId The vault.
    /// @param measurement The 48-byte SNP launch measurement.
    function revokeMeasurement(uint256 vaultId, bytes calldata measurement) external;

    /// @notice Revokes a launch measurement with the owner's `RevokeMeasurement` signature; anyone may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature.
    function revokeMeasurementWithSig(RevokeMeasurement calldata message, bytes calldata signature) external;

    /// @notice Whether the owner currently approves this launch measurement for the vault.
    /// @param vaultId The vault.
    /// @param measurement The 48-byte SNP launch measurement.
    /// @return approved True while approved.
    function isMeasurementApproved(uint256 vaultId, bytes calldata measurement) external view returns (bool approved);

    /*//////////////////////////////////////////////////////////////
                                 TOOLS
    //////////////////////////////////////////////////////////////*/

    /// @notice Approves an analysis tool for the vault (installing it: a code update). Owner only. Approvals
    /// stay with the vault when it changes owner, like measurements; a tool runs only under a grant, made by
    /// the current owner, whose analysis names it.
    /// @param vaultId The vault.
    /// @param tool The tool's identity (its manifest's EIP-712 struct hash), not zero.
    function approveTool(uint256 vaultId, bytes32 tool) external;

    /// @notice Approves a tool with the owner's `ApproveTool` signature; anyone may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature.
    function approveToolWithSig(ApproveTool calldata message, bytes calldata signature) external;

    /// @notice Revokes an approved tool: the vault refuses to run it from the block this lands in. Owner only.
    /// @param vaultId The vault.
    /// @param tool The tool's identity.
    function revokeTool(uint256 vaultId, bytes32 tool) external;

    /// @notice Revokes a tool with the owner's `RevokeTool` signature; anyone may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature.
    function revokeToolWithSig(RevokeTool calldata message, bytes calldata signature) external;

    /// @notice Whether the owner currently approves this tool for the vault.
    /// @param vaultId The vault.
    /// @param tool The tool's identity.
    /// @return approved True when approved and not revoked since.
    function isToolApproved(uint256 vaultId, bytes32 tool) external view returns (bool approved);

    /*//////////////////////////////////////////////////////////////
                               VAULT KEY
    //////////////////////////////////////////////////////////////*/

    /// @notice Binds the attested signing key of a booted vault and the approved measurement it booted with.
    /// @param vaultId The vault.
    /// @param vaultKey The key the vault's attestation report binds.
    /// @param measurement The measurement it booted with (approved).
    function bindVaultKey(uint256 vaultId, address vaultKey, bytes calldata measurement) external;

    /// @notice Binds a vault key with the owner's `BindVaultKey` signature; anyone may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature.
    function bindVaultKeyWithSig(BindVaultKey calldata message, bytes calldata signature) external;

    /// @notice Unbinds the vault's signing key (e.g. when the vault is shut down). Owner only.
    /// @param vaultId The vault.
    function unbindVaultKey(uint256 vaultId) external;

    /// @notice Whether `account` is the vault's bound key and its boot measurement is still approved.
    /// @param vaultId The vault.
    /// @param account The key asked about.
    /// @return active True when receipts signed by `account` speak for the vault.
    function isActiveVaultKey(uint256 vaultId, address account) external view returns (bool active);

    /*//////////////////////////////////////////////////////////////
                                 GRANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Grants (or renews) consent directly. Owner only.
    /// @param vaultId The vault.
    /// @param grantee The researcher.
    /// @param scope The analysis allowed.
    /// @param purpose The DUO-coded purpose (see `Grant`).
    /// @param expiry Unix time from which the grant allows nothing.
    /// @param perQueryApproval Whether each query also needs the owner's `QueryApproval`.
    /// @param maxQueries How many queries the grant allows in its life (0: no limit).
    function grant(
        uint256 vaultId,
        address grantee,
        bytes32 scope,
        bytes16 purpose,
        uint64 expiry,
        bool perQueryApproval,
        uint32 maxQueries
    ) external;

    /// @notice Grants consent with the owner's `Grant` signature; anyone (typically the grantee) may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature.
    function grantWithSig(Grant calldata message, bytes calldata signature) external;

    /// @notice Revokes consent; it stops allowing anything from this block on. Owner only.
    /// @param vaultId The vault.
    /// @param grantee The researcher.
    /// @param scope The analysis.
    function revoke(uint256 vaultId, address grantee, bytes32 scope) external;

    /// @notice Revokes consent with the owner's `Revoke` signature; anyone may relay.
    /// @param message The signed message.
    /// @param signature The owner's signature.
    function revokeWithSig(Revoke calldata message, bytes calldata signature) external;

    /// @notice Whether `grantee` may run `scope` on the vault now: granted by its current owner, not revoked,
    /// not expired.
    /// @dev A grant with `perQueryApproval` additionally needs the owner's live approval of each query.
    /// @param vaultId The vault.
    /// @param grantee The researcher.
    /// @param scope The analysis.
    /// @return allowed True while the grant is live.
    function isAllowed(uint256 vaultId, address grantee, bytes32 scope) external view returns (bool allowed);

    /// @notice The stored grant for (vault, grantee, scope); all zero if none was ever given.
    /// @param vaultId The vault.
    /// @param grantee The researcher.
    /// @param scope The analysis.
    /// @return record Its expiry, purpose, per-query flag, whether it was revoked, its query budget and the
    /// ownership epoch it was made in (live only while that is the vault's).
    function grantOf(uint256 vaultId, address grantee, bytes32 scope) external view returns (GrantRecord memory record);

    /*//////////////////////////////////////////////////////////////
                            ACCESS REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Files a researcher's request for access to a vault; pending until answered, withdrawn or expired.
    /// @param vaultId The vault.
    /// @param scope The analysis asked for.
    /// @param purpose The DUO-coded purpose.
    /// @param requestedExpiry When the requested grant would end; the request itself expires then too.
    /// @param protocolHash The hash of the research protocol document at `protocolUri`.
    /// @param protocolUri Where the research protocol is published.
    /// @param descriptor The analysis descriptor (JSON) whose hash `scope` is: published in the event so that
    /// the owner's wallet and anyone auditing read the request's analysis from the chain and recompute its
    /// scope. The registry does not parse it; wallets refuse a request whose descriptor does not hash to
    /// `scope`.
    /// @return requestId The new request's id, counting from 1.
    function requestAccess(
        uint256 vaultId,
        bytes32 scope,
        bytes16 purpose,
        uint64 requestedExpiry,
        bytes32 protocolHash,
        string calldata protocolUri,
        string calldata descriptor
    ) external returns (uint256 requestId);

    /// @notice Grants a pending request as asked, with an expiry no later than requested. Owner only.
    /// @param requestId The request.
    /// @param expiry The grant's expiry, at most the requested one.
    /// @param perQueryApproval Whether each query also needs the owner's `QueryApproval`.
    /// @param maxQueries How many queries the grant allows in its life (0: no limit).
    function grantRequest(uint256 requestId, uint64 expiry, bool perQueryApproval, uint32 maxQueries) external;

    /// @notice `grantRequest` with the owner's EIP-712 signature, submitted by anyone (a relayer).
    /// @param message The grant: the request's own terms and the owner's choices.
    /// @param signature The owner's signature over `message`.
    function grantRequestWithSig(GrantRequest calldata message, bytes calldata signature) external;

    /// @notice Denies a pending request. Owner only.
    /// @param requestId The request.
    function denyRequest(uint256 requestId) external;

    /// @notice Withdraws a pending request. Its researcher only.
    /// @param requestId The request.
    function withdrawRequest(uint256 requestId) external;

    /// @notice A stored access request, with its status as of now (a pending one past its expiry is Expired).
    /// @param requestId The request.
    /// @return request The request.
    function accessRequest(uint256 requestId) external view returns (AccessRequest memory request);

    /*//////////////////////////////////////////////////////////////
                                RECEIPTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Anchors a batch of access receipt hashes and the audit log's head that records them. The
    /// vault's active bound key only.
    /// @param vaultId The vault.
    /// @param receiptHashes The receipts' EIP-712 digests.
    /// @param auditHead The audit log's head: not behind the one anchored, and equal to it at its position.
    /// @return batchHash keccak256(abi.encode(vaultId, receiptHashes)), the key of `anchoredAt`.
    function anchorReceipts(uint256 vaultId, bytes32[] calldata receiptHashes, AuditHead calldata auditHead)
        external
        returns (bytes32 batchHash);

    /// @notice Anchors the audit log's head alone (entries with no receipt: uploads, refusals). The vault's
    /// active bound key only.
    /// @param vaultId The vault.
    /// @param auditHead The head: not behind the one anchored, and equal to it at its position.
    function anchorAuditHead(uint256 vaultId, AuditHead calldata auditHead) external;

    /// @notice The vault's last anchored audit head; zero if none under its current owner.
    /// @param vaultId The vault.
    /// @return head The head.
    function auditHeadOf(uint256 vaultId) external view returns (AuditHead memory head);

    /// @notice The block a receipt batch was anchored in; zero if never.
    /// @param batchHash The batch's hash.
    /// @return blockNumber The block, or zero.
    function anchoredAt(bytes32 batchHash) external view returns (uint256 blockNumber);

    /*//////////////////////////////////////////////////////////////
                           SIGNED MESSAGE HASHES
    //////////////////////////////////////////////////////////////*/

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashGrant(Grant calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashRevoke(Revoke calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashGrantRequest(GrantRequest calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashApproveMeasurement(ApproveMeasurement calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashRevokeMeasurement(RevokeMeasurement calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashApproveTool(ApproveTool calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashRevokeTool(RevokeTool calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashBindVaultKey(BindVaultKey calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashBootApproval(BootApproval calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashQueryApproval(QueryApproval calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest a researcher signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashQueryRequest(QueryRequest calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest a vault signs and anchors for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashQueryReceipt(QueryReceipt calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashUploadApproval(UploadApproval calldata message) external view returns (bytes32 digest);

    /// @notice The EIP-712 digest an owner signs for `message`.
    /// @param message The message.
    /// @return digest Its digest in this registry's domain.
    function hashOwnerRead(OwnerRead calldata message) external view returns (bytes32 digest);

    /// @notice The vault's next signature nonce: every owner message signed for it carries one, used once.
    /// @dev Nonces belong to the vault, not to the owner's address: a signature used (or cancelled) under one
    /// owner cannot be replayed after the vault moves to another address of the same signer.
    /// @param vaultId The vault.
    /// @return nonce The nonce the next signed message must carry.
    function nonceOf(uint256 vaultId) external view returns (uint256 nonce);

    /// @notice Cancels every message signed for the vault with a nonce below `nonce` that has not been used:
    /// a grant handed to a researcher and not yet relayed, say. Owner only.
    /// @param vaultId The vault.
    /// @param nonce The new next nonce, above the current one.
    function cancelNonces(uint256 vaultId, uint256 nonce) external;

    /// @notice Whether `signature` is the vault owner's (EOA or EIP-1271 wallet) over `digest`.
    /// @dev For off-chain approvals (boot, per-query, upload, reads) that a vault verifies against the owner.
    /// @param vaultId The vault.
    /// @param digest The EIP-712 digest signed.
    /// @param signature The signature.
    /// @return valid True when the vault's current owner signed `digest`.
    function isOwnerSignature(uint256 vaultId, bytes32 digest, bytes calldata signature)
        external
        view
        returns (bool valid);
}
