// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A minimal EIP-1271 contract wallet for tests: one EOA signer, which may also make calls through it.
contract MinimalWallet is IERC1271 {
    /// @notice The EOA whose signatures the wallet accepts.
    address public immutable signer;

    /// @notice Only the signer may call through the wallet.
    error NotSigner(address caller);

    constructor(address signer_) {
        signer = signer_;
    }

    /// @notice Calls `target` with `data` as this wallet, bubbling up any revert.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != signer) revert NotSigner(msg.sender);
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return IERC1271.isValidSignature.selector;
        return bytes4(0xffffffff);
    }
}
