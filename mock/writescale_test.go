package mock

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// countingStore counts what transactions touch: each Get, Put and Delete
// is one key, a Scan or ScanReverse costs the keys it visits, and a Count
// costs the keys counted (bbolt counts by walking the bucket).
type countingStore struct {
	store.Store
	keys atomic.Int64
}

func (c *countingStore) View(fn func(store.Tx) error) error {
	return c.Store.View(func(tx store.Tx) error { return fn(countingTx{Tx: tx, keys: &c.keys}) })
}

func (c *countingStore) Update(fn func(store.Tx) error) error {
	return c.Store.Update(func(tx store.Tx) error { return fn(countingTx{Tx: tx, keys: &c.keys}) })
}

type countingTx struct {
	store.Tx
	keys *atomic.Int64
}

func (t countingTx) Get(bucket, key string) ([]byte, bool) {
	t.keys.Add(1)
	return t.Tx.Get(bucket, key)
}

func (t countingTx) Put(bucket, key string, value []byte) error {
	t.keys.Add(1)
	return t.Tx.Put(bucket, key, value)
}

func (t countingTx) Delete(bucket, key string) error {
	t.keys.Add(1)
	return t.Tx.Delete(bucket, key)
}

func (t countingTx) Scan(bucket, prefix, from string, fn func(string, []byte) bool) error {
	return t.Tx.Scan(bucket, prefix, from, func(k string, v []byte) bool { t.keys.Add(1); return fn(k, v) })
}

func (t countingTx) ScanReverse(bucket, prefix, before string, fn func(string, []byte) bool) error {
	return t.Tx.ScanReverse(bucket, prefix, before, func(k string, v []byte) bool { t.keys.Add(1); return fn(k, v) })
}

func (t countingTx) Count(bucket string) int {
	n := t.Tx.Count(bucket)
	t.keys.Add(int64(n))
	return n
}

// plainMember is the first enabled member without a role whose only
// method is the password: every write of writeSteps succeeds on it.
func plainMember(t *testing.T, st store.Store) string {
	t.Helper()
	var id string
	err := st.View(func(tx store.Tx) error {
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			if u.UserType != "Member" || !u.AccountEnabled || u.isAdmin() || u.PreferredMethod != "" {
				return true, nil
			}
			ms, err := userMethods(tx, u.ID)
			if err != nil {
				return false, err
			}
			if len(ms) == 1 && ms[0].Kind == methods.KindPassword {
				id = u.ID
				return false, nil
			}
			return true, nil
		})
	})
	if err != nil || id == "" {
		t.Fatalf("no plain member: %v", err)
	}
	return id
}

// writeStep is one write bulk apply (or a single-user verb) sends.
type writeStep struct {
	name, method, path, body string
	status                   int
}

// writeSteps are the writes on one user, in an order in which each
// succeeds on a member who has only a password: every method write bulk
// apply sends, and the phone updates that re-register an SMS sign-in
// number.
func writeSteps(user string) []writeStep {
	auth := "/v1.0/users/" + user + "/authentication/"
	beta := "/beta/users/" + user + "/authentication/"
	mobile := auth + "phoneMethods/" + methods.MobilePhoneID
	return []writeStep{
		{"add mobile", "POST", auth + "phoneMethods", `{"phoneNumber":"+1 2065550142","phoneType":"mobile"}`, 201},
		{"add alternateMobile", "POST", auth + "phoneMethods", `{"phoneNumber":"+1 2065550143","phoneType":"alternateMobile"}`, 201},
		{"add office", "POST", auth + "phoneMethods", `{"phoneNumber":"+1 2065550144x12","phoneType":"office"}`, 201},
		{"change mobile number", "PATCH", mobile, `{"phoneNumber":"+1 2065550145"}`, 204},
		{"disable SMS sign-in", "POST", mobile + "/disableSmsSignIn", "", 204},
		{"enable SMS sign-in", "POST", mobile + "/enableSmsSignIn", "", 204},
		{"add email", "POST", auth + "emailMethods", `{"emailAddress":"writescale@fabrikam.example"}`, 201},
		{"change email", "PATCH", auth + "emailMethods/" + methods.EmailMethodID, `{"emailAddress":"writescale2@fabrikam.example"}`, 204},
		{"issue TAP", "POST", auth + "temporaryAccessPassMethods", `{"lifetimeInMinutes":60,"isUsableOnce":true}`, 201},
		{"set default", "PATCH", beta + "signInPreferences", `{"userPreferredMethodForSecondaryAuthentication":"sms"}`, 204},
		{"set MFA state", "PATCH", beta + "requirements", `{"perUserMfaState":"enabled"}`, 204},
		{"revoke sessions", "POST", "/v1.0/users/" + user + "/revokeSignInSessions", "", 200},
		{"delete office", "DELETE", auth + "phoneMethods/" + methods.OfficePhoneID, "", 204},
		{"delete alternateMobile", "DELETE", auth + "phoneMethods/" + methods.AlternateMobilePhoneID, "", 204},
		{"delete email", "DELETE", auth + "emailMethods/" + methods.EmailMethodID, "", 204},
		{"delete mobile", "DELETE", mobile, "", 204},
	}
}

