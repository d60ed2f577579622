package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// referenceDir is the checked-in command reference, relative to this
// package.
const referenceDir = "../docs/reference"

// TestReferenceIsCurrent fails when docs/reference differs from what the
// command tree generates, so a changed flag or help text cannot ship with a
// stale reference. MFACTL_UPDATE_DOCS=1 rewrites it instead.
func TestReferenceIsCurrent(t *testing.T) {
	if os.Getenv("MFACTL_UPDATE_DOCS") == "1" {
		old, _ := filepath.Glob(filepath.Join(referenceDir, "mfactl*.md"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := GenerateMarkdown(referenceDir); err != nil {
			t.Fatal(err)
		}
		return
	}
	dir := t.TempDir()
	if err := GenerateMarkdown(dir); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, dir)
	got := readTree(t, referenceDir)
	for name, body := range want {
		have, ok := got[name]
		switch {
		case !ok:
			t.Errorf("docs/reference/%s is missing", name)
		case have != body:
			t.Errorf("docs/reference/%s is out of date", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/reference/%s documents a command that no longer exists", name)
		}
	}
	if t.Failed() {
		t.Log("regenerate with: MFACTL_UPDATE_DOCS=1 go test ./cmd -run TestReferenceIsCurrent")
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "mfactl*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func TestManAndCompletions(t *testing.T) {
	dir := t.TempDir()
	date := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if err := GenerateMan(filepath.Join(dir, "man"), date); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "man", "mfactl-user-show.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), ".TH \"MFACTL\" \"1\" \"Dec 2026\"") {
		t.Errorf("man page header is not stamped with the given date:\n%.200s", page)
	}
	if err := GenerateCompletions(filepath.Join(dir, "comp")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"mfactl.bash", "mfactl.zsh", "mfactl.fish", "mfactl.ps1"} {
		b, err := os.ReadFile(filepath.Join(dir, "comp", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "mfactl") {
			t.Errorf("%s does not complete mfactl", f)
		}
	}
}
