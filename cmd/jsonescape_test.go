package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every JSON mfactl prints goes through internal/output (WriteJSON,
// Marshal, WriteJSONLine), which never HTML-escapes: a json.Marshal in a
// view's MarshalJSON would turn the & of an otpauth:// URI into \u0026 in
// spite of the printer. This test keeps it so in the packages that print.
func TestNoHTMLEscapingJSONEncoders(t *testing.T) {
	for _, dir := range []string{".", "../reports"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src := string(b)
			if strings.Contains(src, "json.Marshal(") || strings.Contains(src, "json.MarshalIndent(") {
				t.Errorf("%s calls json.Marshal, which escapes HTML: use output.Marshal", f)
			}
			if n, ok := strings.Count(src, "json.NewEncoder("), strings.Count(src, "SetEscapeHTML(false)"); n > ok {
				t.Errorf("%s has %d JSON encoders and %d SetEscapeHTML(false): use output.WriteJSON or output.WriteJSONLine", f, n, ok)
			}
		}
	}
}
