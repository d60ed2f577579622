package mock

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzUserSearch: $search never panics, refuses with a 400 graphError, and
// what it accepts has a clause per quoted term.
func FuzzUserSearch(f *testing.F) {
	for _, s := range []string{`"displayName:adele"`, `"displayName:a" OR "mail:b"`, `"mail:x" AND "surname:y"`, `displayName:a`, `"colour:red"`, `"displayName:`, `""`, `"a:b" XOR "c:d"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseUserSearch(s)
		if err != nil {
			var ge *graphError
			if !errors.As(err, &ge) || ge.status != http.StatusBadRequest || ge.message == "" {
				t.Fatalf("%q: %v, want a 400 graphError", s, err)
			}
			return
		}
		if len(q.clauses) == 0 || len(q.clauses) > strings.Count(s, `"`)/2 {
			t.Fatalf("%q: %d clauses", s, len(q.clauses))
		}
		q.match(&userRecord{DisplayName: s, UPN: s})
	})
}

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
