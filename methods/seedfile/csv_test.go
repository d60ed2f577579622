package seedfile

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCSVHeaders(t *testing.T) {
	row := ",S-1," + testSeed + ",30,Contoso,M1\n"
	tests := []struct {
		header  string
		problem string // "" when the header is accepted
	}{
		{CSVHeader, ""},
		{"UPN,Serial Number,Secret Key,Time Interval,Manufacturer,Model", ""},
		{"upn , serial_number , secret-key , timeinterval , MANUFACTURER , model", ""},
		{"upn,serial number,secret key,time interval,manufacturer,model,line", ""},
		{"line,upn,serial number,secret key,time interval,manufacturer,model,reason", ""},
		{"upn,serial number,secret key,time interval,manufacturer", "no model column"},
		{"upn,serial number,time interval,manufacturer", "no secret key, model column"},
		{"upn,serial,secret key,time interval,manufacturer,model", `unknown header "serial"`},
		{"upn,serial number,secret key,time interval,manufacturer,model,GEZDGNBVGY3TQOJQ", "unknown header column 7"},
		{"upn,upn,serial number,secret key,time interval,manufacturer,model", `names column "upn" twice`},
	}
	for _, tt := range tests {
		body := row
		if strings.Count(tt.header, ",") != 5 {
			body = "" // rows would not line up; only the header matters here
		}
		res, err := ParseCSV(strings.NewReader(tt.header + "\n" + body))
		if tt.problem == "" {
			if err != nil {
				t.Errorf("header %q: %v", tt.header, err)
			}
			if err == nil && body != "" && len(res.Tokens) != 1 {
				t.Errorf("header %q: %+v", tt.header, res)
			}
			continue
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != 1 || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("header %q: error %v, want a line 1 file error about %q", tt.header, err, tt.problem)
		}
	}
}

// TestParseCSVLineNumbers: rows are named by their physical line, which
// blank lines, CRLF and quoted fields spanning lines all move.
func TestParseCSVLineNumbers(t *testing.T) {
	in := "\r\n" + CSVHeader + "\r\n\r\n" +
		`,"S-1",` + testSeed + `,30,Contoso,"Model` + "\r\n" + `two lines"` + "\r\n" +
		",S-2,MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS,99,Contoso,M1\r\n" +
		",,,,,\r\n" +
		",S-3,MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK,30,Contoso,M1"
	res, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, e := range res.Errors {
		lines = append(lines, e.Line)
	}
	for _, tok := range res.Tokens {
		lines = append(lines, tok.Line)
	}
	// S-1 (line 4) is refused for the line break in its model.
	if got, want := lines, []int{4, 6, 8}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("lines %v, want %v", got, want)
	}
}

// TestParseCSVKeepsSeedsOutOfMessages covers the cases where a seed could
// land in a message: a row whose fields do not line up with the header,
// and a file that has no header row.
func TestParseCSVKeepsSeedsOutOfMessages(t *testing.T) {
	inputs := []string{
		CSVHeader + "\n,S-1,EXTRA," + testSeed + ",30,Contoso,M1\n",
		CSVHeader + "\n,S-1," + testSeed + "\n",
		"amy@contoso.com,S-1," + testSeed + ",30,Contoso,M1\n",
		"upn,serial number," + testSeed + ",time interval,manufacturer,model\n",
		CSVHeader + "\n,S-1,30," + testSeed + ",Contoso,M1\n", // secret and interval swapped
	}
	for _, in := range inputs {
		res, err := ParseCSV(strings.NewReader(in))
		var text strings.Builder
		if err != nil {
			text.WriteString(err.Error())
		} else {
			for _, e := range res.Errors {
				text.WriteString(e.Error())
			}
			if err := WriteErrorsCSV(&text, res.Errors); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Contains(text.String(), testSeed) {
			t.Errorf("input %q: output shows the seed:\n%s", in, text.String())
		}
	}
}
