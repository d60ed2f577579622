package reports

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mfactl/mfactl/internal/browsertest"
)

// The HTML report in a real headless browser (issue 7): the page loads with
// no console error, uncaught exception or CSP violation, requests nothing,
// shows the JSON report's numbers, and its script sorts and filters the user
// table. Chromium comes from the system packages (.ci/run installs it); the
// test skips without it, except under CI, where it fails.

// openPage opens a new tab on the file and waits for its load event.
func openPage(t *testing.T, browserCtx context.Context, file string) (context.Context, *browsertest.Events) {
	t.Helper()
	ev := &browsertest.Events{}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(ev.Listen))
	t.Cleanup(cancel)
	addRecorder := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: browsertest.CSPRecorder})
		return err
	})
	if err := chromedp.Do(ctx, addRecorder, chromedp.Navigate(fileURL(file))); err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	return ctx, ev
}

func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// eval runs a JavaScript expression in the page and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkClean fails the test on any console error, uncaught exception,
// browser log error, CSP violation, or request for anything but the page.
func checkClean(t *testing.T, ctx context.Context, ev *browsertest.Events, pageURL string) {
	t.Helper()
	for _, v := range eval[[]string](t, ctx, `window.__cspViolations || ['the CSP recorder did not run']`) {
		t.Errorf("CSP violation: %s", v)
	}
	errs, warnings, requests := ev.Snapshot()
	for _, e := range errs {
		t.Errorf("%s", e)
	}
	for _, w := range warnings {
		t.Logf("warning: %s", w)
	}
	for _, u := range requests {
		if u != pageURL && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s: it must be self-contained", u)
		}
	}
}

// pageRow is a row of the user table as the browser shows it.
type pageRow struct {
	UPN     string `json:"upn"`
	Visible bool   `json:"visible"`
}

const readRows = `Array.from(document.getElementById('user-table').tBodies[0].rows, function (r) {
  return {upn: r.cells[0].childNodes[0].textContent, visible: r.getClientRects().length > 0};
})`

// checkRows compares the table's rows, in page order, with want (the rows in
// the expected order) and the visible rows with those that pass keep.
func checkRows(t *testing.T, ctx context.Context, step string, want []Row, keep func(Row) bool) {
	t.Helper()
	got := eval[[]pageRow](t, ctx, readRows)
	var gotAll, gotVisible, wantAll, wantVisible []string
	for _, r := range got {
		gotAll = append(gotAll, r.UPN)
		if r.Visible {
			gotVisible = append(gotVisible, r.UPN)
		}
	}
	for _, r := range want {
		wantAll = append(wantAll, r.UserPrincipalName)
		if keep(r) {
			wantVisible = append(wantVisible, r.UserPrincipalName)
		}
	}
	if !slices.Equal(gotAll, wantAll) {
		t.Errorf("%s: the table's rows are out of order or wrong: %s", step, firstDiff(gotAll, wantAll))
	}
	if !slices.Equal(gotVisible, wantVisible) {
		t.Errorf("%s: %d rows visible, want %d: %s", step, len(gotVisible), len(wantVisible), firstDiff(gotVisible, wantVisible))
	}
	if shown := eval[string](t, ctx, `document.getElementById('f-shown').textContent`); shown != strconv.Itoa(len(wantVisible)) {
		t.Errorf("%s: the counter says %s users shown, want %d", step, shown, len(wantVisible))
	}
}

// byUPN is the order of the page's user table.
func byUPN(a, b Row) int {
	return strings.Compare(strings.ToLower(a.UserPrincipalName), strings.ToLower(b.UserPrincipalName))
}

