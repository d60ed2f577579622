package seedfile

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestParseActivations(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Activation
		errors  []string // "line: reason"
		fileErr string
	}{
		{
			name: "entra style with and without users",
			in:   "serial,upn,code\nHWT-1,adele@contoso.com,123456\r\nHWT-2,,654 321\n\n,,\n",
			want: []Activation{{Line: 2, SerialNumber: "HWT-1", UPN: "adele@contoso.com", Code: "123456"}, {Line: 3, SerialNumber: "HWT-2", Code: "654321"}},
		},
		{name: "semicolons", in: "serial;code\nS1;123456\n", fileErr: "line 1: the first row is not a header"},
		{name: "unknown column", in: "serial,colour,code\n", fileErr: `line 1: unknown header "colour"`},
		{
			name: "aliases and order",
			in:   "\xef\xbb\xbf\"Verification Code\",Serial Number\n\"012345\",\"A,1\"\n",
			want: []Activation{{Line: 2, SerialNumber: "A,1", Code: "012345"}},
		},
		{
			name: "bad rows",
			in:   "serial,upn,code\nS1,not-a-upn,12345\nS2,,\nS3,a@b.c\n,,123456\nS4,,12a456\n",
			errors: []string{
				"2: upn \"not-a-upn\" is not a user principal name (name@domain); code must be the 6 digits the token shows",
				"3: code is empty (want the 6 digits the token shows)",
				"4: the row has 2 fields but the header has 3",
				"5: serial number is empty",
				"6: code must be the 6 digits the token shows",
			},
		},
		{
			name:   "duplicate serials",
			in:     "serial,code\nS1,111111\ns1,222222\nS2,333333\n",
			want:   []Activation{{Line: 4, SerialNumber: "S2", Code: "333333"}},
			errors: []string{"2: serial number S1 is also on line 3", "3: serial number s1 is also on line 2"},
		},
		{name: "no header", in: "HWT-1,a@b.c,123456\n", fileErr: "line 1: the first row is not a header"},
		{name: "no code column", in: "serial,upn\nS1,a@b.c\n", fileErr: "line 1: the header has no code column"},
		{name: "twice", in: "serial,code,serial number\n", fileErr: `line 1: the header names column "serial number" twice`},
		{name: "empty", in: "", fileErr: "the file is empty"},
		{name: "malformed", in: "serial,code\n\"S1,123456\n", fileErr: "the CSV is malformed"},
		{name: "header only", in: "serial,upn,code\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseActivations(strings.NewReader(tt.in))
			if tt.fileErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fileErr) {
					t.Fatalf("error %v, want %q", err, tt.fileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Activations) != fmt.Sprint(tt.want) {
				t.Errorf("activations %+v, want %+v", got.Activations, tt.want)
			}
			var errs []string
			for _, e := range got.Errors {
				errs = append(errs, fmt.Sprintf("%d: %s", e.Line, e.Reason))
			}
			if strings.Join(errs, "\n") != strings.Join(tt.errors, "\n") {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(tt.errors, "\n"))
			}
		})
	}
}

var sixDigits = regexp.MustCompile(`[0-9]{6}`)

func FuzzParseActivations(f *testing.F) {
	for _, s := range []string{
		"serial,upn,code\nHWT-1,adele@contoso.com,123456\nHWT-2,,654 321\n",
		"code,serial\n123456,S1\n123456,S1\n",
		"serial,code\n\"a\"\"b\",12-34-56\n",
		"\xef\xbb\xbfserial number,verification code,user\nX,000000,u@d\n",
		"serial,code\n\"unterminated\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseActivations(strings.NewReader(string(data)))
		if err != nil {
			if got != nil || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("file error %q with result %v", err, got)
			}
			return
		}
		for i, a := range got.Activations {
			if a.Line < 2 || i > 0 && a.Line <= got.Activations[i-1].Line {
				t.Fatalf("lines out of order: %+v", got.Activations)
			}
			if len(a.Code) != Digits || !isDigits(a.Code) || checkSerial(a.SerialNumber) != nil || checkUPN(a.UPN) != nil {
				t.Fatalf("accepted a bad row: %+v", a)
			}
		}
		seen := map[string]bool{}
		for _, a := range got.Activations {
			k := strings.ToLower(a.SerialNumber)
			if seen[k] {
				t.Fatalf("serial %q accepted twice", a.SerialNumber)
			}
			seen[k] = true
		}
		for _, e := range got.Errors {
			if e.Reason == "" || e.Line < 1 || strings.ContainsAny(e.Reason, "\r\n") {
				t.Fatalf("bad row error %+v", e)
			}
			// A reason quotes serials and upns, never a code: any six
			// digits in it must come from those fields.
			for _, m := range sixDigits.FindAllString(e.Reason, -1) {
				if !strings.Contains(e.Row.SerialNumber+" "+e.Row.UPN, m) && !strings.Contains(e.Serial, m) {
					t.Fatalf("reason %q shows digits %s not from the serial or upn", e.Reason, m)
				}
			}
		}
	})
}
