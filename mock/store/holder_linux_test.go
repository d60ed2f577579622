package store

import (
	"bufio"
	"strings"
	"testing"
)

func TestHolderFromProcLocks(t *testing.T) {
	const locks = `1: POSIX  ADVISORY  WRITE 700 fd:01:555 0 EOF
2: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF
2: -> FLOCK  ADVISORY  WRITE 4343 fd:01:1234567 0 EOF
3: FLOCK  ADVISORY  WRITE 99 fd:01:77 0 EOF
`
	argv := map[int][]string{4242: {"/usr/local/bin/mfactl", "--mock", "verify", "adele@contoso.example", "--code", "123456"},
		99: {"mfactl", "mock", "outbox", "--follow"}}
	cmdline := func(pid int) []string { return argv[pid] }
	tests := []struct {
		ino  uint64
		self int
		want string
	}{
		{1234567, 1, "process 4242 (mfactl verify)"},
		{77, 1, "process 99 (mfactl mock outbox)"},
		{77, 99, "another process"},
		{555, 1, "another process"}, // a POSIX lock is not bbolt's
		{12345, 1, "another process"},
	}
	for _, tt := range tests {
		got := holderIn(bufio.NewScanner(strings.NewReader(locks)), tt.ino, tt.self, cmdline).String()
		if got != tt.want {
			t.Errorf("inode %d: %q, want %q", tt.ino, got, tt.want)
		}
	}
	if got := commandOf([]string{"mfactl", "verify", "adele.vance@contoso.example"}); got != "mfactl verify" {
		t.Errorf("commandOf: %q", got)
	}
}
