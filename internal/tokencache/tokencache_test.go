package tokencache

import (
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	for _, tt := range []struct{ profile, want string }{
		{"default", "mfactl-default"},
		{"contoso.prod", "mfactl-contoso.prod"},
		{"../x", ""},
		{"a/b", ""},
		{"..", ""},
	} {
		got := Name(tt.profile)
		if tt.want != "" && got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.profile, got, tt.want)
		}
		if tt.want == "" && (strings.ContainsAny(got, `/\`) || len(got) != len("mfactl-")+16) {
			t.Errorf("Name(%q) = %q, want a hashed plain name", tt.profile, got)
		}
	}
	if Name("a/b") == Name("a/c") {
		t.Error("two profiles share a cache")
	}
}
