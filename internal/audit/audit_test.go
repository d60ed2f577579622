package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

func newLog(t *testing.T) *Log {
	t.Helper()
	return Open(filepath.Join(t.TempDir(), "sub", DefaultFileName))
}

func sample(i int) Record {
	return Record{
		Time:    time.Date(2025, 6, 2, 8, 0, i, 0, time.UTC),
		Actor:   Actor{UPN: "helpdesk@contoso.example", Source: "me"},
		Tenant:  "contoso.example",
		Command: fmt.Sprintf("mfactl reset user%d@contoso.example --lost-device 'iPhone 15' --yes", i),
		Ticket:  fmt.Sprintf("INC-%d", 1000+i),
		Targets: []Target{{ID: "u" + strconv.Itoa(i), UPN: fmt.Sprintf("user%d@contoso.example", i),
			Before: []methods.Method{{ID: "m1", Kind: methods.KindAuthenticator, DisplayName: "iPhone 15"}}}},
		Requests: []Request{{Method: "DELETE", URL: "https://graph.microsoft.com/v1.0/users/u/authentication/microsoftAuthenticatorMethods/m1", Status: 204}},
		Outcome:  OutcomeSucceeded,
	}
}

func fill(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if _, err := l.Append(sample(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func scan(t *testing.T, l *Log) Result {
	t.Helper()
	res, err := l.Scan(nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lines(t *testing.T, l *Log) [][]byte {
	t.Helper()
	b, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte{'\n'})
}

func write(t *testing.T, l *Log, ls [][]byte) {
	t.Helper()
	if err := os.WriteFile(l.Path(), bytes.Join(ls, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAppendChainsAndIsPrivate(t *testing.T) {
	l := newLog(t)
	fill(t, l, 3)
	var seen []Record
	res, err := l.Scan(func(r Record) error { seen = append(seen, r); return nil })
	if err != nil || !res.Intact() || res.Records != 3 || res.LastSeq != 3 || len(seen) != 3 {
		t.Fatalf("%+v %v %v", res, res.Problem, err)
	}
	if seen[0].Prev != zeroHash || seen[1].Prev != seen[0].Hash || seen[2].Hash != res.Head {
		t.Fatalf("chain %+v", seen)
	}
	if seen[2].Seq != 3 || seen[2].V != FormatVersion || seen[2].Kind != KindCommand || seen[2].Ticket != "INC-1003" {
		t.Fatalf("%+v", seen[2])
	}
	for _, p := range []string{l.Path(), l.headPath()} {
		info, err := os.Stat(p)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, info.Mode(), err)
		}
	}
	// Every line is JSON whose last member is the hash.
	for _, ln := range lines(t, l) {
		if len(ln) > 0 && !regexp.MustCompile(`,"hash":"[0-9a-f]{64}"}$`).Match(bytes.TrimSuffix(ln, []byte{'\n'})) {
			t.Fatalf("line %s", ln)
		}
	}
	// A log restored with a loose mode is made private again.
	if err := os.Chmod(l.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	fill(t, l, 1)
	if info, _ := os.Stat(l.Path()); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode())
	}
}

// Every kind of tampering is found, and the first bad line is named.
func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, l *Log, ls [][]byte)
		line   int
		want   string
	}{
		{"edit a field", func(t *testing.T, l *Log, ls [][]byte) {
			ls[2] = bytes.Replace(ls[2], []byte("INC-1003"), []byte("INC-9999"), 1)
			write(t, l, ls)
		}, 3, "record 3, 2025-06-02T08:00:03Z, `mfactl reset user3@contoso.example --lost-device 'iPhone 15' --yes`): edited"},
		{"edit and re-hash", func(t *testing.T, l *Log, ls [][]byte) {
			r, _, _, _ := decodeLine(bytes.TrimSuffix(ls[2], []byte{'\n'}))
			r.Outcome = OutcomeFailed
			line, _, _ := encodeLine(r)
			ls[2] = line
			write(t, l, ls)
		}, 4, "the chain is broken: its previous hash is not the hash of record 3"},
		{"add whitespace", func(t *testing.T, l *Log, ls [][]byte) {
			ls[1] = bytes.Replace(ls[1], []byte(`"seq":2,`), []byte(`"seq": 2,`), 1)
			write(t, l, ls)
		}, 2, "edited"},
		{"delete a record", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, append(ls[:2:2], ls[3:]...))
		}, 3, "record 3 is missing"},
		{"delete two records", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, append(ls[:1:1], ls[3:]...))
		}, 2, "records 2 to 3 are missing"},
		{"swap two records", func(t *testing.T, l *Log, ls [][]byte) {
			ls[1], ls[2] = ls[2], ls[1]
			write(t, l, ls)
		}, 2, "record 2 is missing"},
		{"duplicate a record", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, append(ls[:3:3], ls[2:]...))
		}, 4, "out of order: record 4 belongs here"},
		{"truncate mid-record", func(t *testing.T, l *Log, ls [][]byte) {
			ls[4] = ls[4][:len(ls[4])/2]
			write(t, l, ls)
		}, 5, "the file ends in the middle of a record"},
		{"truncate a whole record", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, ls[:4])
		}, 5, "record 5 was removed from the end"},
		{"truncate to nothing", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, nil)
		}, 1, "records 1 to 5 were removed from the end"},
		{"delete the log", func(t *testing.T, l *Log, ls [][]byte) {
			os.Remove(l.Path())
		}, 1, "the log is gone but its head file names record 5"},
		{"delete the head", func(t *testing.T, l *Log, ls [][]byte) {
			os.Remove(l.headPath())
		}, 6, "head file"},
		{"garbage line", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, append(ls[:2:2], append([][]byte{[]byte("hello\n")}, ls[2:]...)...))
		}, 3, "not a record"},
		{"replace the last record", func(t *testing.T, l *Log, ls [][]byte) {
			r, _, _, _ := decodeLine(bytes.TrimSuffix(ls[4], []byte{'\n'}))
			r.Error = "nothing happened"
			line, _, _ := encodeLine(r)
			ls[4] = line
			write(t, l, ls)
		}, 6, "the last record is not the one the head file names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			fill(t, l, 5)
			tt.tamper(t, l, lines(t, l))
			res := scan(t, l)
			if res.Intact() {
				t.Fatalf("tampering not found: %+v", res)
			}
			if res.Problem.Line != tt.line || !strings.Contains(res.Problem.Error(), tt.want) {
				t.Fatalf("got %q (line %d), want line %d with %q", res.Problem.Error(), res.Problem.Line, tt.line, tt.want)
			}
			// Damage anywhere stops writers before anything is changed:
			// the file is no longer the one the checkpoint describes.
			if err := l.Check(); err == nil {
				t.Fatal("Check accepted a damaged log")
			}
			if _, err := l.Append(sample(9)); err == nil {
				t.Fatal("Append wrote on a damaged log")
			}
		})
	}
}

