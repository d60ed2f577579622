package methods

import "testing"

func TestFormatMinutes(t *testing.T) {
	tests := map[int]string{0: "0m", 45: "45m", 60: "1h", 90: "1h30m", 480: "8h", 1440: "1d", 2160: "1d12h", 43200: "30d", 1501: "1d1h1m"}
	for in, want := range tests {
		if got := FormatMinutes(in); got != want {
			t.Errorf("FormatMinutes(%d) = %q, want %q", in, got, want)
		}
	}
}