// writeCosts runs writeSteps on a plain member of a synthetic tenant of
// the given size and returns the keys each write touched.
func writeCosts(t *testing.T, users int) map[string]int64 {
	t.Helper()
	mem := store.NewMemory()
	if _, err := SeedSynthetic(mem, SynthOptions{Users: users, Seed: 7, Day: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	// The first SMS sign-in number check of a tenant builds the mobile
	// number index (once, like seeding): build it before counting.
	if err := mem.Update(buildMobileIndex); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: mem}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srv, err := NewServer(Options{Store: cs, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	user := plainMember(t, mem)
	out := map[string]int64{}
	for _, st := range writeSteps(user) {
		before := cs.keys.Load()
		r := rawCall(t, srv, DefaultAdminToken, st.method, st.path, st.body)
		if r.status != st.status {
			t.Fatalf("%d users, %s: status %d, want %d: %v", users, st.name, r.status, st.status, r.body)
		}
		out[st.name] = cs.keys.Load() - before
	}
	return out
}

// TestWriteCostIndependentOfTenantSize: a method write (each one bulk apply
// sends, and the phone updates) touches as many keys in a tenant of 2,000
// users as in one of 200. A write that scans the users or their methods
// (the SMS sign-in number check once read every mobile phone) touches ten
// times as many in the larger tenant.
func TestWriteCostIndependentOfTenantSize(t *testing.T) {
	small, large := writeCosts(t, 200), writeCosts(t, 2_000)
	for _, st := range writeSteps("") {
		s, l := small[st.name], large[st.name]
		t.Logf("%-24s %4d keys (200 users) %4d keys (2,000 users)", st.name, s, l)
		if s == 0 || l != s {
			t.Errorf("%s touches %d keys in a tenant of 200 users and %d in one of 2,000: want the same, not zero", st.name, s, l)
		}
	}
	if t.Failed() {
		t.Log(strings.Repeat("-", 10), fmt.Sprint(small))
	}
}

// BenchmarkMobileWrite adds a mobile phone to a member who has none and
// deletes it again, on the durable store (each write one bbolt transaction
// committed to disk), in tenants of 10,000 and 100,000 users: the write
// bulk apply sends most. Run it with
//
//	go test ./mock/ -run '^$' -bench MobileWrite -benchtime 200x
func BenchmarkMobileWrite(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			st, err := store.OpenBolt(filepath.Join(b.TempDir(), "state.db"), time.Second)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := SeedSynthetic(st, SynthOptions{Users: n, Seed: 42}); err != nil {
				b.Fatal(err)
			}
			srv, err := NewServer(Options{Store: st})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close(); st.Close() })
			var users []string
			st.View(func(tx store.Tx) error {
				return tx.Scan(bucketUsers, "", "", func(id string, _ []byte) bool {
					if _, ok := tx.Get(bucketMethods, methodKey(id, methods.MobilePhoneID)); !ok {
						users = append(users, id)
					}
					return true
				})
			})
			// The tenant's first number check builds the mobile-number
			// index; it is timed apart.
			start := time.Now()
			if err := st.Update(buildMobileIndex); err != nil {
				b.Fatal(err)
			}
			build := time.Since(start)
			h := srv.Handler()
			do := func(method, path, body string, want int) {
				req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != want {
					b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				auth := "/v1.0/users/" + users[(i*7919)%len(users)] + "/authentication/phoneMethods"
				do("POST", auth, fmt.Sprintf(`{"phoneNumber":"+1 206%07d","phoneType":"mobile"}`, 3_000_000+i), 201)
				do("DELETE", auth+"/"+methods.MobilePhoneID, "", 204)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/2, "ms/write")
			b.ReportMetric(build.Seconds(), "index-build-s")
		})
	}
}
