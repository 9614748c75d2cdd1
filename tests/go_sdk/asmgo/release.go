package main

import (
	"encoding/base64"
	"fmt"
	"regexp"

	"github.com/Azure/azure-sdk-for-go/services/classic/management"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/affinitygroup"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/hostedservice"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/location"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/storageservice"
	vm "github.com/Azure/azure-sdk-for-go/services/classic/management/virtualmachine"
)

const service = "gosvc"

func cscfg(version string) string {
	return `<?xml version="1.0"?><ServiceConfiguration serviceName="` + service + `" ` +
		`xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">` +
		`<Role name="WebRole1"><Instances count="2"/><ConfigurationSettings>` +
		`<Setting name="Version" value="` + version + `"/></ConfigurationSettings></Role></ServiceConfiguration>`
}

// The SDK's caller encodes the configuration (the SDK sends Configuration as given).
func packageOptions(version string) vm.CreateDeploymentFromPackageOptions {
	return vm.CreateDeploymentFromPackageOptions{
		Name:            service + "-" + version,
		PackageURL:      "https://gostore1.blob.core.windows.net/packages/" + version + ".cspkg",
		Label:           base64.StdEncoding.EncodeToString([]byte(version)),
		Configuration:   base64.StdEncoding.EncodeToString([]byte(cscfg(version))),
		StartDeployment: true,
	}
}

var versionSetting = regexp.MustCompile(`Version" value="(v\d)"`)

// configVersion is the Version setting of a deployment's (base64) configuration.
func configVersion(d vm.DeploymentResponse) string {
	raw, err := base64.StdEncoding.DecodeString(d.Configuration)
	if err != nil {
		return "not base64: " + err.Error()
	}
	if m := versionSetting.FindStringSubmatch(string(raw)); m != nil {
		return m[1]
	}
	return ""
}

func wait(c management.Client, step string, id management.OperationID, err error) {
	must(step, err)
	must(step+" (wait)", c.WaitForOperation(id, nil))
}

