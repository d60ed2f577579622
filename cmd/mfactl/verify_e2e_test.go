package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runIn is run with standard input.
func (e *env) runIn(stdin string, extra []string, args ...string) result {
	e.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append([]string{}, e.vars...), extra...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return result{out.String(), errOut.String(), code}
}

// cheapVerifyConfig writes verification settings with a cheap PIN hash.
func cheapVerifyConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "verify.json")
	if err := os.WriteFile(path, []byte(`{"hashIterations":10`+extra+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var codePattern = regexp.MustCompile(`[0-9](?: ?[0-9]){5}`)

// Each step is its own process on the --mock state file: challenges, the
// outbox, the PIN, the OATH state and the lockout persist between runs.
func TestVerificationAcrossMockRuns(t *testing.T) {
	e := newEnv(t)
	env := []string{"MFACTL_MOCK_VERIFY_CONFIG=" + cheapVerifyConfig(t, e.dir, `,"lockoutDenials":2`)}
	const adele, lee = "adele.vance@contoso.example", "lee.gu@contoso.example"

	r := e.run(env, "--mock", "verify", adele, "--method", "sms", "--send", "-o", "json")
	var sent struct {
		Challenge struct{ ID string } `json:"challenge"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sent) != nil {
		t.Fatalf("send: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = e.run(env, "--mock", "mock", "outbox", "--user", adele, "-o", "json")
	var msgs []struct{ Text string }
	_ = json.Unmarshal([]byte(r.stdout), &msgs)
	code := ""
	if len(msgs) > 0 {
		code = codePattern.FindString(msgs[len(msgs)-1].Text)
	}
	if r.code != 0 || code == "" {
		t.Fatalf("outbox: %s %s", r.stdout, r.stderr)
	}
	if r = e.run(env, "--mock", "verify", adele, "--challenge", sent.Challenge.ID, "--code", code); r.code != 0 {
		t.Fatalf("complete: %d %s", r.code, r.stderr)
	}

	r = e.run(env, "--mock", "mock", "code", adele)
	appCode := strings.TrimSpace(r.stdout)
	if r = e.run(env, "--mock", "verify", adele, "--method", "app", "--code", appCode); r.code != 0 {
		t.Fatalf("app code: %d %s", r.code, r.stderr)
	}
	if r = e.run(env, "--mock", "verify", adele, "--method", "app", "--code", appCode); r.code != 1 || !strings.Contains(r.stderr, "already used") {
		t.Errorf("replay in a later run: %d %s", r.code, r.stderr)
	}
	// The settings file's lockout: 2 denials lock (the replay was one).
	if r = e.run(env, "--mock", "verify", adele, "--method", "app", "--code", appCode); r.code != 4 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("locked: %d %q", r.code, r.stderr)
	}
	if r = e.run(env, "--mock", "mock", "unblock", adele); r.code != 0 {
		t.Fatal(r.stderr)
	}

	if r = e.runIn("20482048\n", env, "--mock", "enroll", "pin", lee, "--pin-stdin"); r.code != 0 {
		t.Fatalf("pin: %s", r.stderr)
	}
	r = e.run(env, "--mock", "verify", lee, "--method", "voice-pin", "--send", "-o", "json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sent) != nil {
		t.Fatalf("call: %s", r.stderr)
	}
	if r = e.run(env, "--mock", "verify", lee, "--challenge", sent.Challenge.ID, "--keys", "20482048#"); r.code != 0 {
		t.Errorf("PIN#: %d %s", r.code, r.stderr)
	}
	if r = e.run([]string{"MFACTL_MOCK_VERIFY_CONFIG=" + filepath.Join(e.dir, "missing.json")}, "--mock", "mock", "verification", lee); r.code != 2 || !strings.Contains(r.stderr, "MFACTL_MOCK_VERIFY_CONFIG") {
		t.Errorf("a missing settings file: %d %s", r.code, r.stderr)
	}
}

// Against `mock serve`: --follow prints each message as a JSON line while
// another process verifies; --remember-days sets the token's lifetime.
func TestVerificationAgainstServeWithFollow(t *testing.T) {
	e := newEnv(t)
	url := startServe(t, e, filepath.Join(e.dir, "served.db"), "--verify-config", cheapVerifyConfig(t, e.dir, ""), "--remember-days", "90")
	endpoint := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-admin-token"}
	const diego = "diego.siciliani@contoso.example"

	ctx, cancel := context.WithCancel(context.Background())
	follow := exec.CommandContext(ctx, binary, "mock", "outbox", "--user", diego, "--follow", "-o", "json")
	follow.Env = append(append([]string{}, e.vars...), endpoint...)
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

	r := e.run(endpoint, "verify", diego, "--send", "-o", "json")
	var sent struct {
		Method    string
		Challenge struct{ ID string } `json:"challenge"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sent) != nil || sent.Method != "sms" {
		t.Fatalf("send (Diego's default is sms): %d %s %s", r.code, r.stdout, r.stderr)
	}
	var msg struct{ Text, To, Channel string }
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.Channel != "sms" || msg.To != "+44 7700900123" {
			t.Fatalf("followed line %q: %v", line, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("--follow printed nothing")
	}
	r = e.run(endpoint, "verify", diego, "--challenge", sent.Challenge.ID, "--code", codePattern.FindString(msg.Text), "--remember", "-o", "json")
	var done struct {
		Verified    bool
		DeviceToken struct {
			Token     string
			IssuedAt  time.Time
			ExpiresAt time.Time
		}
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &done) != nil || !done.Verified {
		t.Fatalf("complete: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if d := done.DeviceToken.ExpiresAt.Sub(done.DeviceToken.IssuedAt); d != 90*24*time.Hour {
		t.Errorf("remembered for %s, want 90 days", d)
	}
	if r = e.run(endpoint, "verify", diego, "--device-token", done.DeviceToken.Token); r.code != 0 {
		t.Errorf("device token: %d %s", r.code, r.stderr)
	}
	if r = e.run(endpoint, "sessions", "revoke", diego, "--yes"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r = e.run(endpoint, "verify", diego, "--device-token", done.DeviceToken.Token); r.code != 1 || !strings.Contains(r.stderr, "revoked") {
		t.Errorf("after sessions revoke: %d %s", r.code, r.stderr)
	}
	// Real Graph has no emulator.
	if r = e.run(nil, "verify", diego, "--send"); r.code != 2 || !strings.Contains(r.stderr, "--mock") {
		t.Errorf("against real Graph: %d %s", r.code, r.stderr)
	}
}
