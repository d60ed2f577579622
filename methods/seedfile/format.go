package seedfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is a seed file format.
type Format string

// The formats ParseFile reads.
const (
	FormatCSV  Format = "csv"
	FormatPSKC Format = "pskc"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatCSV, FormatPSKC:
		return f, nil
	}
	return "", fmt.Errorf("unknown seed file format %q (want csv or pskc)", printable(s))
}

// DetectFormat guesses the format when --format is not given: by the file
// name's extension (.csv; .xml, .pskc, .pskcxml), else by content, since a
// PSKC document starts with "<" after any byte order mark and space and a
// CSV header never does.
func DetectFormat(name string, head []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".xml", ".pskc", ".pskcxml":
		return FormatPSKC
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("<")) {
		return FormatPSKC
	}
	return FormatCSV
}

// Parse reads a seed file. An empty format is detected from name and the
// first bytes of r.
func Parse(r io.Reader, name string, format Format, opts PSKCOptions) (*Result, error) {
	if format == "" {
		br := bufio.NewReader(r)
		head, _ := br.Peek(512)
		format, r = DetectFormat(name, head), br
	}
	switch format {
	case FormatCSV:
		return ParseCSV(r)
	case FormatPSKC:
		return ParsePSKC(r, opts)
	}
	return nil, fmt.Errorf("unknown seed file format %q (want csv or pskc)", printable(string(format)))
}
