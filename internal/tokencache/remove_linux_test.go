package tokencache

import (
	"os"
	"path/filepath"
	"testing"
)

// Remove deletes both caches of a profile (CAE and not) and their lock
// files, and leaves other profiles' caches alone.
func TestRemoveLinux(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	store := filepath.Join(dir, ".IdentityService")
	if err := os.MkdirAll(store, 0o700); err != nil {
		t.Fatal(err)
	}
	mine := []string{"mfactl-a", "mfactl-a.cae", "mfactl-a.lockfile", "mfactl-a.cae.lockfile"}
	other := []string{"mfactl-b", "mfactl-b.cae"}
	for _, n := range append(append([]string{}, mine...), other...) {
		if err := os.WriteFile(filepath.Join(store, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Remove(Name("a")); err != nil {
		t.Fatal(err)
	}
	for _, n := range mine {
		if _, err := os.Stat(filepath.Join(store, n)); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", n, err)
		}
	}
	for _, n := range other {
		if _, err := os.Stat(filepath.Join(store, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
	if err := Remove(Name("a")); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}
