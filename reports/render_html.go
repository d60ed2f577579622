package reports

import (
	"bufio"
	"bytes"
	"container/heap"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed assets/coverage.html.tmpl assets/report.css assets/report.js
var assets embed.FS

var (
	reportCSS = mustAsset("assets/report.css")
	reportJS  = mustAsset("assets/report.js")
	// htmlReport is parsed on first use, not at start-up: every mfactl run
	// (--help included) would pay for it otherwise.
	htmlReport = sync.OnceValue(func() *template.Template {
		return template.Must(template.New("coverage").Funcs(template.FuncMap{
			"pct":  formatPercent,
			"bit":  func(b bool) string { return map[bool]string{true: "1", false: "0"}[b] },
			"tags": func(fs []FindingID) string { return joinNames(fs, " ") },
			"list": func(ms []MethodName) string { return joinNames(ms, ", ") },
		}).ParseFS(assets, "assets/coverage.html.tmpl"))
	})
	// reportCSP allows nothing but the page's own style and script, by hash:
	// the page makes no network request, and injected markup could not run.
	reportCSP = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; form-action 'none'",
		cspHash(reportCSS), cspHash(reportJS))
)

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	labelWidth  = 230
	barWidth    = 300
	barHeight   = 16
	barPitch    = 24
	chartMargin = 4
)

type htmlBar struct {
	Label, Metric, Class string
	Count, Of            int
	Percent              float64
	// Scale is the bar's length in percent of the track (Percent, or a
	// share of a common denominator).
	Scale            float64
	Y, TextY, ValueX int
	Width            string
}

type htmlChart struct {
	ID, Title, KeyHeader string
	ShowOf               bool
	Height               int
	Bars                 []htmlBar
}

func (c *htmlChart) add(label, metric, class string, count, of int, percent float64) {
	c.addScaled(label, metric, class, count, of, percent, percent)
}

// addScaled adds a bar whose length is scale percent of the track, while
// the legend keeps percent (a finding's share of its own population).
func (c *htmlChart) addScaled(label, metric, class string, count, of int, percent, scale float64) {
	i := len(c.Bars)
	w := scale / 100 * barWidth
	c.Bars = append(c.Bars, htmlBar{
		Label: label, Metric: metric, Class: class, Count: count, Of: of, Percent: percent, Scale: scale,
		Y: chartMargin + i*barPitch, TextY: chartMargin + i*barPitch + 13,
		ValueX: labelWidth + barWidth + 8, Width: strconv.FormatFloat(w, 'f', 1, 64),
	})
	c.Height = 2*chartMargin + len(c.Bars)*barPitch
}

type htmlTotal struct {
	Label, Path string
	Share
}

type htmlOption struct{ Key, Label string }

type htmlTokenModel struct {
	Manufacturer, Model string
	Counts              []int
	Total               int
}

type htmlTokens struct {
	Total    int
	ByStatus Breakdown
	Models   []htmlTokenModel
}

// htmlView is what the page template sees.
type htmlView struct {
	Title, Generated, Filter, CSP string
	CSS                           template.CSS
	JS                            template.JS
	Sources                       []SourceUse
	Total, Rows                   int
	Totals                        []htmlTotal
	Charts                        []htmlChart
	Findings                      Findings
	Tokens                        *htmlTokens
	ClassOptions                  []htmlOption
	FindingOptions                Findings
	ChartWidth, LabelWidth        int
	BarWidth, BarHeight           int
}

