// Shared set-up of the Node.js ASM SDK scripts: the SDK's clients for an emulator endpoint.json,
// exactly as a user of the SDK builds them (certificate credentials, a base URI), plus a promise
// wrapper over the SDK's callbacks. The emulator's CA comes from NODE_EXTRA_CA_CERTS.
'use strict';
const fs = require('fs');
const common = require('azure-common');
const compute = require('azure-asm-compute');
const management = require('azure-asm-mgmt');
const storage = require('azure-asm-storage');

function clients(endpointFile) {
  const ep = JSON.parse(fs.readFileSync(endpointFile, 'utf8'));
  const credentials = new common.CertificateCloudCredentials({
    subscriptionId: ep.subscription_id,
    pem: fs.readFileSync(ep.client_pem, 'utf8'),
  });
  const baseUri = 'https://' + ep.host;
  const made = {
    compute: compute.createComputeManagementClient(credentials, baseUri),
    storage: storage.createStorageManagementClient(credentials, baseUri),
    management: management.createManagementClient(credentials, baseUri),
  };
  for (const client of Object.values(made)) {
    // The SDK waits 30 s before its first Get Operation Status; the emulator is faster than that.
    client.longRunningOperationInitialTimeout = 0;
    client.longRunningOperationRetryTimeout = 1;
  }
  return made;
}

const call = (group, method, ...args) =>
  new Promise((resolve, reject) => group[method](...args, (e, r) => (e ? reject(e) : resolve(r))));

// What the SDK made of a refused call: its HTTP status and the error code it parsed from the XML.
const failure = (group, method, ...args) =>
  call(group, method, ...args).then(
    () => null,
    (e) => ({ statusCode: e.statusCode, code: e.code }),
  );

// Runs `scenario(clients)` and prints its result as one JSON line; exits 1 with the SDK's error.
function main(scenario) {
  scenario(clients(process.argv[2]))
    .then((out) => console.log(JSON.stringify(out)))
    .catch((e) => {
      console.error('FAILED', e.statusCode || '', e.code || '', e.message);
      process.exit(1);
    });
}

module.exports = { call, failure, main };
