package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The README's main command: the coverage report of the embedded mock,
// through the built binary, in every format; and the same JSON from
// `mock serve` through --endpoint.
func TestReportCoverageE2E(t *testing.T) {
	e := newEnv(t)
	r := e.run(nil, "--mock", "report", "coverage")
	if r.code != 0 || !strings.Contains(r.stdout, "alex.wilber@contoso.example") || !strings.Contains(r.stdout, "noMfaMethod") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"csv", "json", "md", "html"} {
		r := e.run(nil, "--mock", "report", "coverage", "-o", f)
		if r.code != 0 || r.stdout == "" {
			t.Errorf("-o %s: exit %d: %s", f, r.code, r.stderr)
		}
	}
	out := filepath.Join(e.dir, "cov.json")
	if r := e.run(nil, "--mock", "report", "coverage", "-o", "json", "--out", out); r.code != 0 || r.stdout != "" {
		t.Fatalf("--out: exit %d, stdout %q, %s", r.code, r.stdout, r.stderr)
	}
	local, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}

	srv := startServe(t, e, e.dir+"/served.db")
	remote := e.run([]string{"MFACTL_ENDPOINT=" + srv, "MFACTL_TOKEN=mock-admin-token"}, "report", "coverage", "-o", "json")
	if remote.code != 0 {
		t.Fatalf("--endpoint: exit %d: %s", remote.code, remote.stderr)
	}
	// Only the time the report was made differs.
	stamp := regexp.MustCompile(`"generatedAt": *"[^"]*"`)
	a, b := stamp.ReplaceAll(local, nil), stamp.ReplaceAll([]byte(remote.stdout), nil)
	if !bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b)) {
		t.Errorf("--mock and --endpoint reports differ:\n%s\n---\n%s", a, b)
	}
	var doc struct {
		Users   []json.RawMessage `json:"users"`
		Summary struct {
			Users struct {
				Total int `json:"total"`
			} `json:"users"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(local, &doc); err != nil || len(doc.Users) != doc.Summary.Users.Total || len(doc.Users) < 10 {
		t.Fatalf("json report: %v, %d rows, total %d", err, len(doc.Users), doc.Summary.Users.Total)
	}
}

// Reads and dry runs leave the embedded mock's state file byte for byte as
// it was.
func TestReadsAndDryRunsLeaveTheStateFileUnchanged(t *testing.T) {
	e := newEnv(t)
	state := filepath.Join(e.dir, "mock.db")
	if r := e.run(nil, "--mock", "user", "show", "adele.vance@contoso.example"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sum := func() [32]byte {
		b, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	for _, args := range [][]string{
		{"user", "show", "adele.vance@contoso.example"},
		{"report", "coverage", "-o", "csv"},
		{"phone", "add", "alex.wilber@contoso.example", "+14255550177", "--type", "mobile", "--dry-run"},
		{"tap", "create", "alex.wilber@contoso.example", "--dry-run"},
		{"reset", "adele.vance@contoso.example", "--all", "--dry-run"},
	} {
		if r := e.run(nil, append([]string{"--mock"}, args...)...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		if sum() != before {
			t.Fatalf("%v changed the state file", args)
		}
	}
}

// report coverage --stats against `mock serve --throttle graph`: the two
// fronts' per-front counts, where they met and the bound, with rows
// identical to --source methods.
func TestReportCoverageStatsOfTwoFrontsE2E(t *testing.T) {
	e := newEnv(t)
	state := filepath.Join(e.dir, "fronts.db")
	if r := e.run(nil, "mock", "seed", "--users", "2500", "--seed", "42", "--state", state); r.code != 0 {
		t.Fatalf("seed: exit %d: %s", r.code, r.stderr)
	}
	srv := startServe(t, e, state, "--throttle", "graph")
	vars := []string{"MFACTL_ENDPOINT=" + srv, "MFACTL_TOKEN=mock-admin-token"}
	rows := map[string]string{}
	for _, source := range []string{"auto", "methods"} {
		out := filepath.Join(e.dir, source+".csv")
		r := e.run(vars, "report", "coverage", "--source", source, "--stats", "--no-tokens", "-o", "csv", "--out", out)
		if r.code != 0 {
			t.Fatalf("--source %s: exit %d: %s", source, r.code, r.stderr)
		}
		if source == "auto" {
			for _, want := range []string{
				"plan: registration for enabled users, from the start of the userPrincipalName order",
				"stats: 2500 users in ",
				"stats: registration front (reports budget): ",
				"stats: methods front (identity budget): ",
				"stats: the fronts met at ",
				"stats: bound 0s: the budgets' first window holds every request for 2500 users",
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if m := regexp.MustCompile(`(\d+) throttled \(`).FindStringSubmatch(r.stderr); m == nil || m[1] != "0" {
				t.Errorf("throttled: %v\n%s", m, r.stderr)
			}
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		sort.Strings(lines)
		rows[source] = strings.Join(lines, "\n")
		if len(lines) != 2501 {
			t.Errorf("--source %s: %d lines", source, len(lines))
		}
	}
	if rows["auto"] != rows["methods"] {
		t.Error("the two fronts' rows differ from --source methods")
	}
}
