package cmd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mfactl/mfactl/methods"
)

// durationUnits are the units a lifetime may be written in: Go's h and m,
// plus days and weeks, with the words people type.
var durationUnits = map[string]time.Duration{
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// maxLifetime bounds what parseLifetime accepts; Graph's own ceiling for a
// pass is 30 days, so anything beyond a year is a typo.
const maxLifetime = 366 * 24 * time.Hour

// parseLifetime reads a duration as Go writes it ("1h30m") or as people do
// ("90 minutes", "1 day 12 hours", "2d", "1.5h"). It must come to whole
// minutes, because Graph counts a pass's lifetime in minutes, and a bare
// number is refused because it would be ambiguous.
func parseLifetime(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, fmt.Errorf("empty duration: write it as 1h, 90m or 2d")
	}
	var total float64
	rest := in
	parts := 0
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,\t")
		if rest == "" {
			break
		}
		if strings.HasPrefix(rest, "and ") {
			rest = rest[4:]
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q; write it as 1h, 90m or 2d", oneLineString(s), oneLineString(rest))
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || math.IsInf(num, 0) {
			return 0, fmt.Errorf("duration %q: %q is not a number", oneLineString(s), rest[:i])
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			if j == 0 {
				return 0, fmt.Errorf("duration %q has a number without a unit; write 90m, 1h or 2d", oneLineString(s))
			}
			return 0, fmt.Errorf("duration %q: unknown unit %q (use m, h, d or w)", oneLineString(s), rest[:j])
		}
		total += num * float64(unit)
		if total > float64(maxLifetime) {
			return 0, fmt.Errorf("duration %q is longer than a year", oneLineString(s))
		}
		rest = rest[j:]
		parts++
	}
	if parts == 0 {
		return 0, fmt.Errorf("empty duration: write it as 1h, 90m or 2d")
	}
	d := time.Duration(total)
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be longer than zero", oneLineString(s))
	}
	if d%time.Minute != 0 {
		return 0, fmt.Errorf("duration %q is not a whole number of minutes", oneLineString(s))
	}
	return d, nil
}

// startLayouts are the absolute forms --start accepts besides RFC 3339;
// they are read in the local time zone.
var startLayouts = []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// parseStart reads when a pass becomes usable: "now", a time relative to
// now ("+2h", "in 2 hours"), an RFC 3339 time, or a local date and time
// ("2025-06-02 09:00", "2025-06-02").
func parseStart(s string, now time.Time, loc *time.Location) (time.Time, error) {
	in := strings.TrimSpace(s)
	low := strings.ToLower(in)
	switch {
	case low == "now":
		return now, nil
	case strings.HasPrefix(low, "+"), strings.HasPrefix(low, "in "):
		d, err := parseLifetime(strings.TrimPrefix(strings.TrimPrefix(low, "+"), "in "))
		if err != nil {
			return time.Time{}, fmt.Errorf("--start %q: %v", oneLineString(s), err)
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, in); err == nil {
		return t, nil
	}
	for _, layout := range startLayouts {
		if t, err := time.ParseInLocation(layout, in, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--start %q is not a time: use now, +2h, 2025-06-02T09:00:00Z or \"2025-06-02 09:00\" (local time)", oneLineString(s))
}

// humanDuration prints a lifetime the way it was probably typed: 1h, 90m,
// 2d, 1d12h (whole minutes, as methods.FormatMinutes).
func humanDuration(d time.Duration) string { return methods.FormatMinutes(int(d / time.Minute)) }

// oneLineString keeps user input on one line in error messages.
func oneLineString(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
