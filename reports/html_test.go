package reports

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var metricRe = regexp.MustCompile(`data-metric="([^"]+)"[^>]*>([^<]*)<`)

// requiredMetric reports whether a summary path must be shown on the HTML
// page with a data-metric attribute.
func requiredMetric(path string) bool {
	switch {
	case path == "users.total" || path == "tokens.total":
		return true
	case strings.HasPrefix(path, "users."), strings.HasPrefix(path, "classes."), strings.HasPrefix(path, "methods."):
		return strings.HasSuffix(path, ".count") || strings.HasSuffix(path, ".percent")
	case strings.HasPrefix(path, "findings."):
		return strings.HasSuffix(path, ".count") || strings.HasSuffix(path, ".of") || strings.HasSuffix(path, ".percent")
	case strings.HasPrefix(path, "tokens.byStatus."):
		return strings.HasSuffix(path, ".count")
	}
	return false
}

// checkMetrics checks that every data-metric on the page equals the JSON
// report's number at that path, printed the same way, and that every
// required number is on the page: what the browser test will check.
func checkMetrics(t *testing.T, page []byte, jsonReport []byte) {
	t.Helper()
	var doc struct {
		Summary json.RawMessage `json:"summary"`
	}
	if err := json.Unmarshal(jsonReport, &doc); err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := json.Unmarshal(doc.Summary, &raw); err != nil {
		t.Fatal(err)
	}
	want := flatten(t, raw)
	seen := map[string]bool{}
	matches := metricRe.FindAllSubmatch(page, -1)
	if len(matches) == 0 {
		t.Fatal("no data-metric element on the page")
	}
	for _, m := range matches {
		path, text := string(m[1]), string(m[2])
		v, ok := want[path]
		if !ok {
			t.Errorf("data-metric %q is not a number of the JSON summary", path)
			continue
		}
		if text != strconv.FormatFloat(v, 'f', -1, 64) {
			t.Errorf("data-metric %q shows %q, JSON has %v", path, text, v)
		}
		seen[path] = true
	}
	for path := range want {
		if requiredMetric(path) && !seen[path] {
			t.Errorf("summary number %s is not on the page", path)
		}
	}
}

func TestHTMLMetricsEqualJSON(t *testing.T) {
	page, _ := renderFixture(t, FormatHTML, true)
	report, _ := renderFixture(t, FormatJSON, true)
	checkMetrics(t, page, report)

	// A larger generated tenant, for percentages of every shape.
	render := func(f Format) []byte {
		var buf bytes.Buffer
		if _, err := WriteCoverage(t.Context(), &buf, population(11, 1237), genTokens(11, 91), CoverageOptions{Format: f, TempDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	checkMetrics(t, render(FormatHTML), render(FormatJSON))
}

var attrURLRe = regexp.MustCompile(`(?i)\s(src|href|action|formaction|poster|xlink:href|data|srcset)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)

func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	page, _ := renderFixture(t, FormatHTML, true)
	text := string(page)
	for _, m := range attrURLRe.FindAllStringSubmatch(text, -1) {
		v := strings.Trim(m[2], `"'`)
		if !strings.HasPrefix(v, "data:") {
			t.Errorf("page references %s=%q: the report must be self-contained", m[1], v)
		}
	}
	for _, banned := range []string{"url(", "@import", "<iframe", "<object", "<embed", "<img", "<link rel=\"stylesheet\"", "fetch(", "XMLHttpRequest"} {
		if strings.Contains(text, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
	if n := strings.Count(text, "<script"); n != 1 {
		t.Errorf("page has %d script elements, want 1 (the report's own)", n)
	}
	if strings.Contains(text, `<script>alert`) || !strings.Contains(text, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
		t.Error("the hostile display name is not escaped")
	}
	if !strings.Contains(text, "@media print") {
		t.Error("no print stylesheet")
	}
}

func TestHTMLContentSecurityPolicyHashes(t *testing.T) {
	page, _ := renderFixture(t, FormatHTML, false)
	text := string(page)
	between := func(open, close string) string {
		i := strings.Index(text, open)
		j := strings.Index(text, close)
		if i < 0 || j < i {
			t.Fatalf("no %s element", open)
		}
		return text[i+len(open) : j]
	}
	css, js := between("<style>", "</style>"), between("<script>", "</script>")
	if css != reportCSS || js != reportJS {
		t.Fatal("the style or script element does not hold the asset verbatim")
	}
	for _, h := range []string{cspHash(css), cspHash(js)} {
		if !strings.Contains(text, "'"+h+"'") && !strings.Contains(text, "&#39;"+h+"&#39;") {
			t.Errorf("CSP does not allow hash %s", h)
		}
	}
	if !strings.Contains(text, "default-src &#39;none&#39;") {
		t.Error("CSP does not default to none")
	}
	if strings.Contains(text, `id="tokens"`) {
		t.Error("token section rendered without a token inventory")
	}
}

// The user table lists users by user principal name (case-insensitively,
// input order among equals), across the renderer's sorted runs.
func TestHTMLRowsInUPNOrder(t *testing.T) {
	for _, n := range []int{0, 1, 7, sortRun, sortRun + 1, 3*sortRun + 17} {
		var out bytes.Buffer
		r, err := NewCoverageRenderer(&out, FormatHTML, RenderOptions{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		acc := NewAccumulator(SummaryOptions{})
		var want []string
		for in := range population(9, n) {
			row := Compute(in)
			acc.Add(row, in.Source)
			want = append(want, row.UserPrincipalName)
			if err := r.WriteRow(row); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Finish(acc.Summary()); err != nil {
			t.Fatal(err)
		}
		r.Close()
		slices.SortStableFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		var got []string
		for _, m := range rowUPN.FindAllSubmatch(out.Bytes(), -1) {
			got = append(got, html.UnescapeString(string(m[1])))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%d users: rows out of order or lost (%d rows)", n, len(got))
		}
	}
}

var rowUPN = regexp.MustCompile(`<tr data-class="[^"]*"[^>]*><td>([^<]*)`)

// Flags are coloured by meaning: a weakness (SMS/voice only, no backup)
// is never the good-news colour, nor is being an admin.
func TestHTMLFlagsColouredByMeaning(t *testing.T) {
	row := Row{UserPrincipalName: "a@contoso.example", IsAdmin: true, AccountEnabled: true, SMSVoiceOnly: true, HasBackup: false}
	var b bytes.Buffer
	if err := htmlReport().ExecuteTemplate(&b, "row", row); err != nil {
		t.Fatal(err)
	}
	cells := regexp.MustCompile(`<td data-sort="[01]" class="flag ([a-z-]+)">(yes|no)</td>`).FindAllStringSubmatch(b.String(), -1)
	var got []string
	for _, c := range cells {
		got = append(got, c[2]+":"+c[1])
	}
	want := []string{"yes:flag-note", "yes:flag-plain", "no:flag-bad", "yes:flag-bad"} // admin, enabled, backup, SMS/voice only
	if !slices.Equal(got, want) {
		t.Errorf("flags %v, want %v", got, want)
	}
}