func newHTMLView(title string, s Summary, rows int) htmlView {
	v := htmlView{
		Title: title, Generated: formatTime(s.GeneratedAt), Filter: s.Filter, CSP: reportCSP,
		CSS: template.CSS(reportCSS), JS: template.JS(reportJS),
		Sources: s.Sources, Total: s.Users.Total, Rows: rows, Findings: s.Findings,
		ChartWidth: chartWidth, LabelWidth: labelWidth, BarWidth: barWidth, BarHeight: barHeight,
	}
	for _, l := range userTotalLines(s.Users) {
		v.Totals = append(v.Totals, htmlTotal{Label: l.label, Path: "users." + l.key, Share: l.share})
	}
	classes := htmlChart{ID: "classes", Title: "Coverage by strongest method class", KeyHeader: "Strongest class"}
	for _, e := range s.Classes {
		classes.add(classLabel(e.Key), "classes."+e.Key, "c-"+e.Key, e.Count, s.Users.Total, e.Percent)
		v.ClassOptions = append(v.ClassOptions, htmlOption{Key: e.Key, Label: classLabel(e.Key)})
	}
	ms := htmlChart{ID: "methods", Title: "Methods distribution (users holding each method)", KeyHeader: "Method"}
	for _, e := range s.Methods {
		ms.add(MethodName(e.Key).Label(), "methods."+e.Key, "c-"+string(MethodName(e.Key).Class()), e.Count, s.Users.Total, e.Percent)
	}
	// One denominator for every bar: a finding about the 2 disabled users
	// that concerns both is 2 users, not the longest bar at 100%. Each
	// finding's share of its own population (admins, disabled users) is in
	// the legend and in the findings section, labelled as such.
	fs := htmlChart{ID: "findings", Title: fmt.Sprintf("Findings (users concerned, as a share of all users: %d)", s.Users.Total), KeyHeader: "Finding", ShowOf: true}
	tokens := 0
	if s.Tokens != nil {
		tokens = s.Tokens.Total
	}
	tfs := htmlChart{ID: "token-findings", Title: fmt.Sprintf("Token findings (tokens concerned, as a share of all tokens: %d)", tokens), KeyHeader: "Finding", ShowOf: true}
	for _, f := range s.Findings {
		if f.Unit != PartUsers {
			tfs.addScaled(f.ID.Label(), "findings."+string(f.ID), "c-finding", f.Count, f.Of, f.Percent, Percent(f.Count, max(tokens, f.Of)))
			continue
		}
		fs.addScaled(f.ID.Label(), "findings."+string(f.ID), "c-finding", f.Count, f.Of, f.Percent, Percent(f.Count, s.Users.Total))
		v.FindingOptions = append(v.FindingOptions, f)
	}
	v.Charts = []htmlChart{classes, ms, fs}
	if len(tfs.Bars) > 0 {
		v.Charts = append(v.Charts, tfs)
	}
	if t := s.Tokens; t != nil {
		ht := &htmlTokens{Total: t.Total, ByStatus: t.ByStatus}
		for _, m := range t.Models {
			hm := htmlTokenModel{Manufacturer: m.Manufacturer, Model: m.Model, Total: m.Total}
			for _, e := range t.ByStatus {
				c, _ := m.ByStatus.Get(e.Key)
				hm.Counts = append(hm.Counts, c.Count)
			}
			ht.Models = append(ht.Models, hm)
		}
		v.Tokens = ht
	}
	return v
}

// htmlRenderer spools the rows as table rows (escaped by html/template), then
// writes the page: summary, charts and findings, the spooled rows in user
// principal name order, and the script. The page is self-contained: no
// URL, font or script from outside, and a Content-Security-Policy that
// forbids loading any.
//
// Rows arrive in object id order (Graph's paging order). To list them by
// user principal name without keeping every row in memory, the renderer
// sorts them externally: it collects sortRun rows, sorts them, writes them
// to the spool as one sorted run, and at the end merges the runs. Memory
// is one run and a small reader per run, whatever the number of users.
type htmlRenderer struct {
	out   io.Writer
	spool *spool
	title string
	rows  int
	// run is the rows not spooled yet; runs are the sorted runs spooled.
	run  []sortedRow
	runs []spoolRun
	off  int64
	buf  bytes.Buffer
}

// sortRun is how many rows are sorted in memory before they are spooled.
const sortRun = 2048

// sortedRow is a rendered row and what it sorts by.
type sortedRow struct {
	key string
	row []byte
}

// spoolRun is a sorted run in the spool: its bytes, and how many rows.
type spoolRun struct {
	off, len int64
}

