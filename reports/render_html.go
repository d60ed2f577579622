package reports

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
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
	Y, TextY, ValueX     int
	Width                string
}

type htmlChart struct {
	ID, Title, KeyHeader string
	ShowOf               bool
	Height               int
	Bars                 []htmlBar
}

func (c *htmlChart) add(label, metric, class string, count, of int, percent float64) {
	i := len(c.Bars)
	w := percent / 100 * barWidth
	c.Bars = append(c.Bars, htmlBar{
		Label: label, Metric: metric, Class: class, Count: count, Of: of, Percent: percent,
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
	fs := htmlChart{ID: "findings", Title: "Findings (share of the population each applies to)", KeyHeader: "Finding", ShowOf: true}
	for _, f := range s.Findings {
		fs.add(f.ID.Label(), "findings."+string(f.ID), "c-finding", f.Count, f.Of, f.Percent)
		if f.Unit == PartUsers {
			v.FindingOptions = append(v.FindingOptions, f)
		}
	}
	v.Charts = []htmlChart{classes, ms, fs}
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
// writes the page: summary, charts and findings, the spooled rows, and the
// script. The page is self-contained: no URL, font or script from outside,
// and a Content-Security-Policy that forbids loading any.
type htmlRenderer struct {
	out   io.Writer
	spool *spool
	title string
	rows  int
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
	return htmlReport().ExecuteTemplate(h.spool.w, "row", r)
}

func (h *htmlRenderer) Finish(s Summary) error {
	w := bufio.NewWriterSize(h.out, 64<<10)
	v := newHTMLView(h.title, s, h.rows)
	if err := htmlReport().ExecuteTemplate(w, "head", v); err != nil {
		return err
	}
	if err := h.spool.copyTo(w); err != nil {
		return err
	}
	if err := htmlReport().ExecuteTemplate(w, "tail", v); err != nil {
		return err
	}
	return w.Flush()
}

func (h *htmlRenderer) Close() error { return h.spool.close() }