// A crash mid-write leaves a remnant: verify reports it until the next
// write seals it with a recovery record that the chain covers.
func TestInterruptedWriteIsSealed(t *testing.T) {
	l := newLog(t)
	fill(t, l, 2)
	line, _, err := encodeLine(Record{Seq: 3, Prev: strings.Repeat("a", 64), Command: "mfactl phone add"})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(line[:40])
	f.Close()
	res := scan(t, l)
	if res.Intact() || res.Problem.Line != 3 || !strings.Contains(res.Problem.Reason, "if this was a crash, the next mfactl change seals it") {
		t.Fatalf("%+v", res.Problem)
	}
	if err := l.Check(); err != nil {
		t.Fatalf("a crash remnant must not stop writers: %v", err)
	}
	rec, err := l.Append(sample(3))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Seq != 4 {
		t.Fatalf("seq %d: the recovery record is 3", rec.Seq)
	}
	res = scan(t, l)
	if !res.Intact() || res.Records != 4 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "line 3 is the remnant of an interrupted write (40 bytes), sealed by record 3") {
		t.Fatalf("%+v %v", res, res.Problem)
	}
	// Editing the sealed remnant is still noticed.
	ls := lines(t, l)
	ls[2] = []byte("{\"v\":1,\"seq\":3,\"kind\":\"comXX\n")
	write(t, l, ls)
	if res := scan(t, l); res.Intact() || res.Problem.Line != 3 {
		t.Fatalf("%+v", res.Problem)
	}
}

