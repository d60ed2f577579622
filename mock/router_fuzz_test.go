package mock

import (
	"strings"
	"testing"
)

// FuzzKeySegments: the users('{key}') form becomes users/{key} and nothing
// else changes.
func FuzzKeySegments(f *testing.F) {
	for _, s := range []string{"users('adele@contoso.example')", "users('o''brien@x')", "users(", "Users('a')", "me", "users"} {
		f.Add(s, "authentication")
	}
	f.Fuzz(func(t *testing.T, first, second string) {
		out := keySegments([]string{first, second})
		switch len(out) {
		case 2:
			if out[0] != first || out[1] != second {
				t.Fatalf("%q %q changed to %q", first, second, out)
			}
		case 3:
			if !strings.EqualFold(out[0], "users") || out[2] != second || !strings.HasPrefix(strings.ToLower(first), "users(") {
				t.Fatalf("%q %q became %q", first, second, out)
			}
		default:
			t.Fatalf("%q %q became %q", first, second, out)
		}
	})
}
