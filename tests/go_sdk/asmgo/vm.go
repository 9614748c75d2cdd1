package main

import (
	"github.com/Azure/azure-sdk-for-go/services/classic/management"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/hostedservice"
	vm "github.com/Azure/azure-sdk-for-go/services/classic/management/virtualmachine"
	vmdisk "github.com/Azure/azure-sdk-for-go/services/classic/management/virtualmachinedisk"
	vmimage "github.com/Azure/azure-sdk-for-go/services/classic/management/virtualmachineimage"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/vmutils"
)

const (
	vmService = "govm"
	vhds      = "https://govhds1.blob.core.windows.net/vhds"
)

func powerStates(c management.Client, deployment string) []string {
	d, err := vm.NewClient(c).GetDeployment(vmService, deployment)
	must("GetDeployment", err)
	states := []string{}
	for _, instance := range d.RoleInstanceList {
		states = append(states, string(instance.PowerState))
	}
	return states
}

// virtualMachine: what Packer's and Terraform's classic plugins did with the SDK: a Linux VM from
// a platform image built by vmutils (provisioning set, public SSH, a new data disk), the SDK's own
// waits on the instance status and power state, shutdown (deallocated), start, restart, capture
// as a VM image, and teardown with the disks.
func virtualMachine(c management.Client) map[string]interface{} {
	out := map[string]interface{}{}
	compute := vm.NewClient(c)
	disks := vmdisk.NewClient(c)
	images := vmimage.NewClient(c)

	image, count := vmSetup(c, "govhds1", vmService)
	out["os_images"] = count
	out["found_linux_image"] = image != ""

	role := vmutils.NewVMConfiguration("vm1", "Small")
	must("ConfigureDeploymentFromPlatformImage", vmutils.ConfigureDeploymentFromPlatformImage(&role, image, vhds+"/vm1.vhd", ""))
	must("ConfigureForLinux", vmutils.ConfigureForLinux(&role, "vm1", "azureuser", "P4ssw0rd!-go"))
	must("ConfigureWithPublicSSH", vmutils.ConfigureWithPublicSSH(&role))
	must("ConfigureWithNewDataDisk", vmutils.ConfigureWithNewDataDisk(&role, "data", vhds+"/vm1-data.vhd", 10, vmdisk.HostCachingTypeReadOnly))
	id, err := compute.CreateDeployment(role, vmService, vm.CreateDeploymentOptions{})
	wait(c, "CreateDeployment", id, err)
	must("WaitForDeploymentInstanceStatus", vmutils.WaitForDeploymentInstanceStatus(c, vmService, "vm1", vm.InstanceStatusReadyRole))
	must("WaitForDeploymentPowerState", vmutils.WaitForDeploymentPowerState(c, vmService, "vm1", vm.PowerStateStarted))

	got, err := compute.GetRole(vmService, "vm1", "vm1")
	must("GetRole", err)
	endpoints := []string{}
	for _, set := range got.ConfigurationSets {
		for _, ep := range set.InputEndpoints {
			endpoints = append(endpoints, ep.Name)
		}
	}
	dataSizes := []int{}
	for _, d := range got.DataVirtualHardDisks {
		dataSizes = append(dataSizes, d.LogicalDiskSizeInGB)
	}
	osDisk := ""
	if got.OSVirtualHardDisk != nil {
		osDisk = got.OSVirtualHardDisk.OS
	}
	out["role"] = map[string]interface{}{"name": got.RoleName, "size": got.RoleSize, "os": osDisk,
		"data_disks": dataSizes, "endpoints": endpoints}

	id, err = compute.ShutdownRole(vmService, "vm1", "vm1", vm.PostShutdownActionStoppedDeallocated)
	wait(c, "ShutdownRole", id, err)
	out["after_shutdown"] = powerStates(c, "vm1")
	id, err = images.Capture(vmService, "vm1", "vm1", "govm-image", "govm-image", vmimage.OSStateSpecialized,
		vmimage.CaptureParameters{Description: "captured by the Go SDK"})
	wait(c, "Capture", id, err)
	captured, err := images.ListVirtualMachineImages(vmimage.ListParameters{Category: vmimage.CategoryUser})
	must("ListVirtualMachineImages", err)
	names := []string{}
	for _, img := range captured.VMImages {
		names = append(names, img.Name+":"+string(img.OSDiskConfiguration.OSState))
	}
	out["user_vm_images"] = names
	id, err = compute.StartRole(vmService, "vm1", "vm1")
	wait(c, "StartRole", id, err)
	out["after_start"] = powerStates(c, "vm1")
	id, err = compute.RestartRole(vmService, "vm1", "vm1")
	wait(c, "RestartRole", id, err)

	listed, err := disks.ListDisks()
	must("ListDisks", err)
	attached := 0
	for _, d := range listed.Disk {
		if d.AttachedTo.RoleName == "vm1" {
			attached++
		}
	}
	out["disks_attached"] = attached
	id, err = compute.DeleteDeployment(vmService, "vm1")
	wait(c, "DeleteDeployment", id, err)
	listed, err = disks.ListDisks()
	must("ListDisks after", err)
	for _, d := range listed.Disk {
		must("DeleteDisk "+d.Name, disks.DeleteDisk(d.Name, true))
	}
	must("DeleteVirtualMachineImage", images.DeleteVirtualMachineImage("govm-image", true))
	id, err = hostedservice.NewClient(c).DeleteHostedService(vmService, true)
	wait(c, "DeleteHostedService", id, err)
	listed, err = disks.ListDisks()
	must("ListDisks at the end", err)
	out["disks_at_end"] = len(listed.Disk)
	return out
}
