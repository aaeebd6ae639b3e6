// Compiles one Solidity file with the pinned solc-js (package.json) through
// its standard JSON interface and prints solc's JSON output on stdout.
//
//   node compile.js FILE.sol EVM_VERSION
//
// The optimizer is on (200 runs), as for a deployment. Exit status 1 when
// solc reports an error, 2 on a usage error.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

if (process.argv.length !== 4) {
  process.stderr.write('usage: node compile.js FILE.sol EVM_VERSION\n');
  process.exit(2);
}
const file = process.argv[2];
const input = {
  language: 'Solidity',
  sources: { [path.basename(file)]: { content: fs.readFileSync(file, 'utf8') } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: process.argv[3],
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
out.compilerVersion = solc.version();
process.stdout.write(JSON.stringify(out));
if ((out.errors || []).some((e) => e.severity === 'error')) {
  process.exit(1);
}
