package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binary is the mfactl built once for all end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mfactl-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mfactl")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("building mfactl: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// env is an isolated environment: its own config, state and mock store.
type env struct {
	t    *testing.T
	dir  string
	vars []string
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	e := &env{t: t, dir: dir}
	e.vars = []string{
		"HOME=" + dir, "PATH=" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"MFACTL_MOCK_STATE=" + filepath.Join(dir, "mock.db"),
	}
	return e
}

func (e *env) run(extra []string, args ...string) result {
	e.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append([]string{}, e.vars...), extra...)
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

func TestUserShowTableAndJSON(t *testing.T) {
	e := newEnv(t)
	r := e.run(nil, "--mock", "user", "show", "adele.vance@contoso.example")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Adele Vance <adele.vance@contoso.example>", "MFA methods:  3 (two or more: yes)", "Microsoft Authenticator", "mobile +1 4255550100", "Software OATH token"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("unexpected stderr: %s", r.stderr)
	}

	r = e.run(nil, "--mock", "user", "show", "diego.siciliani@contoso.example", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var v struct {
		User struct {
			UserPrincipalName string `json:"userPrincipalName"`
			AccountEnabled    *bool  `json:"accountEnabled"`
		} `json:"user"`
		Methods []struct {
			Type        string `json:"type"`
			PhoneNumber string `json:"phoneNumber"`
		} `json:"methods"`
		MFAMethodCount  int      `json:"mfaMethodCount"`
		MeetsTwoMethods bool     `json:"meetsTwoMethods"`
		Warnings        []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if v.User.UserPrincipalName != "diego.siciliani@contoso.example" || v.User.AccountEnabled == nil || !*v.User.AccountEnabled {
		t.Errorf("user: %+v", v.User)
	}
	// One method, and only SMS/voice: two warnings.
	if v.MFAMethodCount != 1 || v.MeetsTwoMethods || len(v.Warnings) != 2 {
		t.Errorf("coverage: count %d, two %v, warnings %v", v.MFAMethodCount, v.MeetsTwoMethods, v.Warnings)
	}
	if !strings.Contains(r.stderr, "warning: diego.siciliani@contoso.example has only one MFA method") {
		t.Errorf("no warning line on stderr: %q", r.stderr)
	}

	r = e.run(nil, "--mock", "user", "show", "alex.wilber@contoso.example")
	if r.code != 0 || !strings.Contains(r.stderr, "has no MFA method") {
		t.Errorf("user without methods: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestUnknownUserExits3WithOneLine(t *testing.T) {
	e := newEnv(t)
	r := e.run(nil, "--mock", "user", "show", "nobody@contoso.example")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3", r.code)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"nobody@contoso.example"`) {
		t.Errorf("stderr must be one line naming the user, got %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout: %q", r.stdout)
	}
}

func TestBadUserArgumentExits2(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"--mock", "user", "show", "not a upn"},
		{"--mock", "user", "show"},
		{"--mock", "user", "show", "a@b", "-o", "xml"},
	} {
		r := e.run(nil, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
	}
}

func TestHelpAndVersionBuildNoClient(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"--mock", "--help"}, {"--mock", "version"}, {"--mock", "completion", "bash"}, {"--mock", "user", "show", "--help"}} {
		r := e.run(nil, args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "mock.db")); !os.IsNotExist(err) {
		t.Errorf("--help/version/completion opened the mock store: %v", err)
	}
	r := e.run(nil, "version")
	if !strings.HasPrefix(r.stdout, "mfactl ") {
		t.Errorf("version: %q", r.stdout)
	}
}

// startServe runs `mfactl mock serve` on a free port with the given state
// (and extra flags) and returns its root URL.
func startServe(t *testing.T, e *env, state string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"mock", "serve", "--addr", "127.0.0.1:0", "--state", state}, extra...)...)
	cmd.Env = e.vars
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- url
			}
		}
	}()
	select {
	case url := <-lines:
		return url
	case <-time.After(30 * time.Second):
		t.Fatal("mock serve did not start")
	}
	return ""
}

func TestServeAndEndpointGiveTheSameJSONAsMock(t *testing.T) {
	e := newEnv(t)
	// Seed one state through --mock, then serve an identical copy, so both
	// backends hold the same tenant (created dates included).
	if r := e.run(nil, "--mock", "methods", "list", "adele.vance@contoso.example"); r.code != 0 {
		t.Fatalf("seed: %s", r.stderr)
	}
	copyState := filepath.Join(e.dir, "served.db")
	data, err := os.ReadFile(filepath.Join(e.dir, "mock.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyState, data, 0o600); err != nil {
		t.Fatal(err)
	}
	url := startServe(t, e, copyState)

	for _, upn := range []string{"adele.vance@contoso.example", "grady.archie@contoso.example", "miriam.graham@contoso.example"} {
		viaMock := e.run(nil, "--mock", "user", "show", upn, "-o", "json")
		viaEndpoint := e.run([]string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-admin-token"}, "user", "show", upn, "-o", "json")
		if viaMock.code != 0 || viaEndpoint.code != 0 {
			t.Fatalf("%s: exits %d/%d: %s %s", upn, viaMock.code, viaEndpoint.code, viaMock.stderr, viaEndpoint.stderr)
		}
		if viaMock.stdout != viaEndpoint.stdout {
			t.Errorf("%s: --mock and --endpoint differ:\n%s\n---\n%s", upn, viaMock.stdout, viaEndpoint.stdout)
		}
	}

	r := e.run([]string{"MFACTL_TOKEN=wrong-token"}, "--endpoint", url, "user", "show", "adele.vance@contoso.example")
	if r.code != 4 {
		t.Errorf("wrong token: exit %d, want 4 (stderr %q)", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "401") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("wrong token: want one line naming the 401, got %q", r.stderr)
	}
	r = e.run([]string{"MFACTL_TOKEN=mock-reports-token"}, "--endpoint", url, "methods", "list", "adele.vance@contoso.example")
	if r.code != 4 || !strings.Contains(r.stderr, "Authentication Administrator") {
		t.Errorf("missing role: exit %d, stderr %q", r.code, r.stderr)
	}
}
