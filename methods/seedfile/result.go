package seedfile

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
)

// Result is what a parser read: the tokens that passed every check, and
// one RowError per rejected row. The default import is all-or-nothing
// (import only when Errors is empty); --skip-invalid imports Tokens and
// writes Errors with WriteErrorsCSV.
type Result struct {
	Tokens []Token    // in file order
	Errors []RowError // in file order
}

// FileError is a problem with a whole file (its structure, header or
// encryption) as opposed to one row. Line and Column are 0 when unknown.
type FileError struct {
	Line, Column int
	Problem      string
}

func (e *FileError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Problem)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Problem)
	}
	return e.Problem
}

// RowError is a rejected row: where it is, which serial it names, and why.
type RowError struct {
	// Line is the row's physical line (CSV) or the KeyPackage's line (PSKC).
	Line int
	// Serial is the row's serial number as read; empty when it had none
	// or the row's columns could not be trusted.
	Serial string
	// Reason lists every problem found, separated by "; ". It never
	// contains the secret.
	Reason string
	// Row is the row as read, for the errors file.
	Row Row
}

// Error renders the rejection for a one-line-per-row report:
// "line 7 (serial 123456): time interval must be 30 or 60 seconds".
func (e RowError) Error() string {
	if e.Serial == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d (serial %s): %s", e.Line, printable(e.Serial), e.Reason)
}

// Row is one input record as it appeared in the file, kept with a
// rejected row so the errors file can show it. Fields are the text read,
// so a bad interval shows as written; SecretKey prints masked.
type Row struct {
	UPN          string
	SerialNumber string
	SecretKey    Secret
	TimeInterval string
	Manufacturer string
	Model        string
	HashFunction string
}

func rowOf(t Token) Row {
	return Row{
		UPN:          t.UPN,
		SerialNumber: t.SerialNumber,
		SecretKey:    t.Secret,
		TimeInterval: strconv.Itoa(t.TimeInterval),
		Manufacturer: t.Manufacturer,
		Model:        t.Model,
		HashFunction: string(t.HashFunction),
	}
}

// candidate is a row on its way through the checks: the token built so
// far, the row as read, and the problems found.
type candidate struct {
	token    Token
	row      Row
	problems []string
	// trusted is false when the row's fields cannot be matched to the
	// columns (wrong field count), so no cross-row check uses them.
	trusted bool
}

