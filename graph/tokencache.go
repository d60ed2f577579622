//go:build !darwin || cgo

package graph

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"

	"github.com/mfactl/mfactl/internal/tokencache"
)

// persistentCache returns the profile's OS-backed token cache (kernel
// keyring on Linux, DPAPI on Windows, Keychain on macOS), or an error where
// none is available. Each profile has its own, so `auth logout` can remove
// one profile's tokens (RemoveTokenCache).
func persistentCache(profile string) (azidentity.Cache, error) {
	return cache.New(&cache.Options{Name: tokencache.Name(profile)})
}
