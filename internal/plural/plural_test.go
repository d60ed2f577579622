package plural

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{1, "attempt", "1 attempt"},
		{2, "attempt", "2 attempts"},
		{0, "user", "0 users"},
		{1, "user", "1 user"},
		{3, "entry", "3 entries"},
		{1, "entry", "1 entry"},
		{2, "pass", "2 passes"},
		{2, "key", "2 keys"},
		{2, "day", "2 days"},
		{2, "hardware token", "2 hardware tokens"},
		{2, "match", "2 matches"},
		{2, "box", "2 boxes"},
		{-1, "second", "-1 second"},
		{2, "TAP", "2 TAPs"},
		{2, "row", "2 rows"},
		{2, "batch", "2 batches"},
		{2, "", "2 "},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

func TestNounIrregular(t *testing.T) {
	for _, tc := range []struct {
		n          int
		noun, want string
	}{{1, "is", "is"}, {2, "is", "are"}, {2, "has", "have"}, {1, "was", "was"}, {3, "was", "were"}} {
		if got := Noun(tc.n, tc.noun); got != tc.want {
			t.Errorf("Noun(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
