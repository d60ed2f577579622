package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Concurrent mfactl processes each append their records to the one audit
// log: none lost, none interleaved, the chain intact.
func TestConcurrentProcessesShareTheAuditLog(t *testing.T) {
	e := newEnv(t)
	const procs, each = 5, 3
	var wg sync.WaitGroup
	failed := make(chan string, procs*each)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if r := e.run(nil, "--mock", "sessions", "revoke", "alex.wilber@contoso.example", "--yes", "--ticket", "INC-500"); r.code != 0 {
					failed <- r.stderr
				}
			}
		}()
	}
	wg.Wait()
	close(failed)
	for msg := range failed {
		t.Errorf("a concurrent run failed: %s", msg)
	}
	r := e.run(nil, "audit", "verify", "-o", "json")
	var v struct {
		Records int  `json:"records"`
		Intact  bool `json:"intact"`
	}
	// Each run writes its intent record, then its outcome record.
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v.Records != 2*procs*each || !v.Intact {
		t.Fatalf("verify: %d %s %s", r.code, r.stdout, r.stderr)
	}
	log := filepath.Join(e.dir, "state", "mfactl", "audit.log")
	info, err := os.Stat(log)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", info, err)
	}
	r = e.run(nil, "audit", "log", "--ticket", "INC-500", "-o", "csv")
	if r.code != 0 || strings.Count(r.stdout, "\n") != procs*each+1 {
		t.Fatalf("log: %s %s", r.stdout, r.stderr)
	}
	// MFACTL_AUDIT_LOG moves the log.
	moved := filepath.Join(e.dir, "elsewhere", "audit.log")
	r = e.run([]string{"MFACTL_AUDIT_LOG=" + moved}, "--mock", "sessions", "revoke", "alex.wilber@contoso.example", "--yes")
	if _, err := os.Stat(moved); r.code != 0 || err != nil {
		t.Fatalf("moved log: %d %v %s", r.code, err, r.stderr)
	}
}

// The runbook through the binary, against mock serve: the helpdesk token on
// an admin is refused with the role hint; the admin token resets a lost
// phone and the ticket summary is Markdown.
func TestResetAgainstServe(t *testing.T) {
	e := newEnv(t)
	url := startServe(t, e, filepath.Join(e.dir, "served.db"))
	helpdesk := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-authadmin-token"}
	r := e.run(helpdesk, "reset", "megan.bowen@contoso.example", "--lost-device", "Surface Duo", "--yes")
	if r.code != 4 || !strings.Contains(r.stderr, "Privileged Authentication Administrator") || !strings.Contains(r.stdout, "nothing was changed") {
		t.Fatalf("helpdesk on an admin: %d %q %q", r.code, r.stdout, r.stderr)
	}
	admin := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-admin-token"}
	r = e.run(admin, "reset", "adele.vance@contoso.example", "--lost-device", "iPhone 15", "--tap", "--once", "--revoke-sessions", "--ticket", "INC-7", "--yes", "-o", "md")
	if r.code != 0 || !strings.Contains(r.stdout, "| Status | completed: 5 of 5 steps done |") || !strings.Contains(r.stderr, "shown only now") {
		t.Fatalf("reset: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = e.run(nil, "audit", "log", "--user", "adele.vance@contoso.example", "-o", "json")
	var recs []struct {
		Actor struct {
			UPN string `json:"userPrincipalName"`
		} `json:"actor"`
		Backend string `json:"backend"`
		Ticket  string `json:"ticket"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &recs) != nil || len(recs) != 1 || recs[0].Ticket != "INC-7" ||
		recs[0].Actor.UPN != "mfa.admin@contoso.example" || !strings.Contains(recs[0].Backend, url) {
		t.Fatalf("audit: %s %s", r.stdout, r.stderr)
	}
}
