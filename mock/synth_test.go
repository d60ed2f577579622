package mock

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

var testDay = time.Date(2025, 6, 1, 15, 4, 5, 0, time.UTC)

// dump renders every bucket, key and value of a store.
func dump(t *testing.T, st store.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	err := st.View(func(tx store.Tx) error {
		for _, name := range tx.Buckets() {
			tx.Scan(name, "", "", func(k string, v []byte) bool {
				fmt.Fprintf(&b, "%s\t%s\t%s\n", name, k, v)
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func seedMemory(t *testing.T, o SynthOptions) (store.Store, SynthStats) {
	t.Helper()
	st := store.NewMemory()
	stats, err := SeedSynthetic(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return st, stats
}

const goldenSynthetic3000 = "3fee9b561efcfb3eda931bb320d14790808b1621fe6526ddfe2167bc11caaf0a"

func TestSyntheticTenantIsDeterministic(t *testing.T) {
	o := SynthOptions{Users: 3000, Seed: 42, Day: testDay}
	a, _ := seedMemory(t, o)
	b, err := store.OpenBolt(statePath(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Seeding over an existing tenant replaces it entirely; a sorter
	// memory of 64 KB makes the bbolt seed merge many sorted runs.
	if err := b.Update(func(tx store.Tx) error { return seedDemo(tx, testDay) }); err != nil {
		t.Fatal(err)
	}
	defer func(m int) { synthSortMemory = m }(synthSortMemory)
	synthSortMemory = 64 << 10
	if _, err := SeedSynthetic(b, o); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(); err != nil {
		t.Fatalf("bolt file after bulk load: %v", err)
	}
	da, db := dump(t, a), dump(t, b)
	if !bytes.Equal(da, db) {
		t.Fatal("the same options gave different data (memory vs bbolt, over a demo tenant)")
	}
	// The same options give the same tenant from one version to the next
	// (the tenant of 3,000 users, seed 42, on testDay, as first written).
	if sum := fmt.Sprintf("%x", sha256.Sum256(da)); sum != goldenSynthetic3000 {
		t.Errorf("the synthetic tenant changed: sha256 %s, was %s (if the change is intended, update goldenSynthetic3000)", sum, goldenSynthetic3000)
	}
	// Another time of the same day changes nothing; another seed or day does.
	later := o
	later.Day = testDay.Add(8 * time.Hour)
	if c, _ := seedMemory(t, later); !bytes.Equal(dump(t, c), da) {
		t.Error("the time of day changed the data")
	}
	for _, other := range []SynthOptions{{Users: 3000, Seed: 43, Day: testDay}, {Users: 3000, Seed: 42, Day: testDay.AddDate(0, 0, 1)}} {
		if c, _ := seedMemory(t, other); bytes.Equal(dump(t, c), da) {
			t.Errorf("%+v gave the same data as seed 42", other)
		}
	}
}

func TestSyntheticOptionsAreValidated(t *testing.T) {
	for _, n := range []int{-1, 0, 3, MaxSyntheticUsers + 1} {
		st := store.NewMemory()
		st.Update(func(tx store.Tx) error { return seedDemo(tx, testDay) })
		if _, err := SeedSynthetic(st, SynthOptions{Users: n}); err == nil || !strings.Contains(err.Error(), "needs 4 to 1000000 users") {
			t.Errorf("users %d: %v", n, err)
		}
		if c := storedUserCount(st); c != len(DemoUsers()) {
			t.Errorf("users %d: a refused seed changed the state (%d users)", n, c)
		}
	}
}

func storedUserCount(st store.Store) int {
	n := 0
	st.View(func(tx store.Tx) error { n = tx.Count(bucketUsers); return nil })
	return n
}

// entraPhone is Entra's phone format: +CC, one space, digits, x and an
// extension only on office phones.
var entraPhone = regexp.MustCompile(`^\+[1-9][0-9]{0,2} [0-9]{4,14}$`)

func TestSyntheticTenantMix(t *testing.T) {
	const n = 20000
	st, stats := seedMemory(t, SynthOptions{Users: n, Seed: 7, Day: testDay})
	if stats.Users != n || storedUserCount(st) != n {
		t.Fatalf("stats %+v, stored %d users", stats, storedUserCount(st))
	}
	var users []userRecord
	byUser := map[string][]methodRecord{}
	tokens := map[string]tokenRecord{}
	st.View(func(tx store.Tx) error {
		store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) { users = append(users, u); return true, nil })
		store.ScanJSON(tx, bucketMethods, "", "", func(_ string, m methodRecord) (bool, error) {
			byUser[m.UserID] = append(byUser[m.UserID], m)
			return true, nil
		})
		store.ScanJSON(tx, bucketTokens, "", "", func(_ string, tk tokenRecord) (bool, error) { tokens[tk.ID] = tk; return true, nil })
		for _, u := range users {
			if id, ok := tx.Get(bucketUPN, strings.ToLower(u.UPN)); !ok || string(id) != u.ID {
				t.Errorf("UPN index of %s: %q %v", u.UPN, id, ok)
			}
		}
		return nil
	})

	count := map[string]int{}
	mobiles := map[string]string{}
	for _, u := range users {
		ms := byUser[u.ID]
		kinds := map[methods.Kind]int{}
		phoneTypes := map[methods.PhoneType]int{}
		pr, mfa := false, false
		for _, m := range ms {
			kinds[m.Kind]++
			count["kind "+string(m.Kind)]++
			pr = pr || m.Class() == methods.ClassPhishingResistant
			mfa = mfa || m.IsMFA()
			if m.Kind == methods.KindPhone {
				phoneTypes[m.PhoneType]++
				num, ext, hasExt := strings.Cut(m.PhoneNumber, "x")
				if !entraPhone.MatchString(num) || (hasExt && (m.PhoneType != methods.PhoneOffice || len(ext) == 0 || len(ext) > 10)) {
					t.Errorf("%s: %s number %q is not in Entra's format", u.UPN, m.PhoneType, m.PhoneNumber)
				}
				if m.ID != methods.PhoneMethodID(m.PhoneType) {
					t.Errorf("%s: %s phone has id %s", u.UPN, m.PhoneType, m.ID)
				}
				if m.PhoneType != methods.PhoneOffice {
					if other, dup := mobiles[m.PhoneNumber]; dup {
						t.Errorf("mobile number %s of %s is also %s's", m.PhoneNumber, u.UPN, other)
					}
					mobiles[m.PhoneNumber] = u.UPN
				}
				if m.SMSSignInState == "ready" {
					count["sms sign-in ready"]++
					if m.PhoneType != methods.PhoneMobile {
						t.Errorf("%s: SMS sign-in on a %s phone", u.UPN, m.PhoneType)
					}
				}
			}
			if m.Kind == methods.KindTemporaryAccess {
				if usable, _ := tapUsability(&m, testDay); usable {
					count["TAP outstanding"]++
				} else {
					count["TAP expired"]++
				}
			}
			if m.Kind == methods.KindHardwareOath {
				if tk, ok := tokens[m.TokenID]; !ok || tk.AssignedTo == nil || tk.AssignedTo.ID != u.ID {
					t.Errorf("%s: hardware method bound to token %s assigned elsewhere", u.UPN, m.TokenID)
				}
			}
			if m.Kind == methods.KindSoftwareOath && m.OathSecret == "" {
				t.Errorf("%s: software OATH method without a secret", u.UPN)
			}
		}
		for pt, c := range phoneTypes {
			if c > 1 {
				t.Errorf("%s has %d %s phones", u.UPN, c, pt)
			}
		}
		if phoneTypes[methods.PhoneAlternateMobile] > 0 && phoneTypes[methods.PhoneMobile] == 0 {
			t.Errorf("%s has an alternate mobile without a mobile", u.UPN)
		}
		if kinds[methods.KindEmail] > 1 || kinds[methods.KindPassword] != 1 || kinds[methods.KindTemporaryAccess] > 1 {
			t.Errorf("%s: methods %v", u.UPN, kinds)
		}
		if kinds[methods.KindSoftwareOath]+kinds[methods.KindHardwareOath]+kinds[methods.KindAuthenticator] > 5 {
			t.Errorf("%s has more than 5 OATH/app methods", u.UPN)
		}
		if u.PreferredMethod != "" {
			plain := make([]methods.Method, len(ms))
			for i := range ms {
				plain[i] = ms[i].Method
			}
			if !methods.DefaultMethod(u.PreferredMethod).SupportedBy(plain) {
				t.Errorf("%s prefers %s without a method for it (%v)", u.UPN, u.PreferredMethod, kinds)
			}
		}
		guest := u.UserType == "Guest"
		switch {
		case guest:
			count["guests"]++
			if !strings.HasSuffix(u.UPN, "#EXT#@"+DemoDomain) || !strings.Contains(u.UPN, "_") || u.isAdmin() {
				t.Errorf("guest %s (roles %v)", u.UPN, u.Roles)
			}
		case !strings.HasSuffix(u.UPN, "@"+DemoDomain) || strings.Contains(u.UPN, "#"):
			t.Errorf("member UPN %s", u.UPN)
		}
		if !u.AccountEnabled {
			count["disabled"]++
			if mfa {
				count["disabled with MFA methods"]++
			}
		}
		if u.isAdmin() {
			count["admins"]++
			if pr {
				count["admins with phishing-resistant"]++
			} else {
				count["admins without phishing-resistant"]++
			}
		}
		if !mfa {
			count["without MFA"]++
		}
		count["mfa state "+u.PerUserMFAState]++
	}
	for _, tk := range tokens {
		count["token "+string(tk.Status)]++
		if tk.Secret != SyntheticTokenSecret(7, tk.SerialNumber) {
			t.Errorf("token %s: secret is not SyntheticTokenSecret", tk.SerialNumber)
		}
		if (tk.Status == methods.TokenAvailable) != (tk.AssignedTo == nil) {
			t.Errorf("token %s is %s, assigned to %v", tk.SerialNumber, tk.Status, tk.AssignedTo)
		}
	}

	pct := func(k string) float64 { return 100 * float64(count[k]) / n }
	within := func(k string, lo, hi float64) {
		if p := pct(k); p < lo || p > hi {
			t.Errorf("%s: %.2f %% of users, want %.1f-%.1f %%", k, p, lo, hi)
		}
	}
	within("guests", 4, 6)
	within("disabled", 3, 5)
	within("admins", 2.2, 3.6)
	within("without MFA", 15, 25)
	within("TAP outstanding", 2, 4)
	within("TAP expired", 1, 2.2)
	within("kind fido2", 7, 10)
	within("kind microsoftAuthenticator", 55, 70)
	within("mfa state enforced", 4, 6)
	for _, k := range []string{"admins with phishing-resistant", "admins without phishing-resistant", "disabled with MFA methods", "sms sign-in ready",
		"kind email", "kind softwareOath", "kind hardwareOath", "kind windowsHelloForBusiness", "kind platformCredential", "mfa state enabled"} {
		if count[k] == 0 {
			t.Errorf("no %s", k)
		}
	}
	if len(tokens) != n*3/100 || stats.HardwareTokens != len(tokens) {
		t.Errorf("%d tokens (stats %d), want %d", len(tokens), stats.HardwareTokens, n*3/100)
	}
	for _, s := range methods.TokenStatuses {
		if count["token "+string(s)] == 0 {
			t.Errorf("no token %s", s)
		}
	}
	if count["admins"] != stats.Admins || count["guests"] != stats.Guests || count["without MFA"] != stats.WithoutMFA || count["disabled"] != stats.Disabled {
		t.Errorf("stats %+v disagree with the data %v", stats, count)
	}
	t.Logf("mix of %d users: %v", n, count)
}

func TestSmallestSyntheticTenantHasEveryTokenStatus(t *testing.T) {
	st, stats := seedMemory(t, SynthOptions{Users: MinSyntheticUsers, Seed: 1, Day: testDay})
	if stats.Users != 4 || stats.HardwareTokens != 4 {
		t.Fatalf("stats %+v", stats)
	}
	var statuses []string
	st.View(func(tx store.Tx) error {
		return store.ScanJSON(tx, bucketTokens, "", "", func(_ string, tk tokenRecord) (bool, error) {
			statuses = append(statuses, string(tk.Status))
			return true, nil
		})
	})
	// With no members but the principals to assign to, all stay available.
	if slices.ContainsFunc(statuses, func(s string) bool { return s != "available" }) {
		t.Errorf("statuses %v", statuses)
	}
	st.View(func(tx store.Tx) error {
		for _, local := range principalLocals {
			u, err := getUser(tx, local+"@"+DemoDomain)
			if err != nil || u.ID != stableID("demo-user", local+"@"+DemoDomain) {
				t.Errorf("principal %s: %v %v", local, u, err)
			}
		}
		return nil
	})
}

func TestUniqueTailIsABijection(t *testing.T) {
	seen := make(map[string]bool, 1_000_000)
	for i := 0; i < 1_000_000; i++ {
		s := uniqueTail(42, i)
		if len(s) != 6 || seen[s] {
			t.Fatalf("uniqueTail(42, %d) = %q repeats or has the wrong length", i, s)
		}
		seen[s] = true
	}
}
