// Compiles the example contracts with the npm package `solc` (solcjs) in
// standard-JSON mode, EVM version pinned to the ledger's (prague), and
// writes build/<Contract>.bin (hex init code) and build/<Contract>.abi.
// Run through build.sh, which installs solc in a temporary directory.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const here = __dirname;
const files = ["ICarbonMarket.sol", "Token.sol", "AllowanceForward.sol", "BlockTradeEscrow.sol", "MarketProbe.sol"];
const contracts = ["Token", "AllowanceForward", "BlockTradeEscrow", "MarketProbe"];
const input = {
  language: "Solidity",
  sources: Object.fromEntries(files.map((f) => [f, { content: fs.readFileSync(path.join(here, f), "utf8") }])),
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "prague",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === "error");
for (const e of out.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);
fs.mkdirSync(path.join(here, "build"), { recursive: true });
for (const c of contracts) {
  const art = out.contracts[c + ".sol"][c];
  fs.writeFileSync(path.join(here, "build", c + ".bin"), art.evm.bytecode.object + "\n");
  fs.writeFileSync(path.join(here, "build", c + ".abi"), JSON.stringify(art.abi, null, 1) + "\n");
}
console.log("solc " + solc.version() + ": " + contracts.join(", ") + " -> build/");
