package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
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

	// `verify --wait` waits for a push in one process; the emulated phone
	// approves it from another.
	const adele = "adele.vance@contoso.example"
	r = e.run(nil, "--mock", "verify", adele, "--method", "push", "--send", "-o", "json")
	id, number := challengeID.FindStringSubmatch(r.stdout), numberField.FindStringSubmatch(r.stdout)
	if r.code != 0 || id == nil || number == nil {
		t.Fatalf("push: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	wait := exec.Command(binary, "--mock", "verify", adele, "--challenge", id[1], "--wait")
	wait.Env = e.vars
	var waitOut strings.Builder
	wait.Stdout, wait.Stderr = &waitOut, &waitOut
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- wait.Wait() }()
	if r := e.run(nil, "--mock", "mock", "device", "approve", adele, "--number", number[1]); r.code != 0 {
		t.Fatalf("approve while another process waits: exit %d %s", r.code, r.stderr)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("verify --wait: %v\n%s", err, waitOut.String())
		}
	case <-time.After(60 * time.Second):
		wait.Process.Kill()
		t.Fatalf("verify --wait did not see the approval:\n%s", waitOut.String())
	}
}

// The challenge's id and number in `verify --send -o json`, whichever key
// holds the id ("challengeId", or "id" in a "challenge" object).
var (
	challengeID = regexp.MustCompile(`"(?:challengeId|id)":\s*"([0-9a-f-]{36})"`)
	numberField = regexp.MustCompile(`"number":\s*(\d+)`)
)

// The README's security-question flow, with the challenge id its example
// leaves as a placeholder: the three questions registered are the three
// asked, in the order registered, so the answers in that order pass.
func TestReadmeSecurityQuestionsFlow(t *testing.T) {
	e := newEnv(t)
	const alex = "alex.wilber@contoso.example"
	qs := "City of birth? | Springfield\nFirst pet? | Rex\nFirst school? | Lincoln\n"
	if r := e.runIn(qs, nil, "--mock", "enroll", "questions", alex, "--file", "-"); r.code != 0 {
		t.Fatalf("enroll: exit %d %s", r.code, r.stderr)
	}
	r := e.run(nil, "--mock", "verify", alex, "--method", "questions", "--send", "-o", "json")
	id := challengeID.FindStringSubmatch(r.stdout)
	if r.code != 0 || id == nil {
		t.Fatalf("send: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := e.run(nil, "--mock", "verify", alex, "--challenge", id[1], "--answers", "Springfield;Rex;Lincoln"); r.code != 0 {
		t.Fatalf("answers as the README gives them: exit %d %s", r.code, r.stderr)
	}
}