// A write that lost only its newline is a good record: completed, not sealed.
func TestRecordWithoutNewlineIsCompleted(t *testing.T) {
	l := newLog(t)
	fill(t, l, 2)
	ls := lines(t, l)
	r, _, _, _ := decodeLine(bytes.TrimSuffix(ls[1], []byte{'\n'}))
	line, hash, _ := encodeLine(Record{V: 1, Seq: 3, Kind: KindCommand, Command: "mfactl sessions revoke x@y.example", Prev: r.Hash})
	f, _ := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(line[:len(line)-1])
	f.Close()
	res := scan(t, l)
	if !res.Intact() || res.Records != 3 || len(res.Notes) != 2 {
		t.Fatalf("%+v %v", res, res.Problem)
	}
	rec, err := l.Append(sample(4))
	if err != nil || rec.Seq != 4 || rec.Prev != hash {
		t.Fatalf("%+v %v", rec, err)
	}
	if res := scan(t, l); !res.Intact() || res.Records != 4 || len(res.Notes) != 0 {
		t.Fatalf("%+v %v", res, res.Problem)
	}
}

// A crash between saving the record and the head: the head is one behind,
// which verify notes and the next write repairs.
func TestHeadOneBehind(t *testing.T) {
	l := newLog(t)
	fill(t, l, 2)
	old, _ := os.ReadFile(l.headPath())
	fill(t, l, 1)
	os.WriteFile(l.headPath(), old, 0o600)
	res := scan(t, l)
	if !res.Intact() || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "one behind") {
		t.Fatalf("%+v %v", res, res.Problem)
	}
	fill(t, l, 1)
	if res := scan(t, l); !res.Intact() || res.Records != 4 || len(res.Notes) != 0 {
		t.Fatalf("%+v %v", res, res.Problem)
	}
}

func TestEmptyAndMissingLogs(t *testing.T) {
	l := newLog(t)
	if res := scan(t, l); !res.Intact() || res.Records != 0 {
		t.Fatalf("%+v", res)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(l.Path()), 0o700)
	os.WriteFile(l.headPath(), []byte("not json"), 0o600)
	if err := l.Check(); err == nil || !strings.Contains(err.Error(), "is gone but its head file remains") {
		t.Fatalf("%v", err)
	}
	os.WriteFile(l.Path(), nil, 0o600)
	if _, err := l.Append(sample(1)); err == nil || !strings.Contains(err.Error(), "is not mfactl's") {
		t.Fatalf("%v", err)
	}
}

