// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Deploy} from "../script/Deploy.s.sol";
import {VaultRegistry} from "../src/VaultRegistry.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The deploy script leaves a working, empty registry.
contract DeployTest is Test {
    function test_Run_DeploysEmptyRegistry() public {
        VaultRegistry registry = new Deploy().run();
        assertGt(address(registry).code.length, 0);
        assertEq(registry.vaultCount(), 0);
        (, string memory name,, uint256 chainId, address verifyingContract,,) = registry.eip712Domain();
        assertEq(name, "DNA Vault Registry");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(registry));
    }
}
