package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/bulk"
	"github.com/mfactl/mfactl/methods"
)

// TestSecretsFileReadsPassesOnlyWhenAsked: opening --secrets-out holds no
// pass ids (an apply issuing 100,000 passes would hold them all); the first
// has reads them from the file, this run's and an earlier run's alike.
func TestSecretsFileReadsPassesOnlyWhenAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "taps.csv")
	sf, err := openSecretsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sf.write(bulk.UserPlan{UPN: "a@contoso.example"}, methods.Method{ID: "PASS-1", Pass: "p1"}); err != nil {
		t.Fatal(err)
	}
	sf.Close()

	sf, err = openSecretsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	if sf.ids != nil {
		t.Fatalf("opening the file read %d pass ids", len(sf.ids))
	}
	if err := sf.write(bulk.UserPlan{UPN: "b@contoso.example"}, methods.Method{ID: "pass-2", Pass: "p2"}); err != nil {
		t.Fatal(err)
	}
	if sf.ids != nil {
		t.Fatalf("writing a pass kept %d pass ids", len(sf.ids))
	}
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"pass-1", true}, // an earlier run's, other case
		{"PASS-2", true}, // this run's
		{"pass-3", false},
		{"", false},
	} {
		if got := sf.has(tt.id); got != tt.want {
			t.Errorf("has(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if err := sf.write(bulk.UserPlan{UPN: "c@contoso.example"}, methods.Method{ID: "pass-3", Pass: "p3"}); err != nil {
		t.Fatal(err)
	}
	if !sf.has("pass-3") {
		t.Error("a pass written after the ids were read is not known")
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 4 {
		t.Errorf("the file has %d lines, want a header and 3 passes:\n%s", n, b)
	}
}