func count(t *testing.T, l *Log) (Result, map[string]int) {
	t.Helper()
	seen := map[string]int{}
	res, err := l.Scan(func(r Record) error { seen[r.Command]++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return res, seen
}

// Goroutines with their own Log values append at once: every record is
// there once, in one unbroken chain.
func TestConcurrentWritersInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFileName)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := Open(path)
			for i := range each {
				r := sample(i)
				r.Command = fmt.Sprintf("writer %d record %d", w, i)
				if _, err := l.Append(r); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, seen := count(t, Open(path))
	if !res.Intact() || res.Records != writers*each || len(seen) != writers*each {
		t.Fatalf("%+v %v: %d distinct", res, res.Problem, len(seen))
	}
}

// Separate processes append at once through the file lock.
func TestConcurrentWritersAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), DefaultFileName)
	const procs, each = 4, 30
	var wg sync.WaitGroup
	for p := range procs {
		wg.Add(1)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$")
		cmd.Env = append(os.Environ(), "AUDIT_HELPER_LOG="+path, "AUDIT_HELPER_ID="+strconv.Itoa(p), "AUDIT_HELPER_N="+strconv.Itoa(each))
		go func() {
			defer wg.Done()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("writer %d: %v\n%s", p, err, out)
			}
		}()
	}
	wg.Wait()
	res, seen := count(t, Open(path))
	if !res.Intact() || res.Records != procs*each || len(seen) != procs*each {
		t.Fatalf("%+v %v: %d distinct", res, res.Problem, len(seen))
	}
}

// TestHelperAppender is the child process of the test above.
func TestHelperAppender(t *testing.T) {
	path := os.Getenv("AUDIT_HELPER_LOG")
	if path == "" {
		t.Skip("helper process only")
	}
	n, _ := strconv.Atoi(os.Getenv("AUDIT_HELPER_N"))
	l := Open(path)
	for i := range n {
		r := sample(i)
		r.Command = fmt.Sprintf("process %s record %d", os.Getenv("AUDIT_HELPER_ID"), i)
		if _, err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadTail(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	tests := []struct {
		in, last, remnant string
		hasLast           bool
	}{
		{"", "", "", false},
		{"abc", "", "abc", false},
		{"a\n", "a", "", true},
		{"a\nb\n", "b", "", true},
		{"a\nb\npartial", "b", "partial", true},
		{"a\n" + long + "\n", long, "", true},
		{long + "\n" + long, long, long, true},
	}
	for _, tt := range tests {
		last, remnant, err := readTail(strings.NewReader(tt.in), int64(len(tt.in)))
		if err != nil || string(last) != tt.last || string(remnant) != tt.remnant || (last != nil) != tt.hasLast {
			t.Errorf("%.20q: last %.20q remnant %.20q %v", tt.in, last, remnant, err)
		}
	}
}

func TestCommandLine(t *testing.T) {
	values := map[string]bool{"code": true, "lifetime": true, "ticket": true, "client-secret": true, "o": true, "token": true}
	takes := func(n string) bool { return values[n] }
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"mfactl", "reset", "a@b.example", "--lost-device", "iPhone 15", "--ticket", "INC-1"}, "mfactl reset a@b.example --lost-device 'iPhone 15' --ticket INC-1"},
		{[]string{"mfactl", "token", "activate", "HWT-1", "--code", "123456"}, "mfactl token activate HWT-1 --code [REDACTED]"},
		{[]string{"mfactl", "token", "activate", "HWT-1", "--code=123456"}, "mfactl token activate HWT-1 --code=[REDACTED]"},
		{[]string{"mfactl", "x", "--client-secret", "s3cr3t", "-o", "json"}, "mfactl x --client-secret [REDACTED] -o json"},
		{[]string{"mfactl", "password", "reset", "a@b.example", "--password-stdin", "--yes"}, "mfactl password reset a@b.example --password-stdin --yes"},
		{[]string{"mfactl", "token", "check", "--code", "1", "--code", "2"}, "mfactl token check --code [REDACTED] --code [REDACTED]"},
		{[]string{"mfactl", "it's", ""}, `mfactl 'it'\''s' ''`},
	}
	for _, tt := range tests {
		if got := CommandLine(tt.argv, takes, IsSecretFlag); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.argv, got, tt.want)
		}
	}
}

