// Microsoft's Go ASM SDK (azure-sdk-for-go services/classic/management, the client Packer's and
// Terraform's classic Azure plugins were built on), unchanged, against the emulator over mutual
// TLS. One scenario per run; the result is one JSON line on stdout.
//
// Usage: SSL_CERT_FILE=<emulator ca.pem> asmgo <endpoint.json> release|vm|roles
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/services/classic/management"
)

type endpoint struct {
	Host           string `json:"host"`
	SubscriptionID string `json:"subscription_id"`
	ClientPEM      string `json:"client_pem"`
}

// connect builds the SDK's own client from the emulator's endpoint.json: the PEM holds the
// management certificate and its key, as a user's .pem did; the CA is trusted via SSL_CERT_FILE.
func connect(path string) (management.Client, error) {
	raw, err := ioutil.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ep endpoint
	if err := json.Unmarshal(raw, &ep); err != nil {
		return nil, err
	}
	pem, err := ioutil.ReadFile(ep.ClientPEM)
	if err != nil {
		return nil, err
	}
	config := management.DefaultConfig()
	config.ManagementURL = "https://" + ep.Host
	config.OperationPollInterval = 100 * time.Millisecond
	return management.NewClientFromConfig(ep.SubscriptionID, pem, config)
}

// failure is what the SDK made of an error answer: its typed AzureError, or the text of anything else.
func failure(err error) map[string]string {
	if err == nil {
		return nil
	}
	if azErr, ok := err.(management.AzureError); ok {
		return map[string]string{"code": azErr.Code, "message": azErr.Message}
	}
	return map[string]string{"error": err.Error()}
}

// must stops the scenario at the first unexpected error, naming the step.
func must(step string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: asmgo <endpoint.json> release|vm|roles")
		os.Exit(2)
	}
	client, err := connect(os.Args[1])
	must("connect", err)
	scenarios := map[string]func(management.Client) map[string]interface{}{"release": release, "vm": virtualMachine, "roles": roles}
	run, ok := scenarios[os.Args[2]]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown scenario", os.Args[2])
		os.Exit(2)
	}
	out, err := json.Marshal(run(client))
	must("json", err)
	fmt.Println(string(out))
}
