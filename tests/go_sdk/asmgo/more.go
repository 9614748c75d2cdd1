package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"

	"github.com/Azure/azure-sdk-for-go/services/classic/management"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/hostedservice"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/osimage"
	vm "github.com/Azure/azure-sdk-for-go/services/classic/management/virtualmachine"
	vmdisk "github.com/Azure/azure-sdk-for-go/services/classic/management/virtualmachinedisk"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/vmutils"
)

const moreService = "gomore"

// selfSigned is a throw-away DER certificate for Add Service Certificate (made here, never stored).
func selfSigned() []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must("GenerateKey", err)
	template := x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gomore"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	must("CreateCertificate", err)
	return der
}

// roles: the calls around a VM deployment that the other scenarios leave out: a service
// certificate, data disks (add, get, update, delete), a second role (add, update its size, delete),
// an OS image added from a VHD (the SDK sends every OSImage field, empty ones included), and
// Capture Role to an OS image.
func roles(c management.Client) map[string]interface{} {
	out := map[string]interface{}{}
	compute := vm.NewClient(c)
	disks := vmdisk.NewClient(c)
	hosted := hostedservice.NewClient(c)
	vhd := func(name string) string { return "https://gomore1.blob.core.windows.net/vhds/" + name + ".vhd" }

	image, _ := vmSetup(c, "gomore1", moreService)
	id, err := hosted.AddCertificate(moreService, selfSigned(), hostedservice.CertificateFormatCer, "")
	wait(c, "AddCertificate", id, err)
	service, err := hosted.GetHostedService(moreService)
	must("GetHostedService", err)
	out["service_location"] = service.Location

	first := vmutils.NewVMConfiguration("web1", "Small")
	must("platform image", vmutils.ConfigureDeploymentFromPlatformImage(&first, image, vhd("web1"), ""))
	must("ConfigureForLinux", vmutils.ConfigureForLinux(&first, "web1", "azureuser", "P4ssw0rd!-go"))
	must("ConfigureWithExternalPort", vmutils.ConfigureWithExternalPort(&first, "http", 80, 80, vm.InputEndpointProtocolTCP))
	id, err = compute.CreateDeployment(first, moreService, vm.CreateDeploymentOptions{})
	wait(c, "CreateDeployment", id, err)

	id, err = disks.AddDataDisk(moreService, "web1", "web1", vmdisk.CreateDataDiskParameters{
		Lun: 1, LogicalDiskSizeInGB: 20, MediaLink: vhd("web1-data1"), DiskLabel: "data1"})
	wait(c, "AddDataDisk", id, err)
	disk, err := disks.GetDataDisk(moreService, "web1", "web1", 1)
	must("GetDataDisk", err)
	out["data_disk"] = map[string]interface{}{"lun": disk.Lun, "size": disk.LogicalDiskSizeInGB, "label": disk.DiskLabel}
	id, err = disks.UpdateDataDisk(moreService, "web1", "web1", 1, vmdisk.UpdateDataDiskParameters{
		HostCaching: vmdisk.HostCachingTypeReadWrite, DiskName: disk.DiskName, Lun: 1, MediaLink: disk.MediaLink})
	wait(c, "UpdateDataDisk", id, err)
	disk, err = disks.GetDataDisk(moreService, "web1", "web1", 1)
	must("GetDataDisk after update", err)
	out["data_disk_caching"] = string(disk.HostCaching)
	id, err = disks.DeleteDataDisk(moreService, "web1", "web1", 1, true)
	wait(c, "DeleteDataDisk", id, err)
	_, err = disks.GetDataDisk(moreService, "web1", "web1", 1)
	out["data_disk_after_delete"] = failure(err)

	second := vmutils.NewVMConfiguration("web2", "Small")
	must("platform image 2", vmutils.ConfigureDeploymentFromPlatformImage(&second, image, vhd("web2"), ""))
	must("ConfigureForLinux 2", vmutils.ConfigureForLinux(&second, "web2", "azureuser", "P4ssw0rd!-go"))
	id, err = compute.AddRole(moreService, "web1", second)
	wait(c, "AddRole", id, err)
	role, err := compute.GetRole(moreService, "web1", "web2")
	must("GetRole web2", err)
	role.RoleSize = "Medium"
	role.ConfigurationSets = nil // Get Role returns no provisioning set; Update Role sends what it got
	id, err = compute.UpdateRole(moreService, "web1", "web2", *role)
	wait(c, "UpdateRole", id, err)
	role, err = compute.GetRole(moreService, "web1", "web2")
	must("GetRole web2 after update", err)
	out["updated_size"] = role.RoleSize
	deployment, err := compute.GetDeployment(moreService, "web1")
	must("GetDeployment", err)
	out["roles"] = len(deployment.RoleList)
	id, err = compute.DeleteRole(moreService, "web1", "web2", true)
	wait(c, "DeleteRole", id, err)
	deployment, err = compute.GetDeployment(moreService, "web1")
	must("GetDeployment after DeleteRole", err)
	out["roles_after_delete"] = len(deployment.RoleList)

	id, err = osimage.NewClient(c).AddOSImage(&osimage.OSImage{
		Label: "golden", Name: "go-golden", OS: "Linux", MediaLink: vhd("golden")})
	wait(c, "AddOSImage", id, err)

	id, err = compute.ShutdownRole(moreService, "web1", "web1", vm.PostShutdownActionStopped)
	wait(c, "ShutdownRole", id, err)
	id, err = compute.CaptureRole(moreService, "web1", "web1", "go-captured", "go-captured", nil)
	wait(c, "CaptureRole", id, err)
	images, err := osimage.NewClient(c).ListOSImages()
	must("ListOSImages after", err)
	user := []string{}
	for _, candidate := range images.OSImages {
		if candidate.Category == "User" {
			user = append(user, candidate.Name)
		}
	}
	out["user_os_images"] = user
	// Capture Role with PostCaptureAction Delete takes the VM away.
	_, err = compute.GetRole(moreService, "web1", "web1")
	out["role_after_capture"] = failure(err)

	id, err = hosted.DeleteHostedService(moreService, true)
	wait(c, "DeleteHostedService", id, err)
	return out
}
