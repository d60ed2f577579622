package odata

import (
	"errors"
	"strings"
	"testing"
)

// FuzzSearch: $search never panics, refuses with an Invalid *Error, and
// what it accepts has a clause per quoted term.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{`"displayName:adele"`, `"displayName:a" OR "mail:b"`, `"mail:x" AND "surname:y"`, `displayName:a`, `"colour:red"`, `"displayName:`, `""`, `"a:b" XOR "c:d"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseSearch(s, []string{"displayName", "givenName", "surname", "mail", "userPrincipalName", "jobTitle"})
		if err != nil {
			var oe *Error
			if !errors.As(err, &oe) || oe.Kind != Invalid || oe.Message == "" {
				t.Fatalf("%q: %v, want an Invalid *Error", s, err)
			}
			return
		}
		if len(q.clauses) == 0 || len(q.clauses) > strings.Count(s, `"`)/2 {
			t.Fatalf("%q: %d clauses", s, len(q.clauses))
		}
		q.Match(func(string) any { return s })
	})
}
