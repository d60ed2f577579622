package seedfile

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteErrorsCSV(t *testing.T) {
	rows := []RowError{
		{Line: 3, Serial: "S-1", Reason: "time interval must be 30 or 60 seconds", Row: Row{
			UPN: "amy@contoso.com", SerialNumber: "S-1", SecretKey: NewSecret(testSeed), TimeInterval: "45",
			Manufacturer: "Contoso, Ltd.", Model: `Token "Pro"`}},
		{Line: 9, Reason: "the row has 5 fields but the header has 6"},
	}
	var b bytes.Buffer
	if err := WriteErrorsCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := "line,upn,serial number,secret key,time interval,manufacturer,model,hash function,reason\n" +
		"3,amy@contoso.com,S-1,GE…JQ,45,\"Contoso, Ltd.\",\"Token \"\"Pro\"\"\",,time interval must be 30 or 60 seconds\n" +
		"9,,,,,,,,the row has 5 fields but the header has 6\n"
	if b.String() != want {
		t.Errorf("errors CSV:\n%s\nwant:\n%s", b.String(), want)
	}
	if strings.Contains(b.String(), testSeed) {
		t.Error("errors CSV contains the seed")
	}
	// The file must read back as CSV and as an import file (line and
	// reason ignored), so a user can fix it and import it again.
	if _, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll(); err != nil {
		t.Errorf("errors CSV does not parse: %v", err)
	}
	res, err := ParseCSV(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("errors CSV is not importable: %v", err)
	}
	if len(res.Errors) != 2 || !strings.Contains(res.Errors[0].Reason, "masked") {
		t.Errorf("re-importing the unfixed errors file: %+v", res.Errors)
	}
}

func TestWriteErrorsFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "errors.csv")
	// An existing file with wider permissions must be narrowed, not kept.
	if err := os.WriteFile(path, []byte("old contents that are longer than the new ones ...................................................................................................................................................................\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := []RowError{{Line: 2, Serial: "S-1", Reason: "r", Row: Row{SerialNumber: "S-1", SecretKey: NewSecret(testSeed)}}}
	if err := WriteErrorsFile(path, rows); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("errors file mode %o, want 600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "old contents") || strings.Contains(string(data), testSeed) {
		t.Errorf("errors file contents:\n%s", data)
	}
	if err := WriteErrorsFile(filepath.Join(t.TempDir(), "missing", "errors.csv"), rows); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
