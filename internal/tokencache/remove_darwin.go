//go:build darwin && cgo

package tokencache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/AzureAD/microsoft-authentication-extensions-for-go/cache/accessor"
)

// Remove deletes the profile cache's Keychain items (service = cache name,
// account "MSALCache") and its timestamp and lock files under
// ~/.IdentityService (azidentity/cache@v0.4.0 cache_darwin.go).
func Remove(name string) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names(name) {
		a, err := accessor.New(n, accessor.WithAccount("MSALCache"))
		if err == nil {
			err = a.Delete(context.Background())
		}
		if err != nil {
			errs = append(errs, err)
		}
		for _, p := range []string{filepath.Join(home, ".IdentityService", n), filepath.Join(home, ".IdentityService", n+".lockfile")} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
