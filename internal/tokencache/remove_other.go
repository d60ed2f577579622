//go:build !linux && !windows && !(darwin && cgo)

package tokencache

// Remove has nothing to delete: this build keeps tokens in memory only
// (azidentity/cache has no store here, or, on macOS, the Keychain needs cgo).
func Remove(string) error { return nil }
