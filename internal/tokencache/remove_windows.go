package tokencache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// Remove deletes the profile cache's DPAPI-encrypted files and lock files
// under %LOCALAPPDATA%\.IdentityService (azidentity/cache@v0.4.0
// cache_windows.go).
func Remove(name string) error {
	dir, err := windows.KnownFolderPath(windows.FOLDERID_LocalAppData, 0)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names(name) {
		for _, p := range []string{filepath.Join(dir, ".IdentityService", n), filepath.Join(dir, ".IdentityService", n+".lockfile")} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
