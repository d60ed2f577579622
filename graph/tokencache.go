//go:build !darwin || cgo

package graph

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
)

// persistentCache returns the OS-backed token cache (kernel keyring on Linux,
// DPAPI on Windows, Keychain on macOS), or an error where none is available.
func persistentCache() (azidentity.Cache, error) {
	return cache.New(&cache.Options{Name: "mfactl"})
}
