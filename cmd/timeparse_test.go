package cmd

import (
	"strings"
	"testing"
	"time"
)

func TestParseLifetime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"1h", time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"2d", 48 * time.Hour, ""},
		{"1w", 7 * 24 * time.Hour, ""},
		{"1 day 12 hours", 36 * time.Hour, ""},
		{"1 hour and 30 minutes", 90 * time.Minute, ""},
		{" 8 Hours ", 8 * time.Hour, ""},
		{"10 min", 10 * time.Minute, ""},
		{"1h, 5m", 65 * time.Minute, ""},
		{"", 0, "empty duration"},
		{"90", 0, "without a unit"},
		{"1x", 0, `unknown unit "x"`},
		{"1s", 0, `unknown unit "s"`},
		{"0m", 0, "longer than zero"},
		{"1.5m", 0, "whole number of minutes"},
		{"h", 0, "expected a number"},
		{"-1h", 0, "expected a number"},
		{"1..5h", 0, "is not a number"},
		{"400d", 0, "longer than a year"},
		{"99999999999999999999d", 0, "longer than a year"},
	}
	for _, tt := range tests {
		got, err := parseLifetime(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseLifetime(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseLifetime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseStart(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	berlin := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"now", now, false},
		{"+2h", now.Add(2 * time.Hour), false},
		{"in 90 minutes", now.Add(90 * time.Minute), false},
		{"2025-06-02T08:00:00Z", time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC), false},
		{"2025-06-02T08:00:00+02:00", time.Date(2025, 6, 2, 6, 0, 0, 0, time.UTC), false},
		{"2025-06-02 08:00", time.Date(2025, 6, 2, 8, 0, 0, 0, berlin), false},
		{"2025-06-02T08:00", time.Date(2025, 6, 2, 8, 0, 0, 0, berlin), false},
		{"2025-06-02", time.Date(2025, 6, 2, 0, 0, 0, 0, berlin), false},
		{"tomorrow", time.Time{}, true},
		{"+2", time.Time{}, true},
		{"2025-13-01", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseStart(tt.in, now, berlin)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseStart(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "1h30m", 36 * time.Hour: "1d12h", 0: "0m", 10 * time.Minute: "10m"} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"1h", "90m", "1 day 12 hours", "1.5h", "2d", "and", "1h and", "9e9d", "\x00", "1 hour, and 2 m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseLifetime(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error for %q: %v", s, err)
			}
			return
		}
		if d <= 0 || d%time.Minute != 0 || d > maxLifetime {
			t.Fatalf("parseLifetime(%q) = %v", s, d)
		}
		// What it prints reads back as the same duration.
		if back, err := parseLifetime(humanDuration(d)); err != nil || back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, humanDuration(d), back, err)
		}
	})
}

func FuzzParseStart(f *testing.F) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{"now", "+2h", "in 3 days", "2025-06-02T08:00:00Z", "2025-06-02 08:00", "2025-06-02", "+", "in "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseStart(s, now, time.UTC)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error for %q: %v", s, err)
			}
			return
		}
		if got.IsZero() {
			t.Fatalf("parseStart(%q) returned the zero time", s)
		}
	})
}