// release: locations and role sizes, an affinity group, a storage account and its keys, a cloud
// service, v1 in production and v2 in staging, a create refused in an occupied slot, the SDK's
// own VIP swap (it reads both slots' names first), a configuration change, suspend and resume,
// a 404 after delete, teardown.
func release(c management.Client) map[string]interface{} {
	out := map[string]interface{}{}
	compute := vm.NewClient(c)
	hosted := hostedservice.NewClient(c)
	storage := storageservice.NewClient(c)
	groups := affinitygroup.NewClient(c)

	locations, err := location.NewClient(c).ListLocations()
	must("ListLocations", err)
	names := []string{}
	for _, l := range locations.Locations {
		names = append(names, l.Name)
		if l.Name == "West US" {
			out["west_us_vm_sizes"] = len(l.VirtualMachineRoleSizes)
		}
	}
	out["locations"] = names
	sizes, err := compute.GetRoleSizeList()
	must("GetRoleSizeList", err)
	out["role_sizes"] = len(sizes.RoleSizes)

	must("CreateAffinityGroup", groups.CreateAffinityGroup(affinitygroup.CreateAffinityGroupParams{
		Name: "goag", Label: "goag", Location: "West US"}))
	group, err := groups.GetAffinityGroup("goag")
	must("GetAffinityGroup", err)
	out["affinity_group"] = map[string]string{"name": group.Name, "label": group.Label, "location": group.Location}

	avail, err := storage.CheckStorageAccountNameAvailability("gostore1")
	must("CheckStorageAccountNameAvailability", err)
	out["storage_name_available"] = avail.Result
	id, err := storage.CreateStorageService(storageservice.StorageAccountCreateParameters{
		ServiceName: "gostore1", Label: base64.StdEncoding.EncodeToString([]byte("gostore1")),
		Location: "West US", AccountType: storageservice.AccountTypeStandardLRS})
	wait(c, "CreateStorageService", id, err)
	account, err := storage.GetStorageService("gostore1")
	must("GetStorageService", err)
	out["storage_status"] = account.StorageServiceProperties.Status
	out["storage_endpoints"] = len(account.StorageServiceProperties.Endpoints)
	keys, err := storage.GetStorageServiceKeys("gostore1")
	must("GetStorageServiceKeys", err)
	out["has_primary_key"] = keys.PrimaryKey != "" && keys.SecondaryKey != ""

	hsAvail, err := hosted.CheckHostedServiceNameAvailability(service)
	must("CheckHostedServiceNameAvailability", err)
	out["service_name_available"] = hsAvail.Result
	must("CreateHostedService", hosted.CreateHostedService(hostedservice.CreateHostedServiceParameters{
		ServiceName: service, Label: base64.StdEncoding.EncodeToString([]byte(service)), Location: "West US"}))
	services, err := hosted.ListHostedServices()
	must("ListHostedServices", err)
	listed := []string{}
	for _, s := range services.HostedServices {
		listed = append(listed, s.ServiceName)
	}
	out["services"] = listed

	id, err = compute.CreateDeploymentFromPackage(service, vm.DeploymentSlotProduction, packageOptions("v1"))
	wait(c, "CreateDeploymentFromPackage v1", id, err)
	id, err = compute.CreateDeploymentFromPackage(service, vm.DeploymentSlotStaging, packageOptions("v2"))
	wait(c, "CreateDeploymentFromPackage v2", id, err)
	_, err = compute.CreateDeploymentFromPackage(service, vm.DeploymentSlotStaging, packageOptions("v3"))
	out["occupied_slot"] = failure(err)

	before, err := compute.GetDeploymentBySlot(service, vm.DeploymentSlotProduction)
	must("GetDeploymentBySlot production", err)
	out["production_before"] = before.Name
	out["production_status"] = string(before.Status)
	label, _ := base64.StdEncoding.DecodeString(before.Label)
	out["production_label"] = string(label)
	out["configuration_version"] = configVersion(before)
	statuses := []string{}
	for _, instance := range before.RoleInstanceList {
		statuses = append(statuses, string(instance.InstanceStatus))
	}
	out["role_instances"] = statuses

	id, err = compute.SwapDeployment(service)
	wait(c, "SwapDeployment", id, err)
	production, err := compute.GetDeploymentNameForSlot(service, vm.DeploymentSlotProduction)
	must("GetDeploymentNameForSlot production", err)
	staging, err := compute.GetDeploymentNameForSlot(service, vm.DeploymentSlotStaging)
	must("GetDeploymentNameForSlot staging", err)
	out["after_swap"] = []string{production, staging}

	id, err = compute.ChangeDeploymentConfiguration(service, vm.DeploymentSlotProduction,
		vm.ChangeDeploymentConfigurationRequestOptions{
			Configuration: base64.StdEncoding.EncodeToString([]byte(cscfg("v4")))})
	wait(c, "ChangeDeploymentConfiguration", id, err)
	changed, err := compute.GetDeploymentBySlot(service, vm.DeploymentSlotProduction)
	must("GetDeploymentBySlot after change", err)
	out["configuration_after_change"] = configVersion(changed)

	id, err = compute.UpdateDeploymentStatus(service, vm.DeploymentSlotStaging, "Suspended")
	wait(c, "UpdateDeploymentStatus Suspended", id, err)
	suspended, err := compute.GetDeploymentBySlot(service, vm.DeploymentSlotStaging)
	must("GetDeploymentBySlot suspended", err)
	out["staging_suspended"] = string(suspended.Status)
	id, err = compute.UpdateDeploymentStatusByName(service, staging, "Running")
	wait(c, "UpdateDeploymentStatusByName Running", id, err)

	id, err = compute.DeleteDeploymentBySlot(service, vm.DeploymentSlotStaging)
	wait(c, "DeleteDeploymentBySlot staging", id, err)
	_, err = compute.GetDeploymentBySlot(service, vm.DeploymentSlotStaging)
	out["deleted_slot_not_found"] = management.IsResourceNotFoundError(err)
	out["deleted_slot"] = failure(err)
	// The SDK's helper reads a 404 on the slot as "no deployment", not as an error.
	empty, err := compute.GetDeploymentNameForSlot(service, vm.DeploymentSlotStaging)
	out["empty_slot_name"] = fmt.Sprintf("%q err=%v", empty, err)

	id, err = compute.DeleteDeployment(service, production)
	wait(c, "DeleteDeployment production", id, err)
	id, err = hosted.DeleteHostedService(service, true)
	wait(c, "DeleteHostedService", id, err)
	id, err = storage.DeleteStorageService("gostore1")
	wait(c, "DeleteStorageService", id, err)
	must("DeleteAffinityGroup", groups.DeleteAffinityGroup("goag"))
	_, err = groups.GetAffinityGroup("goag")
	out["group_after_delete"] = failure(err)
	services, err = hosted.ListHostedServices()
	must("ListHostedServices after", err)
	out["services_after"] = len(services.HostedServices)
	return out
}
