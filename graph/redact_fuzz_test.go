package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzRedact: Redact never panics, keeps a JSON document valid, and leaves
// no value of a "code" or "temporaryAccessPass" property outside an error.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{`{"code":"ZKZG+GCE"}`, `{"error":{"code":"X"}}`, `[{"temporaryAccessPass":"a"},1,null]`, `{"a":{"pin":[1]}}`, `{"code":`, `otpauth://x?secret=AB&y=1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s)
		if !json.Valid([]byte(s)) {
			return
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("Redact(%s) = %s: no longer JSON", s, out)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		var check func(v any, scoped bool)
		check = func(v any, scoped bool) {
			switch x := v.(type) {
			case map[string]any:
				for k, val := range x {
					l := strings.ToLower(k)
					if secretKeys[l] || (l == "code" && !scoped) {
						if val != "[REDACTED]" {
							t.Fatalf("Redact(%s) = %s: %s kept", s, out, k)
						}
						continue
					}
					check(val, scoped || notSecretScopes[l])
				}
			case []any:
				for _, e := range x {
					check(e, scoped)
				}
			}
		}
		check(v, false)
	})
}