func (c *candidate) reject(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// finish runs the checks that compare rows (duplicate serials, reused
// seeds) and splits the candidates into tokens and row errors.
func finish(cands []*candidate) *Result {
	markDuplicates(cands, func(c *candidate) string {
		return strings.ToLower(strings.TrimSpace(c.token.SerialNumber))
	}, "serial number %s is also on %s")
	markDuplicates(cands, func(c *candidate) string {
		return c.token.Secret.Base32()
	}, "the secret key is the same as on %[2]s (every token has its own seed)")

	res := &Result{}
	for _, c := range cands {
		if len(c.problems) == 0 {
			res.Tokens = append(res.Tokens, c.token)
			continue
		}
		serial := c.token.SerialNumber
		if !c.trusted {
			serial = ""
		}
		res.Errors = append(res.Errors, RowError{
			Line:   c.token.Line,
			Serial: serial,
			Reason: strings.Join(c.problems, "; "),
			Row:    c.row,
		})
	}
	return res
}

// markDuplicates names, on every row of a group sharing a non-empty key,
// the other lines of the group, so each rejected row says where its twin
// is. The format gets the serial and the list of lines.
func markDuplicates(cands []*candidate, key func(*candidate) string, format string) {
	groups := map[string][]*candidate{}
	var order []string
	for _, c := range cands {
		if !c.trusted {
			continue
		}
		k := key(c)
		if k == "" {
			continue
		}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	for _, k := range order {
		group := groups[k]
		if len(group) < 2 {
			continue
		}
		for _, c := range group {
			var others []int
			for _, o := range group {
				if o != c {
					others = append(others, o.token.Line)
				}
			}
			c.reject(format, printable(c.token.SerialNumber), lineList(others))
		}
	}
}

// lineList renders "line 3", "lines 3 and 9", "lines 3, 9 and 12".
func lineList(lines []int) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = strconv.Itoa(l)
	}
	if len(s) == 1 {
		return "line " + s[0]
	}
	return "lines " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// Reject moves every token for which check returns an error to Errors,
// with the error's text as the reason. It is the hook for checks mfactl
// makes outside this package; the message must not contain the secret.
func (r *Result) Reject(check func(Token) error) {
	kept := r.Tokens[:0]
	for _, t := range r.Tokens {
		if err := check(t); err != nil {
			r.Errors = append(r.Errors, RowError{Line: t.Line, Serial: t.SerialNumber, Reason: err.Error(), Row: rowOf(t)})
			continue
		}
		kept = append(kept, t)
	}
	clear(r.Tokens[len(kept):]) // drop the copies of moved seeds
	r.Tokens = kept
	r.sortErrors()
}

// Tenant answers the questions about the tenant that the import rules
// need. mfactl implements it over Graph (or the mock); errors from it are
// failures to ask, not rejections, and stop CheckTenant.
type Tenant interface {
	// SerialInInventory reports whether the tenant's hardware OATH
	// inventory already holds a token with this serial number.
	SerialInInventory(ctx context.Context, serial string) (bool, error)
	// UserByUPN finds a user; found is false when there is none.
	UserByUPN(ctx context.Context, upn string) (user methods.User, found bool, err error)
	// OathMethodCount is how many OATH methods (hardware tokens, software
	// tokens, Authenticator apps) count against the user's limit now.
	OathMethodCount(ctx context.Context, user methods.User) (int, error)
}

// CheckTenant applies the rules that need the tenant, in file order:
// serial numbers already in the inventory, UPNs that name no user or a
// guest (tokens cannot be assigned to guests), and Entra's limit of
// MaxTokensPerUser OATH methods per user, counting what the user has and
// the tokens earlier in the file. Each user is looked up once. On a lookup
// error nothing is changed and the error is returned.
func (r *Result) CheckTenant(ctx context.Context, tenant Tenant) error {
	type userState struct {
		user   methods.User
		found  bool
		count  int // OATH methods the user has plus tokens accepted so far
		loaded bool
	}
	users := map[string]*userState{}
	reasons := make(map[int]string, len(r.Tokens)) // index in r.Tokens -> reason
	for i, t := range r.Tokens {
		inInventory, err := tenant.SerialInInventory(ctx, t.SerialNumber)
		if err != nil {
			return fmt.Errorf("checking serial number %s: %w", printable(t.SerialNumber), err)
		}
		if inInventory {
			reasons[i] = "serial number " + printable(t.SerialNumber) + " is already in the tenant's inventory"
			continue
		}
		if t.UPN == "" {
			continue
		}
		key := strings.ToLower(t.UPN)
		st := users[key]
		if st == nil {
			st = &userState{}
			users[key] = st
			st.user, st.found, err = tenant.UserByUPN(ctx, t.UPN)
			if err != nil {
				return fmt.Errorf("looking up %s: %w", printable(t.UPN), err)
			}
			if st.found && entra.CheckTokenHolder(st.user.IsGuest()) == "" {
				if st.count, err = tenant.OathMethodCount(ctx, st.user); err != nil {
					return fmt.Errorf("counting the OATH methods of %s: %w", printable(t.UPN), err)
				}
				st.loaded = true
			}
		}
		switch {
		case !st.found:
			reasons[i] = fmt.Sprintf("no user %s in the tenant", printable(t.UPN))
		case entra.CheckTokenHolder(st.user.IsGuest()) != "":
			reasons[i] = fmt.Sprintf("user %s is a guest, and hardware tokens cannot be assigned to guests", printable(t.UPN))
		case st.loaded && entra.CheckOathLimit(st.count) != "":
			reasons[i] = fmt.Sprintf("user %s would have more than %d OATH methods (tokens and authenticator apps)", printable(t.UPN), MaxTokensPerUser)
		default:
			st.count++
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	kept := make([]Token, 0, len(r.Tokens)-len(reasons))
	for i, t := range r.Tokens {
		if reason, ok := reasons[i]; ok {
			r.Errors = append(r.Errors, RowError{Line: t.Line, Serial: t.SerialNumber, Reason: reason, Row: rowOf(t)})
			continue
		}
		kept = append(kept, t)
	}
	r.Tokens = kept
	r.sortErrors()
	return nil
}

func (r *Result) sortErrors() {
	slices.SortStableFunc(r.Errors, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
}
