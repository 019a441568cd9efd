// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {VaultRegistry} from "../src/VaultRegistry.sol";
import {Script, console} from "forge-std/Script.sol";

/// @notice Deploys VaultRegistry with the broadcasting account: `forge script contracts/script/Deploy.s.sol
/// --rpc-url URL --private-key KEY --broadcast`.
contract Deploy is Script {
    /// @notice Deploys the registry and returns it.
    function run() external returns (VaultRegistry registry) {
        vm.startBroadcast();
        registry = new VaultRegistry();
        vm.stopBroadcast();
        console.log("VaultRegistry deployed at", address(registry));
    }
}