func newHTMLRenderer(w io.Writer, opts RenderOptions) (*htmlRenderer, error) {
	sp, err := newSpool(opts.TempDir)
	if err != nil {
		return nil, err
	}
	return &htmlRenderer{out: w, spool: sp, title: opts.title("MFA coverage report")}, nil
}

func (h *htmlRenderer) WriteRow(r Row) error {
	h.rows++
	h.buf.Reset()
	if err := htmlReport().ExecuteTemplate(&h.buf, "row", r); err != nil {
		return err
	}
	h.run = append(h.run, sortedRow{key: strings.ToLower(r.UserPrincipalName), row: bytes.Clone(h.buf.Bytes())})
	if len(h.run) == sortRun {
		return h.spoolRun()
	}
	return nil
}

// spoolRun sorts the rows collected (input order among equal keys) and
// writes them to the spool as one run of records: key length, key, row
// length, row (lengths as uvarints).
func (h *htmlRenderer) spoolRun() error {
	if len(h.run) == 0 {
		return nil
	}
	slices.SortStableFunc(h.run, func(a, b sortedRow) int { return strings.Compare(a.key, b.key) })
	start := h.off
	var n [binary.MaxVarintLen64]byte
	for _, r := range h.run {
		for _, part := range [][]byte{[]byte(r.key), r.row} {
			k := binary.PutUvarint(n[:], uint64(len(part)))
			if _, err := h.spool.w.Write(n[:k]); err != nil {
				return fmt.Errorf("write spool file: %w", err)
			}
			if _, err := h.spool.w.Write(part); err != nil {
				return fmt.Errorf("write spool file: %w", err)
			}
			h.off += int64(k + len(part))
		}
	}
	h.runs = append(h.runs, spoolRun{off: start, len: h.off - start})
	clear(h.run)
	h.run = h.run[:0]
	return nil
}

// runReader reads the records of one run in order.
type runReader struct {
	r   *bufio.Reader
	idx int
	key string
	row []byte
}

func (rr *runReader) next() (bool, error) {
	part := func() ([]byte, error) {
		n, err := binary.ReadUvarint(rr.r)
		if err != nil {
			return nil, err
		}
		b := make([]byte, n)
		_, err = io.ReadFull(rr.r, b)
		return b, err
	}
	key, err := part()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read spool file: %w", err)
	}
	row, err := part()
	if err != nil {
		return false, fmt.Errorf("read spool file: %w", err)
	}
	rr.key, rr.row = string(key), row
	return true, nil
}

// runHeap orders the runs by their next row's key, then by run.
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := strings.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// copySorted merges the runs into w: by key, and among equal keys in the
// order the rows came (runs are in input order, and each run is stable).
func (h *htmlRenderer) copySorted(w io.Writer) error {
	if err := h.spoolRun(); err != nil {
		return err
	}
	if err := h.spool.w.Flush(); err != nil {
		return fmt.Errorf("write spool file: %w", err)
	}
	live := &runHeap{}
	for i, r := range h.runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(h.spool.f, r.off, r.len), 8<<10), idx: i}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			*live = append(*live, rr)
		}
	}
	heap.Init(live)
	for live.Len() > 0 {
		least := (*live)[0]
		if _, err := w.Write(least.row); err != nil {
			return err
		}
		ok, err := least.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(live, 0)
		} else {
			heap.Pop(live)
		}
	}
	return nil
}

func (h *htmlRenderer) Finish(s Summary) error {
	w := bufio.NewWriterSize(h.out, 64<<10)
	v := newHTMLView(h.title, s, h.rows)
	if err := htmlReport().ExecuteTemplate(w, "head", v); err != nil {
		return err
	}
	if err := h.copySorted(w); err != nil {
		return err
	}
	if err := htmlReport().ExecuteTemplate(w, "tail", v); err != nil {
		return err
	}
	return w.Flush()
}

func (h *htmlRenderer) Close() error { return h.spool.close() }
