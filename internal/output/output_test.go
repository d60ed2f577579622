package output

import (
	"bytes"
	"strings"
	"testing"
)

type sample struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Methods     []string `json:"methods"`
	Enabled     bool     `json:"accountEnabled"`
}

func (s sample) Table() TableData {
	return TableData{
		Header: []string{"id", "display name", "methods"},
		Rows:   [][]string{{s.ID, s.DisplayName, strings.Join(s.Methods, ",")}},
	}
}

type notTabular struct {
	A int `json:"a"`
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"", Table, false},
		{"table", Table, false},
		{"JSON", JSON, false},
		{" yaml ", YAML, false},
		{"csv", CSV, false},
		{"md", Markdown, false},
		{"Markdown", Markdown, false},
		{"xml", "", true},
		{"jsonl", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPrintEveryFormat(t *testing.T) {
	v := sample{ID: "u1", DisplayName: "Vance, Adele", Methods: []string{"phone", "fido2"}, Enabled: true}
	tests := []struct {
		format Format
		want   string
	}{
		{JSON, "{\n  \"id\": \"u1\",\n  \"displayName\": \"Vance, Adele\",\n  \"methods\": [\n    \"phone\",\n    \"fido2\"\n  ],\n  \"accountEnabled\": true\n}\n"},
		{YAML, "id: u1\ndisplayName: Vance, Adele\nmethods:\n  - phone\n  - fido2\naccountEnabled: true\n"},
		{CSV, "id,display name,methods\nu1,\"Vance, Adele\",\"phone,fido2\"\n"},
		{Table, "ID  DISPLAY NAME  METHODS\nu1  Vance, Adele  phone,fido2\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var buf bytes.Buffer
			p := &Printer{Format: tt.format, Out: &buf}
			if err := p.Print(v); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

func TestYAMLKeepsJSONOrderAndQuotesAmbiguousStrings(t *testing.T) {
	var buf bytes.Buffer
	v := map[string]any{"value": "true", "n": "0123"}
	if err := WriteYAML(&buf, v); err != nil {
		t.Fatal(err)
	}
	// Strings that YAML would read as a bool or a number must stay strings.
	if got := buf.String(); got != "n: \"0123\"\nvalue: \"true\"\n" {
		t.Errorf("got %q", got)
	}
}

func TestTableAndCSVNeedTabular(t *testing.T) {
	for _, f := range []Format{Table, CSV} {
		p := &Printer{Format: f, Out: &bytes.Buffer{}}
		err := p.Print(notTabular{A: 1})
		if err == nil || !strings.Contains(err.Error(), "-o json") {
			t.Errorf("%s: want an error pointing at -o json, got %v", f, err)
		}
	}
	p := &Printer{Format: JSON, Out: &bytes.Buffer{}}
	if err := p.Print(notTabular{A: 1}); err != nil {
		t.Errorf("json of any value: %v", err)
	}
}

func TestJSONDoesNotEscapeHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, map[string]string{"uri": "otpauth://totp/a?secret=X&issuer=Y"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "&issuer") {
		t.Errorf("ampersand escaped: %s", buf.String())
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+x": "'+x", "-2": "'-2", "@SUM": "'@SUM", "\tx": "'\tx", "\rx": "'\rx",
		"plain": "plain", "": "", "'=x": "'=x", "a=b": "a=b", "-": "-"} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
		if in != "'=x" {
			if back := CSVUncell(CSVCell(in)); back != in {
				t.Errorf("CSVUncell(CSVCell(%q)) = %q", in, back)
			}
		}
	}
}

// Every cell of every record goes through the rule, header included.
func TestCSVWriterEscapesEveryCell(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, TableData{Header: []string{"serial", "ticket"}, Rows: [][]string{{"=HYPERLINK(\"x\")", "+1"}, {"S1", "@me"}}}); err != nil {
		t.Fatal(err)
	}
	want := "serial,ticket\n\"'=HYPERLINK(\"\"x\"\")\",'+1\nS1,'@me\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
