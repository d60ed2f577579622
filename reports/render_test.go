package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"github.com/mfactl/mfactl/internal/output"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/atomicfile"
)

func fixtureRows() []Row {
	var rows []Row
	for _, in := range fixtureUsers() {
		rows = append(rows, Compute(in))
	}
	return rows
}

func TestJSONReportDecodes(t *testing.T) {
	out, s := renderFixture(t, FormatJSON, true)
	var doc struct {
		Users   []Row   `json:"users"`
		Summary Summary `json:"summary"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(doc.Users, fixtureRows()) {
		t.Errorf("users do not round-trip")
	}
	if !reflect.DeepEqual(doc.Summary, s) {
		t.Errorf("summary does not round-trip:\n%+v\n%+v", doc.Summary, s)
	}
	var empty bytes.Buffer
	if _, err := WriteCoverage(t.Context(), &empty, seqOf([]UserInput(nil)), nil, CoverageOptions{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(empty.Bytes(), &doc); err != nil || len(doc.Users) != 0 {
		t.Errorf("empty report: %v, %d users", err, len(doc.Users))
	}
}

func TestCSVReport(t *testing.T) {
	out, _ := renderFixture(t, FormatCSV, false)
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(records[0], CSVHeader) {
		t.Errorf("header = %q", records[0])
	}
	rows := fixtureRows()
	if len(records) != len(rows)+1 {
		t.Fatalf("%d records for %d rows", len(records), len(rows))
	}
	for i, r := range rows {
		rec := records[i+1]
		if strings.TrimPrefix(rec[1], "'") != r.UserPrincipalName || rec[2] != output.CSVCell(r.DisplayName) ||
			rec[6] != joinNames(r.Methods, ";") || rec[15] != joinNames(r.Findings, ";") || rec[11] != string(r.StrongestClass) {
			t.Errorf("record %d = %q for row %+v", i, rec, r)
		}
	}
}

func TestFilterAppliesToRowsAndSummary(t *testing.T) {
	for _, f := range []Filter{{Admins: true}, {Guests: true}, {Members: true}, {Enabled: true}, {Members: true, Enabled: true}} {
		var buf bytes.Buffer
		opts := fixtureOptions(FormatJSON)
		opts.Filter = f
		s, err := WriteCoverage(t.Context(), &buf, seqOf(fixtureUsers()), nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Users []Row }
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, r := range fixtureRows() {
			if f.Match(r) {
				want++
			}
		}
		if len(doc.Users) != want || s.Users.Total != want || s.Filter != f.String() {
			t.Errorf("filter %s: %d rows, total %d, filter %q; want %d", f, len(doc.Users), s.Users.Total, s.Filter, want)
		}
		for _, r := range doc.Users {
			if !f.Match(r) {
				t.Errorf("filter %s let %s through", f, r.UserPrincipalName)
			}
		}
	}
}

func TestSpoolingRenderersLeaveNoTempFiles(t *testing.T) {
	for _, f := range []Format{FormatMarkdown, FormatHTML} {
		dir := t.TempDir()
		var buf bytes.Buffer
		if _, err := WriteCoverage(t.Context(), &buf, seqOf(fixtureUsers()), nil, CoverageOptions{Format: f, TempDir: dir}); err != nil {
			t.Fatal(err)
		}
		failing := func(yield func(UserInput, error) bool) {
			if yield(fixtureUsers()[0], nil) {
				yield(UserInput{}, errors.New("connection reset"))
			}
		}
		if _, err := WriteCoverage(t.Context(), &buf, failing, nil, CoverageOptions{Format: f, TempDir: dir}); err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("%s: iterator error not returned: %v", f, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s left %d files in the spool directory", f, len(entries))
		}
	}
}

func TestInterruptedRunLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "coverage.html")
	if err := os.WriteFile(target, []byte("last quarter"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		ctx, cancel := context.WithCancel(t.Context())
		users := func(yield func(UserInput, error) bool) {
			for i, in := range fixtureUsers() {
				if i == 3 {
					cancel() // Ctrl-C while the rows stream
				}
				if !yield(in, nil) {
					return
				}
			}
		}
		err := atomicfile.Write(target, 0o600, func(w io.Writer) error {
			_, err := WriteCoverage(ctx, w, users, nil, CoverageOptions{Format: f, TempDir: dir})
			return err
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", f, err)
		}
		if b, _ := os.ReadFile(target); string(b) != "last quarter" {
			t.Errorf("%s: interrupted run changed the target: %q", f, b)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: %d files in the directory, want only the target", f, len(entries))
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": FormatTable, "CSV": FormatCSV, "json": FormatJSON, "md": FormatMarkdown, "markdown": FormatMarkdown, " html ": FormatHTML} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("ParseFormat(yaml) succeeded")
	}
	if _, err := NewCoverageRenderer(&bytes.Buffer{}, "pdf", RenderOptions{}); err == nil {
		t.Error("NewCoverageRenderer(pdf) succeeded")
	}
}

func TestWrapCellAndTermSafe(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"short", 10, "short"},
		{"mobilePhone, fido2, microsoftAuthenticator", 24, "mobilePhone, fido2,\nmicrosoftAuthenticator"},
		{"averyveryverylongupn@contoso.example", 12, "averyveryver\nylongupn@con\ntoso.example"},
		{"a, b", 0, "a, b"},
		// a diff's method changes break between changes, not inside one
		{"-microsoftAuthenticator -softwareOath; default push -> sms", 30, "-microsoftAuthenticator\n-softwareOath; default push ->\nsms"},
	}
	for _, tt := range tests {
		if got := wrapCell(tt.in, tt.width); got != tt.want {
			t.Errorf("wrapCell(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
	if got := termSafe("a\x1b[31mred\x07"); got != "a?[31mred?" {
		t.Errorf("termSafe = %q", got)
	}
}

func TestTableRendererShowsEveryUser(t *testing.T) {
	out, _ := renderFixture(t, FormatTable, true)
	for _, r := range fixtureRows() {
		// Wrapped cells are split over lines; the first 30 characters of each
		// UPN are on one line.
		prefix := r.UserPrincipalName[:min(30, len(r.UserPrincipalName))]
		if !strings.Contains(string(out), prefix) {
			t.Errorf("table lacks %s", r.UserPrincipalName)
		}
	}
}
