// A blue-green release with Microsoft's own Node.js ASM SDK, unchanged, against the emulator:
// storage account, cloud service, v1 in production and v2 in staging, a create refused in an
// occupied slot, the VIP swap, a 404 after delete, teardown.
// Usage: NODE_EXTRA_CA_CERTS=<emulator ca.pem> node release.js <endpoint.json>
'use strict';
const { call, failure, main } = require('./asm');

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

main(async ({ compute, storage, management }) => {
  const out = {};
  const svc = 'nodesvc';
  out.locations = (await call(management.locations, 'list')).locations.map((l) => l.name);
  out.affinity_groups = (await call(management.affinityGroups, 'list')).affinityGroups.length;
  out.name_available = (await call(storage.storageAccounts, 'checkNameAvailability', 'nodestore1')).isAvailable;
  await call(storage.storageAccounts, 'create', { name: 'nodestore1', label: 'nodestore1', location: 'West US' });
  out.storage_status = (await call(storage.storageAccounts, 'get', 'nodestore1')).storageAccount.properties.status;
  out.has_primary_key = Boolean((await call(storage.storageAccounts, 'getKeys', 'nodestore1')).primaryKey);
  await call(compute.hostedServices, 'create', { serviceName: svc, label: svc, location: 'West US' });
  out.services = (await call(compute.hostedServices, 'list')).hostedServices.map((s) => s.serviceName);
  await call(compute.deployments, 'create', svc, 'production', deployment('v1'));
  await call(compute.deployments, 'create', svc, 'staging', deployment('v2'));
  out.occupied_slot = await failure(compute.deployments, 'beginCreating', svc, 'staging', deployment('v3'));
  const before = await call(compute.deployments, 'getBySlot', svc, 'production');
  out.production_before = before.name;
  out.production_status = before.status;
  out.production_label = before.label;
  out.role_instances = before.roleInstances.map((i) => i.instanceStatus);
  out.configuration_version = /Version" value="(v\d)"/.exec(before.configuration)?.[1] ?? null;
  const swap = await call(compute.deployments, 'swap', svc, {
    productionDeployment: before.name,
    sourceDeployment: 'nodesvc-v2',
  });
  out.swap_status = swap.status;
  out.production_after = (await call(compute.deployments, 'getBySlot', svc, 'production')).name;
  out.staging_after = (await call(compute.deployments, 'getBySlot', svc, 'staging')).name;
  await call(compute.deployments, 'deleteBySlot', svc, 'staging');
  out.deleted_slot = await failure(compute.deployments, 'getBySlot', svc, 'staging');
  await call(compute.deployments, 'deleteBySlot', svc, 'production');
  await call(compute.hostedServices, 'deleteMethod', svc);
  await call(storage.storageAccounts, 'deleteMethod', 'nodestore1');
  out.services_after = (await call(compute.hostedServices, 'list')).hostedServices.map((s) => s.serviceName);
  return out;
});
