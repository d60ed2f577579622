//go:build darwin && !cgo

package graph

import (
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// persistentCache: the macOS Keychain needs cgo; a CGO_ENABLED=0 build (as
// the release archives are) keeps tokens in memory for the process only.
func persistentCache(string) (azidentity.Cache, error) {
	return azidentity.Cache{}, errors.New("this macOS build has no Keychain access (built without cgo)")
}
