// Package tokencache names and removes mfactl's persistent token caches:
// one per profile, in the OS store azidentity/cache uses (a file under
// $XDG_CACHE_HOME/.IdentityService (default ~/.cache/.IdentityService)
// encrypted with a key in the kernel's user keyring on Linux, DPAPI files
// under %LOCALAPPDATA%\.IdentityService on Windows, the login Keychain on
// macOS). azidentity keeps CAE and non-CAE tokens in two caches, NAME and
// NAME.cae; Remove deletes both.
package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// prefix starts every mfactl cache name.
const prefix = "mfactl-"

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Name is the cache name of a profile: "mfactl-<profile>", or a hash of the
// profile when its name is not a plain file name.
func Name(profile string) string {
	if safeName.MatchString(profile) && profile != "." && profile != ".." {
		return prefix + profile
	}
	sum := sha256.Sum256([]byte(profile))
	return prefix + hex.EncodeToString(sum[:8])
}

// names are the storage names azidentity/cache uses for a cache name.
func names(name string) []string { return []string{name, name + ".cae"} }
