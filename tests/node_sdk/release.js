// A blue-green release with Microsoft's own Node.js ASM SDK, unchanged, against the emulator.
// Usage: NODE_EXTRA_CA_CERTS=<emulator ca.pem> node release.js <endpoint.json>
// Prints one JSON object of what the SDK parsed; exits 1 with the SDK's error on any failure.
'use strict';
const fs = require('fs');
const common = require('azure-common');
const compute = require('azure-asm-compute');
const management = require('azure-asm-mgmt');
const storage = require('azure-asm-storage');

const ep = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const credentials = new common.CertificateCloudCredentials({
  subscriptionId: ep.subscription_id,
  pem: fs.readFileSync(ep.client_pem, 'utf8'),
});
const baseUri = 'https://' + ep.host;
const cmc = compute.createComputeManagementClient(credentials, baseUri);
const smc = storage.createStorageManagementClient(credentials, baseUri);
const mmc = management.createManagementClient(credentials, baseUri);
for (const client of [cmc, smc, mmc]) {
  // The SDK waits 30 s before its first Get Operation Status; the emulator is faster than that.
  client.longRunningOperationInitialTimeout = 0;
  client.longRunningOperationRetryTimeout = 1;
}

const call = (group, method, ...args) =>
  new Promise((resolve, reject) => group[method](...args, (e, r) => (e ? reject(e) : resolve(r))));
const failure = (group, method, ...args) =>
  call(group, method, ...args).then(
    () => null,
    (e) => ({ statusCode: e.statusCode, code: e.code }),
  );
const cscfg = (version) =>
  '<?xml version="1.0"?><ServiceConfiguration serviceName="nodesvc" ' +
  'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">' +
  '<Role name="WebRole1"><Instances count="2"/><ConfigurationSettings>' +
  `<Setting name="Version" value="${version}"/></ConfigurationSettings></Role></ServiceConfiguration>`;
const deployment = (version) => ({
  name: `nodesvc-${version}`,
  label: version,
  packageUri: `https://nodestore1.blob.core.windows.net/packages/${version}.cspkg`,
  configuration: cscfg(version),
  startDeployment: true,
});

(async () => {
  const out = {};
  const svc = 'nodesvc';
  out.locations = (await call(mmc.locations, 'list')).locations.map((l) => l.name);
  out.affinity_groups = (await call(mmc.affinityGroups, 'list')).affinityGroups.length;
  out.name_available = (await call(smc.storageAccounts, 'checkNameAvailability', 'nodestore1')).isAvailable;
  await call(smc.storageAccounts, 'create', { name: 'nodestore1', label: 'nodestore1', location: 'West US' });
  out.storage_status = (await call(smc.storageAccounts, 'get', 'nodestore1')).storageAccount.properties.status;
  out.has_primary_key = Boolean((await call(smc.storageAccounts, 'getKeys', 'nodestore1')).primaryKey);
  await call(cmc.hostedServices, 'create', { serviceName: svc, label: svc, location: 'West US' });
  out.services = (await call(cmc.hostedServices, 'list')).hostedServices.map((s) => s.serviceName);
  await call(cmc.deployments, 'create', svc, 'production', deployment('v1'));
  await call(cmc.deployments, 'create', svc, 'staging', deployment('v2'));
  out.occupied_slot = await failure(cmc.deployments, 'beginCreating', svc, 'staging', deployment('v3'));
  const before = await call(cmc.deployments, 'getBySlot', svc, 'production');
  out.production_before = before.name;
  out.production_status = before.status;
  out.production_label = before.label;
  out.role_instances = before.roleInstances.map((i) => i.instanceStatus);
  out.configuration_version = /Version" value="(v\d)"/.exec(before.configuration)?.[1] ?? null;
  const swap = await call(cmc.deployments, 'swap', svc, {
    productionDeployment: before.name,
    sourceDeployment: 'nodesvc-v2',
  });
  out.swap_status = swap.status;
  out.production_after = (await call(cmc.deployments, 'getBySlot', svc, 'production')).name;
  out.staging_after = (await call(cmc.deployments, 'getBySlot', svc, 'staging')).name;
  await call(cmc.deployments, 'deleteBySlot', svc, 'staging');
  out.deleted_slot = await failure(cmc.deployments, 'getBySlot', svc, 'staging');
  await call(cmc.deployments, 'deleteBySlot', svc, 'production');
  await call(cmc.hostedServices, 'deleteMethod', svc);
  await call(smc.storageAccounts, 'deleteMethod', 'nodestore1');
  out.services_after = (await call(cmc.hostedServices, 'list')).hostedServices.map((s) => s.serviceName);
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error('FAILED', e.statusCode || '', e.code || '', e.message);
  process.exit(1);
});
