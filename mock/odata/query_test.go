package odata

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// kindOf is the ErrorKind of err (0 for nil, -1 for an error of another type).
func kindOf(err error) ErrorKind {
	if err == nil {
		return 0
	}
	var oe *Error
	if !errors.As(err, &oe) {
		return -1
	}
	return oe.Kind
}

func TestParseTop(t *testing.T) {
	tests := []struct {
		v    string
		want int
		kind ErrorKind
	}{
		{"", 100, 0},
		{"1", 1, 0},
		{"999", 999, 0},
		{"0", 0, Unsupported},
		{"1000", 0, Unsupported},
		{"-5", 0, Unsupported},
		{"ten", 0, Unsupported},
	}
	for _, tt := range tests {
		got, err := ParseTop(tt.v, 100, 999)
		if got != tt.want || kindOf(err) != tt.kind {
			t.Errorf("ParseTop(%q) = %d, %v; want %d, kind %d", tt.v, got, err, tt.want, tt.kind)
		}
	}
}

func TestSkipToken(t *testing.T) {
	for _, key := range []string{"a", "adele@contoso.example", "x\x00y", "émile"} {
		got, err := DecodeSkipToken(EncodeSkipToken(key))
		if err != nil || got != key {
			t.Errorf("%q round-trips to %q, %v", key, got, err)
		}
	}
	if got, err := DecodeSkipToken(""); got != "" || err != nil {
		t.Errorf("an absent token = %q, %v", got, err)
	}
	if _, err := DecodeSkipToken("not base64!"); kindOf(err) != Invalid {
		t.Errorf("a bad token: %v, want Invalid", err)
	}
}

func TestNextLinkQuery(t *testing.T) {
	q := url.Values{"$filter": {"userType eq 'Guest'"}, "$top": {"5"}, "$skiptoken": {"old"}, "$select": {"id,displayName"}}
	want := "$filter=userType%20eq%20%27Guest%27&$select=id%2CdisplayName&$skiptoken=" + EncodeSkipToken("k") + "&$top=5"
	if got := NextLinkQuery(q, "k"); got != want {
		t.Errorf("NextLinkQuery = %s\nwant %s", got, want)
	}
}

func TestParseSelect(t *testing.T) {
	lookup := func(p string) (string, bool) {
		for _, name := range []string{"id", "displayName", "mail"} {
			if strings.EqualFold(p, name) {
				return name, true
			}
		}
		return "", false
	}
	tests := []struct {
		v    string
		want []string
		kind ErrorKind
	}{
		{"", nil, 0},
		{"id", []string{"id"}, 0},
		{" DISPLAYNAME , mail,,", []string{"displayName", "mail"}, 0},
		{"id,nickname", nil, Invalid},
	}
	for _, tt := range tests {
		got, err := ParseSelect(tt.v, lookup, "t")
		if !reflect.DeepEqual(got, tt.want) || kindOf(err) != tt.kind {
			t.Errorf("ParseSelect(%q) = %q, %v; want %q, kind %d", tt.v, got, err, tt.want, tt.kind)
		}
	}
	if got := SelectFragment([]string{"displayName", "mail"}); got != "(displayName,mail)" {
		t.Errorf("SelectFragment = %s", got)
	}
	if got := SelectFragment(nil); got != "" {
		t.Errorf("SelectFragment(nil) = %s", got)
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		v    string
		want bool
		kind ErrorKind
	}{
		{"true", true, 0}, {" TRUE ", true, 0}, {"false", false, 0}, {"yes", false, Invalid}, {"", false, Invalid},
	}
	for _, tt := range tests {
		got, err := ParseCount(tt.v)
		if got != tt.want || kindOf(err) != tt.kind {
			t.Errorf("ParseCount(%q) = %v, %v; want %v, kind %d", tt.v, got, err, tt.want, tt.kind)
		}
	}
}

func TestParseOrderBy(t *testing.T) {
	tests := []struct {
		v    string
		prop string
		desc bool
		kind ErrorKind
	}{
		{"", "", false, 0},
		{"displayName", "displayName", false, 0},
		{" userprincipalname desc ", "userPrincipalName", true, 0},
		{"displayName ASC", "displayName", false, 0},
		{"displayName,userPrincipalName", "", false, Unsupported},
		{"mail", "", false, Unsupported},
		{"displayName sideways", "", false, Invalid},
		{"displayName asc extra", "", false, Invalid},
	}
	for _, tt := range tests {
		prop, desc, err := ParseOrderBy(tt.v, "User", "displayName", "userPrincipalName")
		if prop != tt.prop || desc != tt.desc || kindOf(err) != tt.kind {
			t.Errorf("ParseOrderBy(%q) = %q %v %v; want %q %v kind %d", tt.v, prop, desc, err, tt.prop, tt.desc, tt.kind)
		}
	}
}

func TestMetadataNone(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"application/json"}, false},
		{[]string{"application/json;odata.metadata=none"}, true},
		{[]string{"text/plain, application/json; ODATA.METADATA = None"}, true},
		{[]string{"application/json;odata.metadata=minimal"}, false},
		{[]string{"application/json", "application/json;odata.metadata=none"}, true},
	}
	for _, tt := range tests {
		if got := MetadataNone(tt.accept); got != tt.want {
			t.Errorf("MetadataNone(%q) = %v", tt.accept, got)
		}
	}
}

func TestStripControl(t *testing.T) {
	in := map[string]any{
		"@odata.context": "c", "@odata.nextLink": "n", "@odata.count": 2, "@odata.deltaLink": "d",
		"value": []map[string]any{{"@odata.type": "#t", "id": "1", "nested": []any{map[string]any{"@odata.id": "x", "k": "v"}}}},
	}
	want := map[string]any{
		"@odata.nextLink": "n", "@odata.count": 2, "@odata.deltaLink": "d",
		"value": []map[string]any{{"id": "1", "nested": []any{map[string]any{"k": "v"}}}},
	}
	if got := StripControl(in); !reflect.DeepEqual(got, want) {
		t.Errorf("StripControl = %v\nwant %v", got, want)
	}
}

// FuzzQueryOptions: the option parsers never panic, refuse only with an
// *Error, and a skip token round-trips.
func FuzzQueryOptions(f *testing.F) {
	for _, s := range []string{"", "5", "displayName desc", "true", "id,mail", "a,b", "ZGlzcGxheU5hbWU", "!!"} {
		f.Add(s)
	}
	lookup := func(p string) (string, bool) { return p, p == "id" || p == "mail" }
	f.Fuzz(func(t *testing.T, v string) {
		check := func(what string, err error) {
			if k := kindOf(err); k < 0 {
				t.Fatalf("%s(%q): %v is not an *Error", what, v, err)
			}
		}
		_, err := ParseTop(v, 100, 999)
		check("ParseTop", err)
		_, _, err = ParseOrderBy(v, "User", "displayName")
		check("ParseOrderBy", err)
		_, err = ParseCount(v)
		check("ParseCount", err)
		_, err = ParseSelect(v, lookup, "t")
		check("ParseSelect", err)
		_, err = DecodeSkipToken(v)
		check("DecodeSkipToken", err)
		if got, err := DecodeSkipToken(EncodeSkipToken(v)); err != nil || got != v {
			t.Fatalf("%q round-trips to %q, %v", v, got, err)
		}
	})
}
