package main

import (
	"encoding/base64"

	"github.com/Azure/azure-sdk-for-go/services/classic/management"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/hostedservice"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/osimage"
	"github.com/Azure/azure-sdk-for-go/services/classic/management/storageservice"
)

// vmSetup is what a VM scenario needs first, made with the SDK: a storage account for the VHDs and
// a cloud service, both in West US. It returns the first Linux OS image and how many images there are.
func vmSetup(c management.Client, account, service string) (string, int) {
	id, err := storageservice.NewClient(c).CreateStorageService(storageservice.StorageAccountCreateParameters{
		ServiceName: account, Label: base64.StdEncoding.EncodeToString([]byte(account)),
		Location: "West US", AccountType: storageservice.AccountTypeStandardLRS})
	wait(c, "CreateStorageService", id, err)
	must("CreateHostedService", hostedservice.NewClient(c).CreateHostedService(hostedservice.CreateHostedServiceParameters{
		ServiceName: service, Label: base64.StdEncoding.EncodeToString([]byte(service)), Location: "West US"}))
	list, err := osimage.NewClient(c).ListOSImages()
	must("ListOSImages", err)
	for _, candidate := range list.OSImages {
		if candidate.OS == "Linux" {
			return candidate.Name, len(list.OSImages)
		}
	}
	return "", len(list.OSImages)
}
