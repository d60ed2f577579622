package store

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// LockHolder finds the process holding the flock on path in /proc/locks
// (by the file's inode) and reads its command line.
func LockHolder(path string) Holder {
	info, err := os.Stat(path)
	if err != nil {
		return Holder{}
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return Holder{}
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return Holder{}
	}
	defer f.Close()
	return holderIn(bufio.NewScanner(f), st.Ino, os.Getpid(), readCmdline)
}

// holderIn reads /proc/locks lines ("1: FLOCK  ADVISORY  WRITE 4242
// fd:01:1234567 0 EOF") for a lock on inode ino held by a process other
// than self.
func holderIn(sc *bufio.Scanner, ino uint64, self int, cmdline func(int) []string) Holder {
	suffix := ":" + strconv.FormatUint(ino, 10)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[3] == "->" {
			continue
		}
		if !strings.HasSuffix(fields[5], suffix) {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid == self {
			continue
		}
		return Holder{PID: pid, Command: commandOf(cmdline(pid))}
	}
	return Holder{}
}

func readCmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
}

// commandOf is the program's name and its first two words that look like
// subcommands (lower-case letters, digits and dashes, such as "verify",
// "outbox"): "mfactl verify", "mfactl mock outbox". Flags and anything
// else (a user, a code, a secret) are left out.
func commandOf(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	out := []string{filepath.Base(argv[0])}
	for _, a := range argv[1:] {
		if len(out) == 3 {
			break
		}
		if subcommandWord.MatchString(a) {
			out = append(out, a)
		}
	}
	return strings.Join(out, " ")
}

var subcommandWord = regexp.MustCompile(`^[a-z][a-z-]*$`)
