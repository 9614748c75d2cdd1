// A Linux VM with Microsoft's own Node.js ASM SDK, unchanged, against the emulator: the SDK's own
// serialisation of a role (provisioning and network configuration sets, OS and data disks), then
// get, shut down (deallocated), start, delete with its disks.
// Usage: NODE_EXTRA_CA_CERTS=<emulator ca.pem> node vm.js <endpoint.json>
'use strict';
const { call, main } = require('./asm');

const VHDS = 'https://nodestore1.blob.core.windows.net/vhds';

main(async ({ compute }) => {
  const out = {};
  const images = (await call(compute.virtualMachineOSImages, 'list')).images;
  const image = images.find((i) => i.operatingSystemType === 'Linux');
  out.image_os = image.operatingSystemType;
  await call(compute.hostedServices, 'create', { serviceName: 'nodevm', label: 'nodevm', location: 'West US' });
  await call(compute.virtualMachines, 'createDeployment', 'nodevm', {
    name: 'nodevm',
    label: 'nodevm',
    deploymentSlot: 'Production',
    roles: [
      {
        roleName: 'vm1',
        roleType: 'PersistentVMRole',
        roleSize: 'Small',
        configurationSets: [
          {
            configurationSetType: 'LinuxProvisioningConfiguration',
            hostName: 'vm1',
            userName: 'azureuser',
            userPassword: 'Not-a-real-passw0rd',
            disableSshPasswordAuthentication: false,
          },
          {
            configurationSetType: 'NetworkConfiguration',
            inputEndpoints: [{ name: 'ssh', protocol: 'tcp', port: 22, localPort: 22 }],
          },
        ],
        oSVirtualHardDisk: { mediaLink: `${VHDS}/vm1.vhd`, sourceImageName: image.name },
        dataVirtualHardDisks: [{ logicalUnitNumber: 0, logicalDiskSizeInGB: 10, mediaLink: `${VHDS}/vm1-data.vhd` }],
      },
    ],
  });
  const vm = await call(compute.virtualMachines, 'get', 'nodevm', 'nodevm', 'vm1');
  out.vm = {
    roleName: vm.roleName,
    roleSize: vm.roleSize,
    os: vm.oSVirtualHardDisk.operatingSystem,
    dataDisks: vm.dataVirtualHardDisks.map((d) => d.logicalDiskSizeInGB),
    endpoints: vm.configurationSets.flatMap((c) => (c.inputEndpoints || []).map((e) => `${e.name}:${e.port}`)),
  };
  await call(compute.virtualMachines, 'shutdown', 'nodevm', 'nodevm', 'vm1', {
    postShutdownAction: 'StoppedDeallocated',
  });
  out.after_shutdown = (await call(compute.deployments, 'getByName', 'nodevm', 'nodevm')).roleInstances.map(
    (i) => i.instanceStatus,
  );
  await call(compute.virtualMachines, 'start', 'nodevm', 'nodevm', 'vm1');
  out.after_start = (await call(compute.deployments, 'getByName', 'nodevm', 'nodevm')).roleInstances.map(
    (i) => i.powerState,
  );
  out.disks_before_delete = (await call(compute.virtualMachineDisks, 'listDisks')).disks.length;
  await call(compute.deployments, 'deleteByName', 'nodevm', 'nodevm', true);
  await call(compute.hostedServices, 'deleteMethod', 'nodevm');
  out.disks_after_delete = (await call(compute.virtualMachineDisks, 'listDisks')).disks.length;
  return out;
});
