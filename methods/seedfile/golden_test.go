package seedfile

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rfc6030Key is the pre-shared key of RFC 6030 Figure 6.
var rfc6030Key = mustHex("12345678901234567890123456789012")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// goldenOptions are the PSKC options each input needs; files not listed
// get none.
var goldenOptions = map[string]PSKCOptions{
	"figure6.pskcxml":         {Key: rfc6030Key},
	"figure7.pskcxml":         {Password: "qwerty"},
	"gen-totp-aes128.pskcxml": {Key: genKey128},
	"gen-totp-aes256.pskcxml": {Key: genKey256},
	"gen-totp-pbkdf2.pskcxml": {Password: genPassword},
	"gen-totp-nomac.pskcxml":  {Key: genKey128},
}

// TestGolden parses every file under testdata/csv, testdata/pskc and
// testdata/rfc6030 and compares the outcome, rendered by renderResult, with
// testdata/golden/<dir>-<name>.golden.
func TestGolden(t *testing.T) {
	var inputs []string
	for _, pattern := range []string{"testdata/csv/*.csv", "testdata/pskc/*.pskcxml", "testdata/rfc6030/*.pskcxml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, m...)
	}
	if len(inputs) < 30 {
		t.Fatalf("only %d inputs found; testdata is incomplete", len(inputs))
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		golden := filepath.Join("testdata", "golden", filepath.Base(filepath.Dir(in))+"-"+strings.TrimSuffix(name, filepath.Ext(name))+".golden")
		t.Run(filepath.Base(filepath.Dir(in))+"/"+name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			format := FormatCSV
			if strings.HasSuffix(name, ".pskcxml") {
				format = FormatPSKC
			}
			res, err := Parse(bytes.NewReader(data), name, format, goldenOptions[name])
			got := renderResult(t, res, err)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s: result differs from %s\n--- got\n%s--- want\n%s", in, golden, got, want)
			}
		})
	}
}

// renderResult writes a parse outcome as stable text: the tokens with
// their seeds in full (test seeds, and the proof they decoded right), the
// row errors, and the errors file WriteErrorsCSV makes of them. It also
// checks the invariants every result must keep.
func renderResult(t *testing.T, res *Result, err error) string {
	t.Helper()
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "file error: %v\n", err)
		if res != nil {
			t.Errorf("a file error came with a result")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "tokens: %d\n", len(res.Tokens))
	for _, tok := range res.Tokens {
		if err := tok.Validate(); err != nil {
			t.Errorf("line %d: returned token fails Validate: %v", tok.Line, err)
		}
		fmt.Fprintf(&b, "  line %d: serial=%q upn=%q secret=%s interval=%d hash=%s digits=%d manufacturer=%q model=%q display=%q\n",
			tok.Line, tok.SerialNumber, tok.UPN, tok.Secret.Base32(), tok.TimeInterval, tok.HashFunction, tok.Digits, tok.Manufacturer, tok.Model, tok.DisplayName)
	}
	fmt.Fprintf(&b, "errors: %d\n", len(res.Errors))
	for _, e := range res.Errors {
		fmt.Fprintf(&b, "  %v\n", e)
	}
	if len(res.Errors) > 0 {
		var csvOut bytes.Buffer
		if err := WriteErrorsCSV(&csvOut, res.Errors); err != nil {
			t.Fatal(err)
		}
		b.WriteString("errors file:\n")
		for _, l := range strings.SplitAfter(csvOut.String(), "\n") {
			if l != "" {
				b.WriteString("  " + l)
			}
		}
	}
	return b.String()
}