func FuzzScan(f *testing.F) {
	dir := f.TempDir()
	l := Open(filepath.Join(dir, "seed.log"))
	for i := 1; i <= 3; i++ {
		if _, err := l.Append(sample(i)); err != nil {
			f.Fatal(err)
		}
	}
	good, _ := os.ReadFile(l.Path())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":1,"prev":"` + zeroHash + `","hash":"` + zeroHash + `"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl := Open(filepath.Join(t.TempDir(), "f.log"))
		if err := os.WriteFile(fl.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := fl.Scan(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Without a head file, only a log with no records can be intact.
		if res.Intact() && res.Records > 0 {
			t.Fatalf("accepted %d records without a head: %q", res.Records, data)
		}
		_ = fl.Check()
	})
}

func FuzzCommandLine(f *testing.F) {
	f.Add("code", "123456", "activate", true)
	f.Add("client-secret", "abc", "x", false)
	f.Fuzz(func(t *testing.T, flag, secret, other string, joined bool) {
		if !IsSecretFlag(flag) || strings.HasPrefix(flag, "-") || strings.Contains(flag, "=") || len(secret) < 4 ||
			strings.HasPrefix(secret, "-") || strings.Contains("mfactl "+other+" "+flag+" "+Redacted, secret) {
			return
		}
		argv := []string{"mfactl", other, "--" + flag, secret}
		if joined {
			argv = []string{"mfactl", other, "--" + flag + "=" + secret}
		}
		got := CommandLine(argv, func(string) bool { return true }, IsSecretFlag)
		if strings.Contains(got, secret) || strings.Contains(got, shellQuote(secret)) {
			t.Fatalf("secret %q leaked: %s", secret, got)
		}
	})
}

// The checkpoint: an untouched log is checked at its tail only; a log
// touched by anything but mfactl's append is verified whole before the
// next record, wherever the damage is; and a full verification comes due
// every fullEvery appends.
func TestCheckpointCatchesDamageAnywhere(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, l *Log, ls [][]byte)
		want   string
	}{
		{"edit one byte of the second record", func(t *testing.T, l *Log, ls [][]byte) {
			ls[1] = bytes.Replace(ls[1], []byte("INC-1002"), []byte("INC-1012"), 1)
			write(t, l, ls)
		}, "line 2 (record 2"},
		{"delete a record in the middle", func(t *testing.T, l *Log, ls [][]byte) {
			write(t, l, append(ls[:3:3], ls[4:]...))
		}, "record 4 is missing"},
		{"edit the first record and re-hash", func(t *testing.T, l *Log, ls [][]byte) {
			r, _, _, _ := decodeLine(bytes.TrimSuffix(ls[0], []byte{'\n'}))
			r.Ticket = "INC-0"
			line, _, _ := encodeLine(r)
			ls[0] = line
			write(t, l, ls)
		}, "the chain is broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			fill(t, l, 8)
			tt.tamper(t, l, lines(t, l))
			err := l.Check()
			var de *DamagedError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check: %v, want a DamagedError with %q", err, tt.want)
			}
			if _, err := l.Append(sample(9)); !errors.As(err, &de) {
				t.Fatalf("Append: %v, want a DamagedError", err)
			}
		})
	}
}

func readHeadT(t *testing.T, l *Log) head {
	t.Helper()
	h, err := l.readHead()
	if err != nil || h == nil {
		t.Fatal(h, err)
	}
	return *h
}

