// Package output is mfactl's one printer: every command hands it a value and
// it renders it as a table (the default, for people), JSON, YAML or CSV (for
// scripts). JSON and YAML use the value's JSON field names, so both are
// camelCase and stable; table and CSV use the value's Table().
package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"go.yaml.in/yaml/v3"

	"github.com/mfactl/mfactl/internal/exitcode"
	"github.com/mfactl/mfactl/internal/jsonenc"
)

// Format is an output format.
type Format string

// The formats every command supports.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
	CSV   Format = "csv"
	// Markdown is offered by commands whose output is a document (a
	// ticket summary); values implement MarkdownRenderer.
	Markdown Format = "md"
)

// Formats lists the formats in help order.
var Formats = []Format{Table, JSON, YAML, CSV}

// ParseFormat validates a format name ("" means table).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return Table, nil
	case Table, JSON, YAML, CSV, Markdown:
		return f, nil
	case "markdown":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown output format %q (want table, json, yaml or csv; md where a command offers it)", s)
}

// TableData is a rectangular rendering of a value: a header and rows.
type TableData struct {
	Header []string
	Rows   [][]string
}

// Tabular values know how to lay themselves out as a table (and CSV).
type Tabular interface {
	Table() TableData
}

// TableRenderer values draw their own human layout for -o table (a
// key-value header above a table, say); CSV still uses Table().
type TableRenderer interface {
	RenderTable(w io.Writer) error
}

// MarkdownRenderer values render themselves as Markdown for -o md.
type MarkdownRenderer interface {
	RenderMarkdown(w io.Writer) error
}

// FormatError is a format a value cannot be printed in: bad input (exit
// 2). Commands check -o before they start (cmd's checkOutputFormat); this
// is the last line of defence.
type FormatError struct{ msg string }

func (e *FormatError) Error() string { return e.msg }

// ExitCode is 2: a usage error.
func (e *FormatError) ExitCode() int { return exitcode.Usage }

// Printer writes values in one format.
type Printer struct {
	Format Format
	Out    io.Writer
	// Color enables terminal styling of table headers (TTY only).
	Color bool
}

// Print renders v. For table and CSV, v must implement Tabular.
func (p *Printer) Print(v any) error {
	switch p.Format {
	case JSON:
		return WriteJSON(p.Out, v)
	case YAML:
		return WriteYAML(p.Out, v)
	case Markdown:
		if r, ok := v.(MarkdownRenderer); ok {
			return r.RenderMarkdown(p.Out)
		}
		return &FormatError{msg: "output: this command has no Markdown form; use -o table, json, yaml or csv"}
	case CSV, Table, "":
		if r, ok := v.(TableRenderer); ok && p.Format != CSV {
			return r.RenderTable(p.Out)
		}
		t, ok := v.(Tabular)
		if !ok {
			return &FormatError{msg: fmt.Sprintf("output: %T cannot be shown as %s; use -o json or -o yaml", v, p.formatName())}
		}
		if p.Format == CSV {
			return WriteCSV(p.Out, t.Table())
		}
		return WriteTable(p.Out, t.Table())
	}
	return fmt.Errorf("output: unknown format %q", p.Format)
}

func (p *Printer) formatName() string {
	if p.Format == "" {
		return string(Table)
	}
	return string(p.Format)
}

// WriteJSON writes v as indented JSON followed by a newline. HTML characters
// are not escaped, so URIs such as otpauth:// stay readable.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Marshal is json.Marshal without HTML escaping (jsonenc.Marshal): the one
// JSON encoding of everything mfactl prints. A view's MarshalJSON must use
// it, because the encoder of WriteJSON does not undo an escape (`\u0026`
// for `&` in an otpauth:// URI or a question text) that a MarshalJSON
// already wrote.
func Marshal(v any) ([]byte, error) { return jsonenc.Marshal(v) }

// WriteJSONLine writes v as one compact line of JSON (JSON Lines).
func WriteJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteYAML writes v as block YAML with the same field names and order as its
// JSON form: it goes through JSON so struct tags are honoured once.
func WriteYAML(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(raw, &node); err != nil {
		return err
	}
	blockStyle(&node)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return err
	}
	return enc.Close()
}

// blockStyle turns the flow style yaml.v3 gives parsed JSON into block style,
// keeping strings quoted only where YAML needs it.
func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// WriteCSV writes the header and rows as RFC 4180 CSV through a CSVWriter.
func WriteCSV(w io.Writer, t TableData) error {
	cw := NewCSVWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVWriter is the one CSV writer of mfactl: every CSV it writes (-o csv,
// the coverage, token and diff reports, token import's --errors-out)
// escapes every cell with CSVCell, so no value a user or an import file
// controls (a display name, a serial number, a --ticket) is run as a
// spreadsheet formula.
type CSVWriter struct {
	w   *csv.Writer
	rec []string
}

// NewCSVWriter returns a CSVWriter writing RFC 4180 CSV to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one record, each cell escaped.
func (c *CSVWriter) Write(record []string) error {
	c.rec = c.rec[:0]
	for _, cell := range record {
		c.rec = append(c.rec, CSVCell(cell))
	}
	return c.w.Write(c.rec)
}

// Flush writes any buffered data.
func (c *CSVWriter) Flush() { c.w.Flush() }

// Error reports an error of a Write or Flush.
func (c *CSVWriter) Error() error { return c.w.Error() }

// csvFormulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP, "CSV Injection"): = + - @, tab and carriage
// return.
const csvFormulaStarts = "=+-@\t\r"

// CSVCell defuses a spreadsheet formula: a cell starting with = + - @, a
// tab or a carriage return is prefixed with a single quote, which
// spreadsheets show as text and do not evaluate. A lone "-" (the tables'
// "nothing here") is no formula and stays.
func CSVCell(s string) string {
	if s != "" && s != "-" && strings.IndexByte(csvFormulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// CSVUncell undoes CSVCell, for a file mfactl wrote and reads back (a
// token import's --errors-out, fixed and imported again).
func CSVUncell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(csvFormulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// WriteTable draws the table with tablewriter.
func WriteTable(w io.Writer, t TableData) error {
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
	header := make([]any, len(t.Header))
	for i, h := range t.Header {
		header[i] = strings.ToUpper(h)
	}
	table.Header(header...)
	for _, r := range t.Rows {
		row := make([]any, len(r))
		for i, c := range r {
			row[i] = c
		}
		if err := table.Append(row...); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	// tablewriter pads every cell, including the last; trailing blanks only
	// make copy-paste and golden files noisy.
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		trimmed := strings.TrimRight(line, " \n")
		if trimmed == "" && !strings.HasSuffix(line, "\n") {
			continue
		}
		if _, err := io.WriteString(w, trimmed+"\n"); err != nil {
			return err
		}
	}
	return nil
}
