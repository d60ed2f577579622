package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// While one --mock process waits (here `mock outbox --follow` between its
// polls), other --mock processes on the same state file run: a code sent
// by text in a second process is read in a third, and the waiting one
// prints it too.
func TestMockProcessesShareTheStateWhileOneWaits(t *testing.T) {
	e := newEnv(t)
	const diego = "diego.siciliani@contoso.example"
	// Seed the state first, so the follower does not race the seeding.
	if r := e.run(nil, "--mock", "mock", "health"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	follow := exec.CommandContext(ctx, binary, "--mock", "mock", "outbox", "--user", diego, "--follow", "-o", "json")
	follow.Env = e.vars
	stdout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); follow.Wait() })
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	r := e.run(nil, "--mock", "verify", diego, "--method", "sms", "--send")
	if r.code != 0 {
		t.Fatalf("send while another --mock process follows the outbox: exit %d %s", r.code, r.stderr)
	}
	r = e.run(nil, "--mock", "mock", "outbox", "--user", diego, "-o", "json")
	var msgs []struct{ Text string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &msgs) != nil || len(msgs) == 0 || codePattern.FindString(msgs[len(msgs)-1].Text) == "" {
		t.Fatalf("read the code from a third process: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "waiting for the mock state") {
		t.Errorf("the reader waited for the follower: %s", r.stderr)
	}
	select {
	case line := <-lines:
		if !strings.Contains(line, codePattern.FindString(msgs[len(msgs)-1].Text)) {
			t.Errorf("the follower printed %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the follower printed nothing")
	}
}