func TestCheckpointBookkeeping(t *testing.T) {
	l := newLog(t)
	fill(t, l, 3)
	h := readHeadT(t, l)
	info, err := os.Stat(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	// The first append verified the (empty) log; two followed.
	if h.Seq != 3 || h.Size != info.Size() || h.SinceFull != 3 {
		t.Fatalf("head %+v, size %d", h, info.Size())
	}
	// A head from before the checkpoint (no size): the next check verifies
	// the whole chain and records it.
	if err := os.WriteFile(l.headPath(), []byte(fmt.Sprintf(`{"seq":3,"hash":%q}`+"\n", h.Hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if h := readHeadT(t, l); h.SinceFull != 0 || h.Size != info.Size() {
		t.Fatalf("after a full check: %+v", h)
	}
	// Due: fullEvery appends since the last full verification.
	h = readHeadT(t, l)
	h.SinceFull = fullEvery
	b, _ := json.Marshal(h)
	if err := os.WriteFile(l.headPath(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(sample(4)); err != nil {
		t.Fatal(err)
	}
	if h := readHeadT(t, l); h.SinceFull != 1 {
		t.Fatalf("a due full verification was not done: %+v", h)
	}
}

func TestAnchor(t *testing.T) {
	l := newLog(t)
	fill(t, l, 5)
	res := scan(t, l)
	anchor := Anchor{Seq: res.LastSeq, Hash: res.Head}
	var third Record
	_, _ = l.Scan(func(r Record) error {
		if r.Seq == 3 {
			third = r
		}
		return nil
	})
	fill(t, l, 2) // the log goes on after the anchor was taken
	for _, a := range []Anchor{anchor, {Hash: anchor.Hash}, {Seq: 3, Hash: third.Hash}} {
		if res, err := l.CheckAnchor(a); err != nil || !res.Intact() {
			t.Fatalf("%v: %v %v", a, res.Problem, err)
		}
	}
	// Cut the last three records and write a matching head: the chain and
	// the head agree, only the anchor tells.
	ls := lines(t, l)
	write(t, l, ls[:4])
	last, _, claimed, _ := decodeLine(bytes.TrimSuffix(ls[3], []byte{'\n'}))
	f, err := os.Open(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := l.writeHead(f, head{Seq: last.Seq, Hash: claimed}); err != nil {
		t.Fatal(err)
	}
	if res := scan(t, l); !res.Intact() {
		t.Fatalf("the rewritten head should fool the chain: %v", res.Problem)
	}
	for a, want := range map[Anchor]string{
		anchor:                                   "the anchored record 5 is not in the log, which ends at record 4",
		{Hash: anchor.Hash}:                      "no record has the anchored hash",
		{Seq: 3, Hash: strings.Repeat("ab", 32)}: "record 3: this is not the anchored record",
	} {
		res, err := l.CheckAnchor(a)
		if err != nil || res.Intact() || !strings.Contains(res.Problem.Error(), want) {
			t.Fatalf("%v: %v %v, want %q", a, res.Problem, err, want)
		}
	}
}

func TestParseAnchor(t *testing.T) {
	h := strings.Repeat("0a", 32)
	tests := []struct {
		in      string
		want    Anchor
		wantErr string
	}{
		{"42:" + h, Anchor{42, h}, ""},
		{"  " + h + "\n", Anchor{0, h}, ""},
		{`{"path":"x","seq":7,"hash":"` + h + `"}`, Anchor{7, h}, ""},
		{"x:" + h, Anchor{}, "record number"},
		{"0:" + h, Anchor{}, "record number"},
		{"42:" + strings.ToUpper(h), Anchor{}, "64 lower-case hex"},
		{"42:abc", Anchor{}, "64 lower-case hex"},
		{`{"seq":0,"hash":"` + h + `"}`, Anchor{}, "record number"},
		{`{"seq":`, Anchor{}, "JSON"},
	}
	for _, tt := range tests {
		got, err := ParseAnchor(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: %v %v, want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %v %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseAnchor(f *testing.F) {
	for _, s := range []string{"1:" + zeroHash, zeroHash, `{"seq":1,"hash":"` + zeroHash + `"}`, "1:", ":", "{}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAnchor(s)
		if err != nil {
			return
		}
		if a.Seq < 0 || checkAnchorHash(a) != nil {
			t.Fatalf("%q parsed to an invalid anchor %v", s, a)
		}
		if a.Seq > 0 {
			if b, err := ParseAnchor(a.String()); err != nil || b != a {
				t.Fatalf("%v does not round-trip: %v %v", a, b, err)
			}
		}
	})
}
