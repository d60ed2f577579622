package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.json")
	if err := Write(target, 0o600, func(w io.Writer) error {
		_, err := w.Write([]byte("complete"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if b, _ := os.ReadFile(target); string(b) != "complete" {
		t.Errorf("content %q", b)
	}
	boom := errors.New("boom")
	if err := Write(target, 0o600, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "complete" {
		t.Errorf("failed write replaced the file: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left, want 1", len(entries))
	}
	a, err := Create(target, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("x")); err == nil {
		t.Error("write after commit succeeded")
	}
	if err := a.Close(); err != nil {
		t.Errorf("close after commit: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "missing", "x.json"), 0o600); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

func TestWriteBytesMode(t *testing.T) {
	for _, perm := range []os.FileMode{0o600, 0o644} {
		target := filepath.Join(t.TempDir(), "x.pem")
		if err := WriteBytes(target, []byte("pem"), perm); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(target)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != perm {
			t.Errorf("mode %v, want %v", info.Mode().Perm(), perm)
		}
		if b, _ := os.ReadFile(target); string(b) != "pem" {
			t.Errorf("content %q", b)
		}
	}
}

// A temporary file left by a killed process (one that no longer runs) is
// removed by the next write of the same target; one of a running process,
// and other files, are kept.
func TestCreateSweepsWhatKilledRunsLeft(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.csv")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no `true` to make a finished process:", err)
	}
	deadPID := dead.Process.Pid
	left := filepath.Join(dir, fmt.Sprintf(".report.csv.%d-123.tmp", deadPID))
	live := filepath.Join(dir, fmt.Sprintf(".report.csv.%d-456.tmp", os.Getppid()))
	old := filepath.Join(dir, ".report.csv.789.tmp")
	other := filepath.Join(dir, ".other.csv.1-1.tmp")
	for _, p := range []string{left, live, old, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(target, []byte("ok"), 0o600); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{left: false, old: false, live: true, other: true} {
		_, err := os.Stat(p)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(p), got, want)
		}
	}
}
