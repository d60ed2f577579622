package jsonenc

import "testing"

func TestMarshalKeepsHTMLCharacters(t *testing.T) {
	for v, want := range map[any]string{
		"a&b<c>":                             `"a&b<c>"`,
		"otpauth://totp/x?secret=A&issuer=B": `"otpauth://totp/x?secret=A&issuer=B"`,
		1:                                    `1`, // no trailing newline
	} {
		if got, err := Marshal(v); err != nil || string(got) != want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", v, got, err, want)
		}
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("a func marshalled")
	}
}
