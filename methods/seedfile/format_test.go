package seedfile

import (
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"csv": FormatCSV, " CSV ": FormatCSV, "pskc": FormatPSKC, "PSKC": FormatPSKC} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "want csv or pskc") {
		t.Errorf("ParseFormat(xml) = %v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"tokens.csv", "<weird", FormatCSV}, // the extension wins
		{"tokens.CSV", "", FormatCSV},
		{"seeds.xml", "upn,", FormatPSKC},
		{"seeds.pskc", "", FormatPSKC},
		{"seeds.pskcxml", "", FormatPSKC},
		{"seeds", "<?xml version=\"1.0\"?>", FormatPSKC},
		{"seeds", "\xef\xbb\xbf\r\n  <KeyContainer", FormatPSKC},
		{"seeds.txt", CSVHeader, FormatCSV},
		{"-", "", FormatCSV},
	}
	for _, tt := range tests {
		if got := DetectFormat(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %q, want %q", tt.name, tt.head, got, tt.want)
		}
	}
}

func TestParseDetects(t *testing.T) {
	res, err := Parse(strings.NewReader(CSVHeader+"\n,S-1,"+testSeed+",30,Contoso,M1\n"), "stdin", "", PSKCOptions{})
	if err != nil || len(res.Tokens) != 1 {
		t.Errorf("Parse(CSV, detected) = %+v, %v", res, err)
	}
	pskc := `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage>` +
		`<DeviceInfo><Manufacturer>C</Manufacturer><SerialNo>S-1</SerialNo><Model>M</Model></DeviceInfo>` +
		`<Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key>` +
		`</KeyPackage></KeyContainer>`
	res, err = Parse(strings.NewReader(pskc), "stdin", "", PSKCOptions{})
	if err != nil || len(res.Tokens) != 1 || res.Tokens[0].Secret.Base32() != testSeed {
		t.Errorf("Parse(PSKC, detected) = %+v, %v", res, err)
	}
	if _, err := Parse(strings.NewReader(""), "x", Format("yaml"), PSKCOptions{}); err == nil {
		t.Error("Parse with an unknown format succeeded")
	}
}
