package reports

import (
	"fmt"
	"strings"
)

// Filter selects the rows of a coverage report (--filter). The zero Filter
// keeps every row. Several terms may be combined with commas
// ("admins,enabled"); a row must match all of them.
type Filter struct {
	Admins  bool // users holding an admin role
	Guests  bool // userType guest
	Members bool // userType member
	Enabled bool // accountEnabled
}

// FilterTerms lists the accepted filter terms.
var FilterTerms = []string{"admins", "guests", "members", "enabled"}

// ParseFilter parses a --filter value: "" or "all" for every user, otherwise
// a comma-separated list of admins, guests, members and enabled
// (case-insensitive). guests and members together match nobody and are
// rejected.
func ParseFilter(s string) (Filter, error) {
	var f Filter
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "all") {
		return f, nil
	}
	for _, term := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(term)) {
		case "admins", "admin":
			f.Admins = true
		case "guests", "guest":
			f.Guests = true
		case "members", "member":
			f.Members = true
		case "enabled":
			f.Enabled = true
		default:
			return Filter{}, fmt.Errorf("unknown filter %q (want all or a comma-separated list of %s)", term, strings.Join(FilterTerms, ", "))
		}
	}
	if f.Guests && f.Members {
		return Filter{}, fmt.Errorf("filter %q: guests and members exclude each other", s)
	}
	return f, nil
}

// Match reports whether a row passes the filter.
func (f Filter) Match(r Row) bool {
	return (!f.Admins || r.IsAdmin) &&
		(!f.Guests || r.UserType == userTypeGuest) &&
		(!f.Members || r.UserType == userTypeMember) &&
		(!f.Enabled || r.AccountEnabled)
}

// IsZero reports whether the filter keeps every row.
func (f Filter) IsZero() bool { return f == Filter{} }

// String returns the canonical form accepted by ParseFilter ("all" for the
// zero filter).
func (f Filter) String() string {
	var terms []string
	for i, on := range []bool{f.Admins, f.Guests, f.Members, f.Enabled} {
		if on {
			terms = append(terms, FilterTerms[i])
		}
	}
	if len(terms) == 0 {
		return "all"
	}
	return strings.Join(terms, ",")
}
