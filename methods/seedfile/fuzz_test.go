package seedfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func addFiles(f *testing.F, pattern string, extra ...any) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files for %s: %v", pattern, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]any{data}, extra...)...)
	}
}

// checkResult holds every parse outcome to the package's promises: file
// errors on one line and without a result; tokens that validate, in line
// order; row errors in line order; and no seed in anything printable.
// secrets are seeds from the input that must not be shown.
func checkResult(t *testing.T, res *Result, err error, secrets []string) {
	t.Helper()
	var shown strings.Builder
	if err != nil {
		if res != nil {
			t.Fatalf("error %v came with a result", err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("multi-line error %q", err)
		}
		shown.WriteString(err.Error())
	} else {
		for i, tok := range res.Tokens {
			if err := tok.Validate(); err != nil {
				t.Fatalf("token at line %d fails Validate: %v", tok.Line, err)
			}
			if tok.Line < 1 || i > 0 && tok.Line < res.Tokens[i-1].Line {
				t.Fatalf("token lines out of order: %d after %d", tok.Line, res.Tokens[max(i-1, 0)].Line)
			}
		}
		for i, e := range res.Errors {
			if e.Line < 1 || i > 0 && e.Line < res.Errors[i-1].Line {
				t.Fatalf("error lines out of order or missing: %+v", res.Errors)
			}
			if e.Reason == "" {
				t.Fatalf("row error without a reason at line %d", e.Line)
			}
			shown.WriteString(e.Error() + "\n")
		}
		if err := WriteErrorsCSV(&shown, res.Errors); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&shown, "%+v %#v", res, res)
		for _, e := range res.Errors {
			// A seed that reached a rejected row must not be shown either.
			if s := e.Row.SecretKey.Base32(); utf8.RuneCountInString(s) >= MinSecretLength {
				secrets = append(secrets, s)
			}
		}
	}
	out := shown.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("output shows a seed (%d characters):\n%s", len(s), out)
		}
	}
}

// csvSecrets finds the seeds in a CSV input the way ParseCSV reads it,
// leaving out any that also appear elsewhere in the input (as a serial,
// say), since those may be shown for that reason.
func csvSecrets(data []byte) []string {
	br := bufio.NewReader(bytes.NewReader(data))
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	var (
		secretCol = -1
		width     int
		secrets   []string
	)
	for {
		record, err := cr.Read()
		if err != nil {
			break
		}
		if blankRecord(record) {
			continue
		}
		if width == 0 {
			width = len(record)
			for i, cell := range record {
				if normaliseHeaderCell(cell) == "secretkey" {
					secretCol = i
				}
			}
			continue
		}
		if secretCol < 0 || len(record) != width {
			continue
		}
		raw := strings.TrimSpace(record[secretCol])
		candidates := []string{raw}
		if norm, err := NormaliseSecret(raw); err == nil {
			candidates = append(candidates, norm)
		}
		for _, s := range candidates {
			if utf8.RuneCountInString(s) >= MinSecretLength && bytes.Count(data, []byte(s)) <= 1 {
				secrets = append(secrets, s)
			}
		}
	}
	return secrets
}

// FuzzParseCSV: no panic; tokens valid; every non-blank data row is a
// token or a row error; no seed in errors, the errors file or %v output.
func FuzzParseCSV(f *testing.F) {
	addFiles(f, "testdata/csv/*.csv")
	f.Add([]byte(CSVHeader + "\n,S-1," + testSeed + ",30,Contoso,M1\n,S-1," + testSeed + ",60,Contoso,M1\n"))
	f.Add([]byte("\xef\xbb\xbf" + CSVHeader + ",hash function\r\n\"a@b.c\",\"S\"\"1\",\"" + testSeed + "\",30,C,M,sha256\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseCSV(bytes.NewReader(data))
		checkResult(t, res, err, csvSecrets(data))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FileError", err, err)
			}
			return
		}
		rows := dataRows(data)
		if rows >= 0 && len(res.Tokens)+len(res.Errors) != rows {
			t.Fatalf("%d data rows became %d tokens and %d errors", rows, len(res.Tokens), len(res.Errors))
		}
	})
}

// dataRows counts the non-blank records after the header, or -1 when the
// input does not read as CSV.
func dataRows(data []byte) int {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		return -1
	}
	n := -1 // the header
	for _, r := range records {
		if !blankRecord(r) {
			n++
		}
	}
	return max(n, 0)
}

var plainValuePattern = regexp.MustCompile(`<(?:\w+:)?PlainValue>([^<]*)<`)

// FuzzParsePSKC: no panic; file errors are *FileError or a read error;
// tokens valid; no PlainValue seed and no decoded seed in any output.
func FuzzParsePSKC(f *testing.F) {
	maxPBKDF2Iterations = 20_000 // keep each run fast; the limit itself is tested elsewhere
	for mode := range uint8(4) {
		addFiles(f, "testdata/pskc/*.pskcxml", mode)
	}
	addFiles(f, "testdata/rfc6030/*.pskcxml", uint8(2))
	addFiles(f, "testdata/rfc6030/figure7.pskcxml", uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := []PSKCOptions{
			{},
			{Key: genKey128, Model: "Default"},
			{Key: rfc6030Key, Manufacturer: "Default", Model: "Default"},
			{Password: "qwerty"},
			{Password: genPassword, Key: genKey256},
		}[int(mode)%5]
		var secrets []string
		for _, m := range plainValuePattern.FindAllSubmatch(data, -1) {
			s := strings.TrimSpace(string(m[1]))
			if utf8.RuneCountInString(s) >= MinSecretLength && bytes.Count(data, []byte(s)) == 1 {
				secrets = append(secrets, s)
			}
		}
		res, err := ParsePSKC(bytes.NewReader(data), opts)
		if err == nil {
			for _, tok := range res.Tokens {
				if s := tok.Secret.Base32(); !bytes.Contains(data, []byte(s)) {
					secrets = append(secrets, s)
				}
			}
		}
		checkResult(t, res, err, secrets)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) && !strings.HasPrefix(err.Error(), "reading the PSKC file") {
				t.Fatalf("error %T %v is neither a *FileError nor a read error", err, err)
			}
		}
		if err == nil && slices.ContainsFunc(res.Tokens, func(tok Token) bool { return tok.Algorithm != AlgorithmTOTP }) {
			t.Fatal("a non-TOTP token was accepted")
		}
	})
}
