package graph

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Cloud is one Microsoft Graph deployment: where tokens come from and
// where Graph answers. The roots are those of
// microsoft-graph-docs-contrib concepts/deployments.md ("App registration
// and token service root endpoints", "Microsoft Graph and Graph Explorer
// service root endpoints").
type Cloud struct {
	// Name is mfactl's name for it (the cloud setting), as Graph
	// PowerShell's Connect-MgGraph -Environment names it.
	Name string
	// AuthorityHost is the Microsoft Entra ID endpoint.
	AuthorityHost string
	// GraphRoot is the Graph service root, without a version.
	GraphRoot string
}

// Scope is the token scope for this cloud's Graph: the app's configured
// permissions. Tokens of one cloud are not accepted by another
// (deployments.md: "Access tokens acquired for a national cloud deployment
// are not interchangeable").
func (c Cloud) Scope() string { return c.GraphRoot + "/.default" }

// configuration is the azcore cloud configuration every azidentity
// credential is given, so that none of them falls back to the public
// authority host.
func (c Cloud) configuration() cloud.Configuration {
	return cloud.Configuration{ActiveDirectoryAuthorityHost: c.AuthorityHost + "/"}
}

// Cloud names.
const (
	CloudGlobal   = "global"
	CloudUSGov    = "usgov"
	CloudUSGovDoD = "usgovdod"
	CloudChina    = "china"
)

// Clouds lists the deployments mfactl signs in to.
var Clouds = []Cloud{
	{Name: CloudGlobal, AuthorityHost: "https://login.microsoftonline.com", GraphRoot: PublicCloudRoot},
	// GCC High (L4). A GCC tenant uses the global service (deployments.md).
	{Name: CloudUSGov, AuthorityHost: "https://login.microsoftonline.us", GraphRoot: "https://graph.microsoft.us"},
	// DoD (L5): the US Government authority, its own Graph host.
	{Name: CloudUSGovDoD, AuthorityHost: "https://login.microsoftonline.us", GraphRoot: "https://dod-graph.microsoft.us"},
	{Name: CloudChina, AuthorityHost: "https://login.chinacloudapi.cn", GraphRoot: "https://microsoftgraph.chinacloudapi.cn"},
}

// cloudAliases are other names admins know the clouds by (azcore's and
// the Azure CLI's).
var cloudAliases = map[string]string{
	"":                     CloudGlobal,
	"public":               CloudGlobal,
	"azurepublic":          CloudGlobal,
	"azurecloud":           CloudGlobal,
	"gcc":                  CloudGlobal,
	"azuregovernment":      CloudUSGov,
	"azureusgovernment":    CloudUSGov,
	"gcchigh":              CloudUSGov,
	"dod":                  CloudUSGovDoD,
	"azureusgovernmentdod": CloudUSGovDoD,
	"azurechina":           CloudChina,
	"azurechinacloud":      CloudChina,
}

// CloudNames lists the names LookupCloud accepts first.
func CloudNames() []string {
	names := make([]string, len(Clouds))
	for i, c := range Clouds {
		names[i] = c.Name
	}
	return names
}

// LookupCloud finds a cloud by its name or an alias, case and dashes
// ignored; "" is the global service.
func LookupCloud(name string) (Cloud, error) {
	key := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.TrimSpace(name)))
	if alias, ok := cloudAliases[key]; ok {
		key = alias
	}
	for _, c := range Clouds {
		if c.Name == key {
			return c, nil
		}
	}
	return Cloud{}, fmt.Errorf("unknown cloud %q (want one of %s)", name, strings.Join(CloudNames(), ", "))
}
