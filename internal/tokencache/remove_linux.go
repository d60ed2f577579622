package tokencache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Remove deletes the profile cache's files (the encrypted data, which is
// also MSAL's timestamp file, and its lock file) and unlinks the encryption
// key from the user keyring (or the persistent keyring azidentity links to
// it), as azidentity/cache@v0.4.0 cache_linux.go lays them out.
func Remove(name string) error {
	dir, err := cacheDir()
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
		unlinkKey(n)
	}
	return errors.Join(errs...)
}

func cacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache"), nil
}

// unlinkKey removes the cache's key (type "user", description = the cache
// name) from the keyring azidentity stores it in. Without the file the key
// decrypts nothing, so failures are ignored.
func unlinkKey(name string) {
	ring, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, false)
	if err != nil {
		return
	}
	rings := []int{ring}
	if persistent, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, -1, ring, 0, 0); err == nil {
		rings = append([]int{persistent}, rings...)
	}
	for _, r := range rings {
		if id, err := unix.KeyctlSearch(r, "user", name, 0); err == nil {
			_, _ = unix.KeyctlInt(unix.KEYCTL_UNLINK, id, r, 0, 0)
		}
	}
}
