package mock

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/mock/store"
)

// countDisabled asks GET /users/$count for the disabled users, as a
// coverage report's planner does.
func countDisabled(t *testing.T, s *Server, filter string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", InProcessRoot+"/v1.0/users/$count?$filter="+url.QueryEscape(filter), nil)
	req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
	req.Header.Set("ConsistencyLevel", "eventual")
	resp, err := (&http.Client{Transport: s.Transport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, err := strconv.Atoi(string(b))
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("$count %s: %d %s", filter, resp.StatusCode, b)
	}
	return n
}

// disabledUsers is every user whose account is disabled, from a full scan.
func disabledUsers(t *testing.T, st store.Store, guestsOnly bool) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := st.View(func(tx store.Tx) error {
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			if !u.AccountEnabled && (!guestsOnly || u.UserType == "Guest") {
				out[u.ID] = true
			}
			return true, nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The disabled users are counted and listed from their index, and agree
// with a scan of every user after users are disabled and enabled again.
func TestDisabledUsersIndex(t *testing.T) {
	st, stats := seedMemory(t, SynthOptions{Users: 2000, Seed: 11, Day: testDay})
	if stats.Disabled < 20 {
		t.Fatalf("the synthetic tenant has %d disabled users", stats.Disabled)
	}
	s := newServer(t, Options{Store: st, NoSeed: true})
	c := inProcessClient(t, s)
	check := func(when string) {
		t.Helper()
		want := disabledUsers(t, st, false)
		if n := countDisabled(t, s, "accountEnabled eq false"); n != len(want) {
			t.Errorf("%s: $count %d, a scan finds %d", when, n, len(want))
		}
		guests := disabledUsers(t, st, true)
		if n := countDisabled(t, s, "accountEnabled eq false and userType eq 'Guest'"); n != len(guests) {
			t.Errorf("%s: disabled guests: $count %d, a scan finds %d", when, n, len(guests))
		}
		if n := countDisabled(t, s, "accountEnabled eq true"); n != 2000-len(want) {
			t.Errorf("%s: enabled: $count %d, want %d", when, n, 2000-len(want))
		}
		// Listed in pages, in id order, each once.
		got := map[string]bool{}
		last := ""
		next := "/v1.0/users?$filter=accountEnabled%20eq%20false&$top=7&$select=id,accountEnabled"
		for next != "" {
			r := c.do("GET", next, DefaultAdminToken, "")
			for _, u := range values(t, r) {
				id := u["id"].(string)
				if u["accountEnabled"] != false || got[id] || id <= last {
					t.Fatalf("%s: listed %v after %s", when, u, last)
				}
				got[id], last = true, id
			}
			link, _ := r.body["@odata.nextLink"].(string)
			next = strings.TrimPrefix(link, c.base)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: listed %d disabled users, a scan finds %d", when, len(got), len(want))
		}
	}
	check("seeded")

	// Enable one disabled user, disable two enabled ones (one of them twice).
	var enable, disable []string
	if err := st.View(func(tx store.Tx) error {
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			switch {
			case !u.AccountEnabled && len(enable) < 1:
				enable = append(enable, u.ID)
			case u.AccountEnabled && len(disable) < 2 && u.UPN != "mfa.admin@"+DemoDomain:
				disable = append(disable, u.ID)
			}
			return true, nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	set := func(id string, enabled bool) {
		t.Helper()
		changeUser(t, st, id, func(u *userRecord) { u.AccountEnabled = enabled })
	}
	set(enable[0], true)
	set(disable[0], false)
	set(disable[1], false)
	set(disable[1], false)
	check("after writes")

	// What putUser left is what a rebuild gives, and a state without the
	// index (written before it existed) gets it.
	before := dumpBucket(t, st, bucketDisabled)
	if _, ok := before[disabledIndexSentinel]; !ok {
		t.Fatalf("no sentinel in %d keys", len(before))
	}
	if err := st.Update(func(tx store.Tx) error { return tx.DropBucket(bucketDisabled) }); err != nil {
		t.Fatal(err)
	}
	if err := ensureUserIndexes(st); err != nil {
		t.Fatal(err)
	}
	if after := dumpBucket(t, st, bucketDisabled); !maps.Equal(before, after) {
		t.Errorf("putUser left %d keys, a rebuild gives %d", len(before), len(after))
	}
	check("rebuilt")
}

func TestFilterHints(t *testing.T) {
	const a, b = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7", "00000000-0000-0000-0000-000000000001"
	tests := []struct {
		filter string
		ids    string
		prefix string
	}{
		{"userType eq 'Guest'", "<nil>", ""},
		{"startswith(userPrincipalName,'Adele')", "<nil>", "adele"},
		{"userPrincipalName eq 'Adele@x' and accountEnabled eq true", "<nil>", "adele@x"},
		{"userType eq 'Guest' or startswith(userPrincipalName,'Adele')", "<nil>", ""},
		{"id eq '" + strings.ToUpper(a) + "'", a, ""},
		{"id in ('" + a + "', " + b + ", '" + a + "') and startswith(userPrincipalName,'x')", b + " " + a, "x"},
		{"not id eq '" + a + "'", "<nil>", ""},
	}
	for _, tt := range tests {
		f, err := compileFilter(tt.filter, usersFilterSchema, true)
		if err != nil {
			t.Fatalf("%s: %v", tt.filter, err)
		}
		h := hintsOf(f)
		ids := "<nil>"
		if h.ids != nil {
			ids = strings.Join(h.ids, " ")
		}
		if ids != tt.ids || h.upnPrefix != tt.prefix {
			t.Errorf("%s: hints ids %q prefix %q, want %q %q", tt.filter, ids, h.upnPrefix, tt.ids, tt.prefix)
		}
	}
}
