package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestServeTLSWithCACert(t *testing.T) {
	e := newEnv(t)
	certFile, keyFile := filepath.Join(e.dir, "mock.pem"), filepath.Join(e.dir, "mock-key.pem")
	url := startServe(t, e, filepath.Join(e.dir, "served.db"), "--tls", "--tls-cert-out", certFile, "--tls-key-out", keyFile)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL %s", url)
	}
	fi, err := os.Stat(certFile)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("certificate file: %v %v", fi, err)
	}
	pem, _ := os.ReadFile(certFile)
	if !strings.Contains(string(pem), "BEGIN CERTIFICATE") || strings.Contains(string(pem), "PRIVATE KEY") {
		t.Errorf("certificate file holds %q", pem)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if key, _ := os.ReadFile(keyFile); !strings.Contains(string(key), "BEGIN PRIVATE KEY") {
		t.Errorf("key file holds %q", key)
	}
	endpoint := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-admin-token"}
	r := e.run(append(endpoint, "MFACTL_CA_CERT="+certFile), "user", "show", "adele.vance@contoso.example", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"userPrincipalName": "adele.vance@contoso.example"`) {
		t.Fatalf("over https with the CA: exit %d %s", r.code, r.stderr)
	}
	r = e.run(endpoint, "--ca-cert", certFile, "mock", "health", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"status": "ok"`) {
		t.Errorf("mock health over https: exit %d %s", r.code, r.stderr)
	}
	r = e.run(endpoint, "user", "show", "adele.vance@contoso.example")
	if r.code == 0 || !strings.Contains(r.stderr, "--ca-cert") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("without the CA: exit %d, stderr %q", r.code, r.stderr)
	}
	r = e.run(append(endpoint, "MFACTL_CA_CERT="+filepath.Join(e.dir, "served.db")), "user", "show", "adele.vance@contoso.example")
	if r.code != 2 || !strings.Contains(r.stderr, "holds no PEM certificate") {
		t.Errorf("a CA file that is not PEM: exit %d %q", r.code, r.stderr)
	}

	// A second server serves the same certificate from the files.
	url2 := startServe(t, e, filepath.Join(e.dir, "second.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	r = e.run([]string{"MFACTL_ENDPOINT=" + url2, "MFACTL_TOKEN=mock-admin-token", "MFACTL_CA_CERT=" + certFile}, "methods", "list", "diego.siciliani@contoso.example")
	if !strings.HasPrefix(url2, "https://") || r.code != 0 {
		t.Errorf("serving a given certificate (%s): exit %d %s", url2, r.code, r.stderr)
	}
}

func TestConcurrentMockRunsLoseNoClockAdvance(t *testing.T) {
	e := newEnv(t)
	const procs, each = 6, 3
	var wg sync.WaitGroup
	codes := make(chan string, procs*each)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if r := e.run(nil, "--mock", "mock", "clock", "advance", "1s"); r.code != 0 {
					codes <- r.stderr
				}
			}
		}()
	}
	wg.Wait()
	close(codes)
	for msg := range codes {
		t.Errorf("a concurrent run failed: %s", msg)
	}
	r := e.run(nil, "--mock", "mock", "clock", "-o", "json")
	var c struct {
		OffsetSeconds float64 `json:"offsetSeconds"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || c.OffsetSeconds != procs*each {
		t.Errorf("offset %v after %d advances of 1s from %d processes (%v)", c.OffsetSeconds, procs*each, procs, err)
	}
}

func TestMockSeedThenUse(t *testing.T) {
	e := newEnv(t)
	r := e.run(nil, "mock", "seed", "--users", "1000", "--seed", "9")
	if r.code != 0 || !strings.Contains(r.stdout, "1000 users (seed 9") {
		t.Fatalf("seed: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = e.run(nil, "--mock", "mock", "health", "-o", "json")
	var h struct {
		Users          int    `json:"users"`
		HardwareTokens int    `json:"hardwareTokens"`
		Seed           string `json:"seed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil || h.Users != 1000 || h.HardwareTokens != 30 || !strings.HasPrefix(h.Seed, "synthetic users=1000 seed=9") {
		t.Errorf("health after seed: %+v %v %s", h, err, r.stderr)
	}
	// The mock's tokens still sign in: their principals are in every tenant.
	if r := e.run([]string{"MFACTL_TOKEN=mock-authadmin-token"}, "--mock", "user", "show", "mfa.admin@contoso.example"); r.code != 0 {
		t.Errorf("user show after seed: exit %d %s", r.code, r.stderr)
	}
	if r := e.run(nil, "--mock", "mock", "reset"); r.code != 0 || !strings.Contains(r.stdout, "the demo tenant") {
		t.Errorf("reset: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := e.run(nil, "--mock", "user", "show", "adele.vance@contoso.example"); r.code != 0 {
		t.Errorf("demo user after reset: exit %d %s", r.code, r.stderr)
	}
}

func TestInProcessKnobsFromEnvironment(t *testing.T) {
	e := newEnv(t)
	r := e.run([]string{"MFACTL_MOCK_THROTTLE=graph", "MFACTL_MOCK_LATENCY=1ms", "MFACTL_MOCK_FAIL_RATE=0", "MFACTL_MOCK_FAIL_SEED=3"}, "--mock", "mock", "health", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"throttle": "graph"`) || !strings.Contains(r.stdout, `"latency": "1ms"`) {
		t.Errorf("knobs from the environment: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = e.run([]string{"MFACTL_MOCK_FAIL_RATE=lots"}, "--mock", "user", "show", "adele.vance@contoso.example")
	if r.code != 2 || !strings.Contains(r.stderr, "MFACTL_MOCK_FAIL_RATE") {
		t.Errorf("bad knob: exit %d %q", r.code, r.stderr)
	}
}
