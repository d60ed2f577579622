package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveLogged starts `mock serve --log` with flags, its log in a file.
func serveLogged(t *testing.T, e *env, state, logFile string, flags ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"mock", "serve", "--addr", "127.0.0.1:0", "--state", state, "--log"}, flags...)...)
	cmd.Env = e.vars
	lf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = lf
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { cancel(); cmd.Wait(); lf.Close() }
	t.Cleanup(stop)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u, stop
	case <-time.After(60 * time.Second):
		t.Fatal("mock serve did not start")
	}
	return "", stop
}

// memberUsers lists n member users of a served tenant (retrying the
// failures a fault-injecting server answers with).
func memberUsers(t *testing.T, root string, n int) []string {
	t.Helper()
	var out []string
	next := root + "/v1.0/users?$select=userPrincipalName,userType&$top=999"
	for tries := 0; next != "" && len(out) < n && tries < 50; tries++ {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer mock-admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		var page struct {
			Value []struct{ UserPrincipalName, UserType string }
			Next  string `json:"@odata.nextLink"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			continue
		}
		for _, u := range page.Value {
			if u.UserType == "Member" && !strings.HasPrefix(u.UserPrincipalName, "mfa.admin@") && len(out) < n {
				out = append(out, u.UserPrincipalName)
			}
		}
		next = page.Next
	}
	if len(out) < n {
		t.Fatalf("only %d member users", len(out))
	}
	return out
}

// With 5 % of requests failing and the CLI killed with kill -9 at several
// points of the apply, running the same apply again until it finishes
// leaves the tenant as an undisturbed run does (planning again finds
// nothing to do, and the coverage rows agree), and no write was applied
// twice (the server's log has at most one success per write).
func TestBulkApplyKilledAndResumedUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and kills the CLI several times")
	}
	e := newEnv(t)
	const users = 150
	faults := []string{"--fail-rate", "0.05", "--fail-seed", "11"}
	var roots [2]string
	var logs [2]string
	var stops [2]func()
	for i := range roots {
		state := filepath.Join(e.dir, fmt.Sprintf("state%d.db", i))
		if r := e.run(nil, "mock", "seed", "--users", "300", "--seed", "9", "--state", state); r.code != 0 {
			t.Fatalf("seed: %s", r.stderr)
		}
		logs[i] = filepath.Join(e.dir, fmt.Sprintf("serve%d.log", i))
		roots[i], stops[i] = serveLogged(t, e, state, logs[i], faults...)
	}
	upns := memberUsers(t, roots[0], users)
	var csv strings.Builder
	csv.WriteString("user,mobile,email,revokeSessions\n")
	for i, u := range upns {
		fmt.Fprintf(&csv, "%s,+1 206%07d,bulk%d@fabrikam.example,yes\n", u, 3_000_000+i, i)
	}
	in := filepath.Join(e.dir, "in.csv")
	os.WriteFile(in, []byte(csv.String()), 0o600)
	envOf := func(root string) []string {
		return []string{"MFACTL_ENDPOINT=" + root, "MFACTL_TOKEN=mock-admin-token"}
	}

	plans := [2]string{filepath.Join(e.dir, "calm.json"), filepath.Join(e.dir, "killed.json")}
	for i := range plans {
		if r := e.run(envOf(roots[i]), "bulk", "plan", in, "--out", plans[i], "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf(`"operations": %d`, 3*users)) {
			t.Fatalf("plan %d: exit %d %s\n%s", i, r.code, r.stderr, r.stdout)
		}
	}
	if r := e.run(envOf(roots[0]), "bulk", "apply", plans[0], "--yes"); r.code != 0 {
		t.Fatalf("undisturbed apply: exit %d %s", r.code, r.stderr)
	}

	// Kill the apply when its journal has grown past each threshold.
	journal := plans[1] + ".journal"
	kills := 0
	for _, lines := range []int{20, 120, 260, 400} {
		cmd := exec.Command(binary, "bulk", "apply", plans[1], "--yes", "--settle-delay", "2s")
		cmd.Env = append(append([]string{}, e.vars...), envOf(roots[1])...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		killed := false
	wait:
		for {
			select {
			case <-done:
				break wait
			case <-time.After(2 * time.Millisecond):
				if b, _ := os.ReadFile(journal); strings.Count(string(b), "\n") >= lines {
					cmd.Process.Signal(syscall.SIGKILL)
					<-done
					killed = true
					break wait
				}
			}
		}
		if killed {
			kills++
		}
	}
	r := e.run(envOf(roots[1]), "bulk", "apply", plans[1], "--yes", "--settle-delay", "2s")
	if r.code != 0 {
		results, _ := os.ReadFile(strings.TrimSuffix(plans[1], ".json") + ".results.csv")
		var failed []string
		for _, line := range strings.Split(string(results), "\n") {
			if line != "" && !strings.Contains(line, ",done,") && !strings.Contains(line, ",applied,") {
				failed = append(failed, line)
			}
		}
		t.Fatalf("the resumed apply: exit %d %s\nrows not applied:\n%s", r.code, r.stderr, strings.Join(failed, "\n"))
	}
	if kills == 0 {
		t.Fatal("the apply was never killed")
	}
	t.Logf("killed %d times", kills)

	// Both tenants are as asked...
	for i := range roots {
		r := e.run(envOf(roots[i]), "bulk", "plan", in, "--out", filepath.Join(e.dir, fmt.Sprintf("again%d.json", i)), "-o", "json")
		if r.code != 0 || !strings.Contains(r.stdout, `"operations": 0`) {
			t.Errorf("plan after apply %d: exit %d %s\n%s", i, r.code, r.stderr, r.stdout)
		}
	}
	// ...and no write was applied twice.
	for i, lf := range logs {
		b, _ := os.ReadFile(lf)
		ok := map[string]int{}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 || f[1] == "GET" || strings.Contains(f[2], "$batch") {
				continue
			}
			if strings.HasPrefix(f[3], "2") {
				ok[f[1]+" "+f[2]]++
			}
		}
		if len(ok) != 3*users {
			t.Errorf("server %d: %d distinct writes succeeded, want %d", i, len(ok), 3*users)
		}
		for w, n := range ok {
			if n > 1 {
				t.Errorf("server %d: %s succeeded %d times", i, w, n)
			}
		}
	}
	_ = stops
}

// The pass of a bulk apply reaches --secrets-out only: not stdout, not the
// --debug trace on stderr, not the audit log.
func TestBulkApplyPassOnlyInSecretsFile(t *testing.T) {
	e := newEnv(t)
	in := filepath.Join(e.dir, "in.csv")
	os.WriteFile(in, []byte("user,tap\nalex.wilber@contoso.example,8h once\n"), 0o600)
	plan := filepath.Join(e.dir, "plan.json")
	if r := e.run(nil, "--mock", "bulk", "plan", in, "--out", plan); r.code != 0 {
		t.Fatalf("plan: %s", r.stderr)
	}
	secrets := filepath.Join(e.dir, "taps.csv")
	r := e.run(nil, "--mock", "--debug", "bulk", "apply", plan, "--yes", "--secrets-out", secrets)
	if r.code != 0 || !strings.Contains(r.stderr, `"temporaryAccessPass":"[REDACTED]"`) {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(secrets)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("secrets file:\n%s", b)
	}
	pass := strings.Split(lines[1], ",")[2]
	audit, _ := os.ReadFile(filepath.Join(e.dir, "state", "mfactl", "audit.log"))
	if len(pass) < 8 || len(audit) == 0 {
		t.Fatalf("pass %q, audit log %d bytes", pass, len(audit))
	}
	for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "audit log": string(audit)} {
		if strings.Contains(s, pass) {
			t.Errorf("the pass is in %s", name)
		}
	}
}
