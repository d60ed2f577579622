package mock

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// The crash tests run parts of themselves in helper processes (this test
// binary again, selected by MFACTL_MOCK_HELPER) and kill -9 them at random
// moments, then check the state file: intact, and holding every write that
// was acknowledged.

const helperEnv = "MFACTL_MOCK_HELPER"

// TestHelperProcess is not a test: it is the body of the helper processes.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("the crash tests' helper process; runs only when they start it")
	}
	path := os.Getenv("MFACTL_MOCK_HELPER_STATE")
	var err error
	switch mode {
	case "store-writer":
		err = helperStoreWriter(path)
	case "serve":
		err = helperServe(path)
	case "clock-advancer":
		n, _ := strconv.Atoi(os.Getenv("MFACTL_MOCK_HELPER_N"))
		err = helperClockAdvancer(path, n)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func startHelper(t *testing.T, mode, path string, extra ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "MFACTL_MOCK_HELPER_STATE="+path)
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

// writerValue is the deterministic value of write n: its size varies from
// a few bytes to several pages, so commits split, merge and free pages.
func writerValue(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	b := make([]byte, 16+r.IntN(12000))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func writerKey(n int) string { return fmt.Sprintf("%08d", n) }

// helperStoreWriter continues the sequence of writes in the file: write n
// adds key n, replaces the "latest" blob and sets the count, in one
// transaction, then prints "ack n".
func helperStoreWriter(path string) error {
	b, err := store.OpenBolt(path, 10*time.Second)
	if err != nil {
		return err
	}
	n := 0
	b.View(func(tx store.Tx) error { _, err := store.GetJSON(tx, "meta", "count", &n); return err })
	for ; ; n++ {
		err := b.Update(func(tx store.Tx) error {
			v := writerValue(n)
			if err := tx.Put("data", writerKey(n), v); err != nil {
				return err
			}
			if err := tx.Put("meta", "latest", v); err != nil {
				return err
			}
			if n%7 == 0 && n > 20 {
				// Overwrite an old key too, so old pages are freed and reused.
				if err := tx.Put("data", writerKey(n-20), writerValue(n-20)); err != nil {
					return err
				}
			}
			return store.PutJSON(tx, "meta", "count", n+1)
		})
		if err != nil {
			return err
		}
		fmt.Printf("ack %d\n", n)
	}
}

func TestKill9DuringStoreWritesLosesNothing(t *testing.T) {
	path := statePath(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	t.Logf("kill delays from seed %d", seed)
	lastAck := -1 // the last write acknowledged (or found durable) so far
	for round := 0; round < 6; round++ {
		cmd, out := startHelper(t, "store-writer", path)
		acks := make(chan int, 1<<16)
		done := make(chan struct{})
		started := make(chan struct{})
		go func() {
			defer close(done)
			first := true
			for out.Scan() {
				if n, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ack ")); err == nil {
					acks <- n
					if first {
						close(started)
						first = false
					}
				}
			}
		}()
		// Wait for the writer's first acknowledged write (a loaded machine
		// can take longer than the random delay just to start the helper,
		// which killed it before it wrote anything), then let it write for
		// a random while and kill -9: the kill lands mid-stream.
		select {
		case <-started:
		case <-done:
			t.Fatalf("round %d: the writer exited before its first write", round)
		case <-time.After(2 * time.Minute):
			t.Fatalf("round %d: no write acknowledged within 2 minutes", round)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		<-done
		close(acks)
		for n := range acks {
			if n != lastAck+1 {
				t.Fatalf("round %d: ack %d after %d", round, n, lastAck)
			}
			lastAck = n
		}
		// A write committed but killed before its ack is durable too: the
		// next round continues after it.
		lastAck = checkWriterFile(t, path, lastAck) - 1
	}
	if lastAck < 10 {
		t.Fatalf("only %d writes were acknowledged in six rounds", lastAck+1)
	}
	t.Logf("%d durable writes across six kill -9s", lastAck+1)
}

// checkWriterFile reopens the file after a crash: it must pass bbolt's
// check, hold every acknowledged write, and be atomic (the count matches
// the keys, at most one write past the last ack).
func checkWriterFile(t *testing.T, path string, lastAck int) (count int) {
	t.Helper()
	b, err := store.OpenBolt(path, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Check(); err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	b.View(func(tx store.Tx) error {
		store.GetJSON(tx, "meta", "count", &count)
		if count < lastAck+1 || count > lastAck+2 {
			t.Fatalf("count %d, last acknowledged write %d", count, lastAck)
		}
		if tx.Count("data") != count {
			t.Fatalf("%d keys for count %d: a transaction was torn", tx.Count("data"), count)
		}
		for n := 0; n < count; n++ {
			v, ok := tx.Get("data", writerKey(n))
			if !ok || !bytes.Equal(v, writerValue(n)) {
				t.Fatalf("write %d (of %d, last ack %d) missing or wrong", n, count, lastAck)
			}
		}
		if latest, _ := tx.Get("meta", "latest"); count > 0 && !bytes.Equal(latest, writerValue(count-1)) {
			t.Fatalf("latest blob is not write %d's", count-1)
		}
		return nil
	})
	return count
}

// helperServe is `mock serve` on the state: it prints its URL and serves
// until killed.
func helperServe(path string) error {
	s, err := NewServer(Options{StatePath: path, LockWait: 10 * time.Second})
	if err != nil {
		return err
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	fmt.Println(s.URL())
	select {}
}

func TestKill9DuringHTTPWritesLosesNothing(t *testing.T) {
	path := statePath(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("kill delays from seed %d", seed)
	var offset time.Duration // the clock offset in the file, as last verified
	for round := 0; round < 4; round++ {
		cmd, out := startHelper(t, "serve", path)
		if !out.Scan() {
			t.Fatal("helper did not start")
		}
		url := out.Text()
		client := &http.Client{Timeout: 10 * time.Second}
		ctx, stop := context.WithCancel(context.Background())
		var acked, sent atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, _ := http.NewRequestWithContext(ctx, "POST", url+"/_mock/clock", strings.NewReader(`{"advance":"1s"}`))
					req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
					sent.Add(1)
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						acked.Add(1)
					}
				}
			}()
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		stop()
		wg.Wait()

		// Restart on the same file: every acknowledged advance is there,
		// plus at most the ones in flight at the kill.
		s, err := NewServer(Options{StatePath: path})
		if err != nil {
			t.Fatal(err)
		}
		got := s.ClockOffset() - offset
		if got < time.Duration(acked.Load())*time.Second || got > time.Duration(sent.Load())*time.Second {
			t.Errorf("round %d: offset moved %s; %d advances acknowledged, %d sent", round, got, acked.Load(), sent.Load())
		}
		if r := inProcessClient(t, s).do("GET", "/v1.0/users/adele.vance@contoso.example/authentication/methods", DefaultAdminToken, ""); r.status != 200 {
			t.Errorf("round %d: reads after restart: %d %s", round, r.status, r.raw)
		}
		offset = s.ClockOffset()
		bolt := s.Store().(*store.Bolt)
		if err := bolt.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		s.Close()
		if acked.Load() == 0 {
			t.Logf("round %d: killed before any write was acknowledged", round)
		}
	}
	if offset == 0 {
		t.Error("no write survived four rounds")
	}
	t.Logf("%s of clock advances across four kill -9s", offset)
}

// helperClockAdvancer is n `mfactl --mock mock clock advance 1s` runs: each
// opens the state (waiting for the file lock), advances, and closes it.
func helperClockAdvancer(path string, n int) error {
	for i := 0; i < n; i++ {
		s, err := NewServer(Options{StatePath: path, LockWait: time.Minute})
		if err != nil {
			return err
		}
		req, _ := http.NewRequest("POST", InProcessRoot+"/_mock/clock", strings.NewReader(`{"advance":"1s"}`))
		req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
		resp, err := s.Transport().RoundTrip(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("advance: %s", resp.Status)
		}
		if err := s.Close(); err != nil {
			return err
		}
	}
	return nil
}

func TestProcessesSharingAStateLoseNoUpdate(t *testing.T) {
	path := statePath(t)
	const procs, each = 4, 25
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		cmd, _ := startHelper(t, "clock-advancer", path, "MFACTL_MOCK_HELPER_N="+strconv.Itoa(each))
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	s := newServer(t, Options{StatePath: path})
	if got := s.ClockOffset(); got != procs*each*time.Second {
		t.Errorf("offset %s after %d advances of 1s from %d processes", got, procs*each, procs)
	}
}