// summaryOf reads the summary of a JSON report.
func summaryOf(t *testing.T, report []byte) Summary {
	t.Helper()
	s, err := ReadCoverage(bytes.NewReader(report), func(Row) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return *s
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("row %d is %q, want %q", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("%d rows, want %d", len(got), len(want))
}

// waitShown waits until the "N of M users shown" counter says n: the search
// box applies the filter after a short debounce.
func waitShown(t *testing.T, ctx context.Context, step string, n int) {
	t.Helper()
	expr := fmt.Sprintf(`document.getElementById('f-shown').textContent === %q`, strconv.Itoa(n))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('f-shown').textContent`))
		t.Fatalf("%s: the counter says %q users shown, want %d: %v", step, shown, n, err)
	}
}

// checkPageMetrics checks, in the browser, that every data-metric element is
// visible and shows the JSON report's number at its path, and that every
// required number is there.
func checkPageMetrics(t *testing.T, ctx context.Context, page, report []byte) {
	t.Helper()
	type metric struct {
		Path    string `json:"path"`
		Text    string `json:"text"`
		Visible bool   `json:"visible"`
	}
	ms := eval[[]metric](t, ctx, `Array.from(document.querySelectorAll('[data-metric]'), function (e) {
  return {path: e.getAttribute('data-metric'), text: e.textContent, visible: e.checkVisibility()};
})`)
	if want := len(metricRe.FindAllIndex(page, -1)); len(ms) != want {
		t.Errorf("the browser found %d data-metric elements, the page source has %d", len(ms), want)
	}
	// checkMetrics compares the data-metric elements of a page with the JSON
	// summary: give it what the browser shows, element by element.
	var shown bytes.Buffer
	for _, m := range ms {
		if !m.Visible {
			t.Errorf("data-metric %q (%q) is not visible", m.Path, m.Text)
		}
		fmt.Fprintf(&shown, "<span data-metric=\"%s\">%s</span>\n", html.EscapeString(m.Path), html.EscapeString(m.Text))
	}
	checkMetrics(t, shown.Bytes(), report)
}

// longGuestUPN is the kind of name that pushed the Findings column out of
// the page: an external user's UPN, one word of 75 characters.
const longGuestUPN = "firstname.lastname_longdepartmentname.fabrikam.example#EXT#@contoso.onmicrosoft.com"

func renderCoverage(t *testing.T, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	users := func(yield func(UserInput, error) bool) {
		i := 0
		for in, err := range population(11, 1237) {
			if i == 5 {
				in.User.UserPrincipalName, in.User.UserType = longGuestUPN, "Guest"
			}
			i++
			if !yield(in, err) {
				return
			}
		}
	}
	if _, err := WriteCoverage(t.Context(), &buf, users, genTokens(11, 91), CoverageOptions{Format: f, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHTMLInBrowser(t *testing.T) {
	bin := browsertest.ChromiumOrSkip(t)
	start := time.Now()
	defer func() { t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond)) }()
	page, report := renderCoverage(t, FormatHTML), renderCoverage(t, FormatJSON)
	var users []Row
	if _, err := ReadCoverage(bytes.NewReader(report), func(r Row) error {
		users = append(users, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "coverage.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}

	browserCtx := browsertest.Start(t, bin)
	ctx, ev := openPage(t, browserCtx, file)
	// The script ran when it showed the controls and made the headers buttons.
	do(t, ctx, "waiting for the page's script", chromedp.WaitVisible(chromedp.ID("user-controls")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#user-table thead th > button').length`); n != 10 {
		t.Fatalf("%d sort buttons, want one per column (10)", n)
	}
	if title := eval[string](t, ctx, `document.title`); title != "MFA coverage report" {
		t.Errorf("title %q", title)
	}

	t.Run("metrics", func(t *testing.T) { checkPageMetrics(t, ctx, page, report) })

	t.Run("table", func(t *testing.T) {
		all := func(Row) bool { return true }
		// The page lists users by UPN; the JSON in the order they came.
		order := slices.Clone(users)
		slices.SortStableFunc(order, byUPN)
		checkRows(t, ctx, "as loaded", order, all)

		// Sorting: each click on a header sorts by that column, ascending
		// first, then descending on a second click; ties keep the order
		// they had (the sort is stable).
		userKey := func(r Row) string { return strings.ToLower(r.UserPrincipalName + r.DisplayName) }
		sorts := []struct {
			col  int // 1-based
			name string
			dir  string
			cmp  func(a, b Row) int
		}{
			{5, "Methods", "ascending", func(a, b Row) int { return cmp.Compare(a.MethodCount, b.MethodCount) }},
			{5, "Methods", "descending", func(a, b Row) int { return cmp.Compare(b.MethodCount, a.MethodCount) }},
			{7, "Strongest", "ascending", func(a, b Row) int { return cmp.Compare(a.StrongestClass.Rank(), b.StrongestClass.Rank()) }},
			{1, "User", "ascending", func(a, b Row) int { return cmp.Compare(userKey(a), userKey(b)) }},
			{1, "User", "descending", func(a, b Row) int { return cmp.Compare(userKey(b), userKey(a)) }},
		}
		for _, s := range sorts {
			step := fmt.Sprintf("sort by %s, %s", s.name, s.dir)
			th := fmt.Sprintf("#user-table thead th:nth-child(%d)", s.col)
			do(t, ctx, step, chromedp.Click(chromedp.CSS(th+" > button")))
			if got := eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-sort') || ''`, th)); got != s.dir {
				t.Errorf("%s: aria-sort is %q", step, got)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('#user-table thead th[aria-sort]').length`); n != 1 {
				t.Errorf("%s: %d headers have aria-sort, want 1", step, n)
			}
			slices.SortStableFunc(order, s.cmp)
			checkRows(t, ctx, step, order, all)
		}
		if order[0].UserPrincipalName <= order[len(order)-1].UserPrincipalName {
			t.Errorf("after sorting by User descending the first row is %s", order[0].UserPrincipalName)
		}

		// Filtering: typing in the search box (case-insensitive, on the
		// UPN and the display name), then the admins-only checkbox, then
		// a finding from the select, then clearing them all.
		const query = "User0001"
		matches := func(r Row) bool { return strings.Contains(userKey(r), strings.ToLower(query)) }
		count := func(keep func(Row) bool) int {
			n := 0
			for _, r := range order {
				if keep(r) {
					n++
				}
			}
			return n
		}
		if n := count(matches); n == 0 || n == len(users) {
			t.Fatalf("the query %q matches %d of %d users: pick one that filters", query, n, len(users))
		}
		do(t, ctx, "typing in the search box", chromedp.SendKeys(chromedp.ID("f-search"), query))
		waitShown(t, ctx, "search "+query, count(matches))
		checkRows(t, ctx, "search "+query, order, matches)

		admins := func(r Row) bool { return matches(r) && r.IsAdmin }
		do(t, ctx, "ticking admins only", chromedp.Click(chromedp.ID("f-admins")))
		waitShown(t, ctx, "admins only", count(admins))
		checkRows(t, ctx, "search and admins only", order, admins)
		do(t, ctx, "unticking admins only", chromedp.Click(chromedp.ID("f-admins")))
		waitShown(t, ctx, "admins only off", count(matches))

		do(t, ctx, "clearing the search box", chromedp.SendKeys(chromedp.ID("f-search"), strings.Repeat(kb.Backspace, len(query))))
		waitShown(t, ctx, "search cleared", len(users))
		checkRows(t, ctx, "search cleared", order, all)

		single := func(r Row) bool { return slices.Contains(r.Findings, FindingSingleMFA) }
		do(t, ctx, "choosing a finding",
			chromedp.SetValue(chromedp.ID("f-finding"), string(FindingSingleMFA)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('f-finding').dispatchEvent(new Event('change'))`))
		waitShown(t, ctx, "finding "+string(FindingSingleMFA), count(single))
		checkRows(t, ctx, "finding "+string(FindingSingleMFA), order, single)
	})

	t.Run("clean", func(t *testing.T) {
		checkClean(t, ctx, ev, fileURL(file))
	})

	// Layout, as an auditor reads the page: on a 1,280 and a 1,400 px
	// screen and on paper, with a long guest UPN in the table, nothing
	// sticks out sideways and the Findings column is whole on the page.
	t.Run("layout", func(t *testing.T) {
		const fits = `(function () {
  var de = document.documentElement, t = document.getElementById('user-table');
  var last = t.tHead.rows[0].cells[t.tHead.rows[0].cells.length - 1];
  var long = Array.from(t.tBodies[0].rows).find(function (r) { return r.cells[0].textContent.indexOf('#EXT#') >= 0; });
  return {scroll: de.scrollWidth, width: de.clientWidth, table: Math.ceil(t.getBoundingClientRect().right),
    findings: Math.ceil(last.getBoundingClientRect().right), longRow: long ? Math.ceil(long.cells[0].getBoundingClientRect().right) : -1,
    controls: getComputedStyle(document.getElementById('user-controls')).display};
})()`
		type layout struct {
			Scroll, Width, Table, Findings, LongRow int
			Controls                                string
		}
		check := func(what string, l layout) {
			t.Helper()
			if l.Scroll > l.Width || l.Table > l.Width || l.Findings > l.Width {
				t.Errorf("%s: the page is %d px wide in a %d px window; the table ends at %d px, the Findings column at %d px", what, l.Scroll, l.Width, l.Table, l.Findings)
			}
			if l.LongRow < 0 || l.LongRow > l.Width {
				t.Errorf("%s: the long guest UPN's cell ends at %d px of %d", what, l.LongRow, l.Width)
			}
		}
		for _, w := range []int64{1280, 1400} {
			do(t, ctx, fmt.Sprintf("a %d px window", w), chromedp.EmulateViewport(w, 900))
			check(fmt.Sprintf("%d px", w), eval[layout](t, ctx, fits))
		}
		// Print: A4 at 96 dpi less the page's 12 mm margins is about 703
		// px; the print stylesheet applies and the controls are gone.
		do(t, ctx, "print media", chromedp.EmulateViewport(703, 1000),
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
				return err
			}))
		l := eval[layout](t, ctx, fits)
		check("print", l)
		if l.Controls != "none" {
			t.Errorf("print: the table controls are shown (display %s)", l.Controls)
		}
		do(t, ctx, "screen media", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
			return err
		}))
		// Colours say what a flag means: a weakness is never green.
		green := eval[int](t, ctx, `Array.from(document.querySelectorAll('#user-table tbody tr')).filter(function (r) {
  var c = function (i) { return getComputedStyle(r.cells[i]).color; }, good = 'rgb(26, 127, 55)';
  return (r.cells[8].textContent === 'yes' && c(8) === good) || (r.cells[2].textContent === 'yes' && c(2) === good);
}).length`)
		if green != 0 {
			t.Errorf("%d rows show SMS/voice only = yes or Admin = yes in the good-news green", green)
		}
		// The findings chart has one denominator: every bar is a share of
		// all users, so none is longer than the users it counts allow.
		bars := eval[[]float64](t, ctx, `Array.from(document.querySelectorAll('#chart-findings rect.c-finding'), function (r) { return parseFloat(r.getAttribute('width')); })`)
		var fs Findings
		for _, f := range summaryOf(t, report).Findings {
			if f.Unit == PartUsers {
				fs = append(fs, f)
			}
		}
		if len(bars) != len(fs) {
			t.Fatalf("%d bars for %d user findings", len(bars), len(fs))
		}
		for i, f := range fs {
			if want := Percent(f.Count, len(users)) / 100 * barWidth; bars[i] < want-0.1 || bars[i] > want+0.1 {
				t.Errorf("finding %s: bar %.1f, want %.1f (%d of all %d users)", f.ID, bars[i], want, f.Count, len(users))
			}
		}
	})

	// The fixture tenant: every class and finding, hostile display names.
	t.Run("fixture", func(t *testing.T) {
		page, _ := renderFixture(t, FormatHTML, true)
		report, _ := renderFixture(t, FormatJSON, true)
		var users []Row
		if _, err := ReadCoverage(bytes.NewReader(report), func(r Row) error {
			users = append(users, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "fixture.html")
		if err := os.WriteFile(file, page, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, ev := openPage(t, browserCtx, file)
		do(t, ctx, "waiting for the page's script", chromedp.WaitVisible(chromedp.ID("user-controls")))
		checkPageMetrics(t, ctx, page, report)
		slices.SortStableFunc(users, byUPN)
		checkRows(t, ctx, "as loaded", users, func(Row) bool { return true })
		if n := eval[int](t, ctx, `document.querySelectorAll('script').length`); n != 1 {
			t.Errorf("%d script elements in the DOM: a display name became markup", n)
		}
		checkClean(t, ctx, ev, fileURL(file))
	})

	// The checks above pass on a page with no error only if they see
	// errors at all: tampered copies of the page must trip each of them.
	t.Run("harness", func(t *testing.T) {
		dir := t.TempDir()
		write := func(name, text string) string {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		text := string(page)
		if !strings.Contains(text, reportJS) || !strings.Contains(text, cspHash(reportJS)) {
			t.Fatal("the page does not hold its script and the script's hash")
		}
		// A script that is not the one the CSP hashes must be blocked.
		blocked := write("blocked.html", strings.Replace(text, reportJS, reportJS+"\n", 1))
		// A script with the right hash that logs an error, throws, and loads
		// an image from a server on loopback (allowed by an extended
		// img-src, so that the request is made).
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		badJS := `console.error('boom'); throw new Error('bang');`
		bad := strings.Replace(text, reportJS, badJS, 1)
		bad = strings.Replace(bad, cspHash(reportJS), cspHash(badJS), 1)
		bad = strings.Replace(bad, "img-src data:", "img-src data: "+srv.URL, 1)
		bad = strings.Replace(bad, "<main>", `<main><img alt="" src="`+srv.URL+`/pixel.png">`, 1)
		noisy := write("noisy.html", bad)

		ctx, ev := openPage(t, browserCtx, blocked)
		if v := eval[[]string](t, ctx, `window.__cspViolations`); len(v) == 0 || !strings.Contains(v[0], "script-src") {
			t.Errorf("a tampered script gave no script-src violation: %q", v)
		}
		if hidden := eval[bool](t, ctx, `document.getElementById('user-controls').hidden`); !hidden {
			t.Error("a tampered script ran")
		}
		if errs, _, _ := ev.Snapshot(); !strings.Contains(strings.Join(errs, "\n"), "Content Security Policy") {
			t.Errorf("the browser log did not report the blocked script: %q", errs)
		}

		ctx, ev = openPage(t, browserCtx, noisy)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('img').complete`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Errorf("waiting for the image: %v", err)
		}
		errs, _, requests := ev.Snapshot()
		joined := strings.Join(errs, "\n")
		for _, want := range []string{"console.error: boom", "uncaught exception", "bang"} {
			if !strings.Contains(joined, want) {
				t.Errorf("the events lack %q:\n%s", want, joined)
			}
		}
		if !slices.Contains(requests, srv.URL+"/pixel.png") || hits.Load() == 0 {
			t.Errorf("the image request was not seen (%d hits): %q", hits.Load(), requests)
		}
	})
}
