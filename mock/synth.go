package mock

import (
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"fmt"
	"math/bits"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/internal/extsort"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// Synthetic tenants: the CLI's seeding (--users N --seed S) and
// POST /_mock/reset {"users":N,"seed":S} replace the state with a generated
// tenant whose mix of users and methods resembles a real one. The same
// users, seed and reference day give byte-identical data: every choice comes
// from a per-user random stream derived from the seed, ids come from
// stableID, and timestamps are offsets from the reference day (00:00 UTC).
//
// The mix (also documented in the README), for the users other than the
// four token principals:
//
//	account       members 95 %, B2B guests 5 % (UPN first.last_home.example#EXT#@domain)
//	              disabled 4 % of all users (most keep their methods)
//	admins        3 % of members hold directory roles; 55 % of them have a
//	              phishing-resistant method, 45 % do not (Authenticator and
//	              phone, phone only, or nothing)
//	members       password only 15 %, SMS only 12 %, phones for voice
//	              (mobile + office or alternate) 5 %, Authenticator + mobile 24 %,
//	              Authenticator only 14 %, software OATH 5 %, FIDO2 7 %,
//	              Windows Hello 6 %, macOS platform credential 2 %, several
//	              methods 5 %, new hire with an outstanding TAP 3 %, email only 2 %
//	guests        nothing 40 %, Authenticator 30 %, SMS 20 %, both 10 %
//	extras        email method on 20 % of members with MFA; an expired TAP on
//	              1.5 %; SMS sign-in ready on 4 % of mobiles; per-user MFA
//	              disabled 88 % / enabled 7 % / enforced 5 %; system-preferred
//	              MFA on for 90 %
//	tokens        hardware OATH tokens for 3 % of users (at least 4): available
//	              40 %, assigned 15 %, activated 40 %, failedActivation 5 %
//	              (every status at least once when there are members to
//	              assign to), assigned to distinct members
//
// Phone numbers are in Entra's "+CC NUMBER" form (office numbers often with
// an xEXT extension) from ten countries. Mobile and alternate mobile numbers
// are unique across the tenant (SMS sign-in needs that): their last six
// digits are a bijection of the user's index, and the digits before them
// differ between the two phone types.

// SynthOptions describe a synthetic tenant.
type SynthOptions struct {
	// Users is the total number of users, the four token principals
	// included (MinSyntheticUsers to MaxSyntheticUsers).
	Users int
	// Seed selects the tenant; the same seed gives the same tenant.
	Seed int64
	// Day is the reference day: timestamps are offsets from its 00:00 UTC
	// (a TAP outstanding "now" is valid on that day). Zero means today.
	Day time.Time
}

// Bounds of SynthOptions.Users. The unique mobile numbers use six digits
// derived from the user's index, hence the maximum.
const (
	MinSyntheticUsers = 4
	MaxSyntheticUsers = 1_000_000
)

// SynthStats describe a generated tenant.
type SynthStats struct {
	Users          int `json:"users"`
	Members        int `json:"members"`
	Guests         int `json:"guests"`
	Disabled       int `json:"disabled"`
	Admins         int `json:"admins"`
	WithoutMFA     int `json:"withoutMfa"`
	Methods        int `json:"methods"`
	HardwareTokens int `json:"hardwareTokens"`
}

// Validate checks the options and says how to fix them.
func (o SynthOptions) Validate() error {
	if o.Users < MinSyntheticUsers || o.Users > MaxSyntheticUsers {
		return fmt.Errorf("a synthetic tenant needs %d to %d users, not %d (the first %d are the mock tokens' principals)", MinSyntheticUsers, MaxSyntheticUsers, o.Users, MinSyntheticUsers)
	}
	return nil
}

// SeedSynthetic replaces everything in st with a synthetic tenant: a
// failure leaves the previous state untouched. The tenant is generated one
// user at a time into an extsort.Sorter (which spills sorted runs to
// temporary files next to a bbolt state) and loaded in key order by
// store.Replace, so memory stays flat from a hundred users to a million.
func SeedSynthetic(st store.Store, o SynthOptions) (SynthStats, error) {
	if err := o.Validate(); err != nil {
		return SynthStats{}, err
	}
	dir := ""
	if p, ok := st.(interface{ Path() string }); ok {
		dir = filepath.Dir(p.Path())
	}
	src := extsort.NewSorter(dir, synthSortMemory)
	defer src.Close()
	stats, err := generateSynthetic(src, o)
	if err != nil {
		return SynthStats{}, err
	}
	return stats, store.Replace(st, src)
}

// clearState drops every bucket, including ones other areas of the mock
// created, so nothing of the previous tenant survives.
func clearState(tx store.Tx) error {
	for _, b := range tx.Buckets() {
		if err := tx.DropBucket(b); err != nil {
			return err
		}
	}
	return nil
}

// SyntheticTenantID is the tenant id of the synthetic tenant of seed.
func SyntheticTenantID(seed int64) string {
	return stableID("synthetic-tenant", strconv.FormatInt(seed, 10))
}

// SyntheticTokenSecret is the base32 TOTP secret of the hardware token with
// this serial number in the synthetic tenant of seed, so tests and demos
// can compute the codes that activate it.
func SyntheticTokenSecret(seed int64, serial string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("mfactl synthetic token secret\x00%d\x00%s", seed, serial)))
	return base32.StdEncoding.EncodeToString(sum[:])
}

// principalLocals are the demo users the mock's tokens sign in as; every
// synthetic tenant keeps them (same ids and methods) so the tokens work.
var principalLocals = []string{"mfa.admin", "helpdesk", "auditor", "reports"}

// rng is splitmix64: small, fast and, unlike math/rand's helpers, fixed
// forever, which the byte-identical guarantee needs.
type rng struct{ s uint64 }

func newRNG(seed int64, stream uint64) *rng {
	r := &rng{s: uint64(seed)*0x9E3779B97F4A7C15 ^ (stream+1)*0xD1B54A32D192ED03}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// percent reports true with probability p/100 (p may have decimals).
func (r *rng) percent(p float64) bool { return float64(r.next()>>11)/(1<<53) < p/100 }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// weighted returns the index of the entry chosen by weight.
func (r *rng) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.intn(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func (r *rng) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.intn(10))
	}
	return string(b)
}

// country is where a synthetic user works: the phone numbering and city.
// Mobile and alternate mobile numbers are mobilePrefix/altPrefix, filler
// random digits (the first one 2-9) and the six unique digits; office
// numbers are officePrefix and officeDigits random digits.
type country struct {
	code                    string
	mobilePrefixes          []string
	altPrefixes             []string
	filler                  int
	officePrefix            string
	officeDigits            int
	city, emailDomain, home string
	weight                  int
}

// The national prefixes are real mobile and geographic ranges, so the
// numbers are possible numbers of their country; US area codes leave out
// 425 (the demo tenant's 425-555-01xx numbers).
var countries = []country{
	{"1", []string{"206", "312", "415", "617", "646"}, []string{"360", "503", "971"}, 1, "212", 7, "New York", "outlook.example", "fabrikam.example", 35},
	{"44", []string{"77"}, []string{"78"}, 2, "207", 7, "London", "outlook.example", "northwind.example", 15},
	{"49", []string{"151"}, []string{"160"}, 2, "89", 8, "Munich", "web.example", "tailspin.example", 12},
	{"33", []string{"61", "62", "64", "65", "66", "67", "68"}, []string{"73", "74", "75", "76", "77", "78"}, 1, "1", 8, "Paris", "orange.example", "wingtip.example", 8},
	{"91", []string{"98", "99"}, []string{"70"}, 2, "224", 7, "Mumbai", "gmail.example", "adventure-works.example", 10},
	{"61", []string{"41"}, []string{"42"}, 1, "29", 7, "Sydney", "bigpond.example", "litware.example", 5},
	{"81", []string{"90"}, []string{"80"}, 2, "3", 8, "Tokyo", "docomo.example", "proseware.example", 5},
	{"55", []string{"119"}, []string{"219"}, 2, "113", 7, "São Paulo", "uol.example", "relecloud.example", 4},
	{"31", []string{"62", "63", "64", "65"}, []string{"61"}, 1, "20", 7, "Amsterdam", "ziggo.example", "woodgrove.example", 3},
	{"34", []string{"61", "62", "63", "64", "65", "66", "67", "68", "69"}, []string{"71", "72", "73", "74"}, 1, "91", 7, "Madrid", "telefonica.example", "lamna.example", 3},
}

var countryWeights = func() []int {
	w := make([]int, len(countries))
	for i, c := range countries {
		w[i] = c.weight
	}
	return w
}()

// uniqueTail maps a user index to six digits, one-to-one below 1,000,000:
// an affine map modulo 10^6 with a multiplier coprime to 10.
func uniqueTail(seed int64, i int) string {
	const mod = 1_000_000
	off := uint64(seed) % mod
	v := (uint64(i)*387_203 + off) % mod
	return fmt.Sprintf("%06d", v)
}

func randomLead(r *rng, n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(2+r.intn(8)) + r.digits(n-1)
}

func (c *country) mobile(r *rng, seed int64, i int) string {
	return "+" + c.code + " " + pick(r, c.mobilePrefixes) + randomLead(r, c.filler) + uniqueTail(seed, i)
}

// alternate numbers use the same unique tail as the user's mobile behind a
// prefix no mobile number uses.
func (c *country) alternate(r *rng, seed int64, i int) string {
	return "+" + c.code + " " + pick(r, c.altPrefixes) + randomLead(r, c.filler) + uniqueTail(seed, i)
}

func (c *country) office(r *rng) string {
	n := "+" + c.code + " " + c.officePrefix + randomLead(r, c.officeDigits)
	if r.percent(60) {
		n += "x" + strconv.Itoa(100+r.intn(9900))
	}
	return n
}

var (
	firstNames = strings.Fields(`Aaliyah Aarav Abigail Adrian Aisha Akira Alejandro Alice Amara Amelia Ana Andre Anna Arjun
		Ava Beatriz Ben Bianca Camila Carlos Charlotte Chen Chloe Daniel David Diego Dmitri Elena Eli Emma Ethan Fatima
		Felix Freya Gabriel Grace Hana Hannah Hiro Ibrahim Ines Isabella Isaac Ivan Jack James Jana Javier Jin Joao
		Jonas Julia Kai Kavya Kenji Lara Laura Leo Liam Lucas Lucia Luis Maya Mateo Mei Mia Mohammed Nadia Naomi Noah
		Nora Olivia Omar Oscar Paula Pedro Priya Rafael Ravi Rosa Ruby Sakura Samuel Sara Sofia Sophie Tariq Thomas
		Valentina Victor Wei William Yara Yuki Yusuf Zara Zoe Matteo Ingrid Lars Siobhan Declan Anya Tomasz Zofia`)
	lastNames = strings.Fields(`Abe Ahmed Almeida Andersen Bauer Becker Brown Campbell Chen Costa Da_Silva Davies Dubois
		Evans Fernandes Fischer Garcia Gomez Gupta Hansen Hernandez Hoffmann Ito Jansen Johnson Jones Kato Khan Kim
		Klein Kowalski Kumar Lambert Lee Lopez Martin Martinez Meyer Miller Moreau Muller Murphy Nakamura Nguyen
		Nielsen Novak Oliveira Park Patel Perez Petit Rao Reddy Richter Roberts Rodriguez Rossi Russo Sanchez Santos
		Sato Schmidt Schneider Sharma Silva Singh Smith Suzuki Takahashi Tanaka Taylor Thomas Thompson Torres Wagner
		Walker Wang Watanabe Weber White Williams Wilson Wright Yamamoto Yilmaz Zhang Zimmermann Okafor Mensah Eriksson`)
	jobTitles = []string{"Account Manager", "Accountant", "Analyst", "Architect", "Buyer", "Consultant", "Customer Success Manager",
		"Data Engineer", "Designer", "Developer", "Engineer", "Field Technician", "HR Partner", "Lawyer", "Marketing Manager",
		"Nurse", "Operations Manager", "Product Manager", "Project Manager", "Recruiter", "Sales Representative",
		"Store Associate", "Support Engineer", "Teacher", "Warehouse Associate"}
	adminRoles = []string{RoleGlobalAdmin, RoleUserAdmin, RoleHelpdeskAdmin, RoleSecurityAdmin, RoleAuthAdmin,
		RolePrivilegedAuthAdmin, RoleGlobalReader, RoleReportsReader, RoleAuthPolicyAdmin}
	fido2Keys = []struct{ model, aaguid string }{
		{"YubiKey 5 NFC", "2fc0579f-8113-47ea-b116-555a8db9202a"},
		{"YubiKey 5C", "ee882879-721c-4913-9775-3dfcce97072a"},
		{"Feitian ePass FIDO2", "833b721a-ff5f-4d00-bb2e-bdda3ec01e29"},
		{"Google Titan Security Key", "42b4fb4a-2866-43b2-9bf7-6c6669c2e5d3"},
	}
	phonesModels = []string{"iPhone 13", "iPhone 14", "iPhone 15", "iPhone 15 Pro", "Pixel 7", "Pixel 8", "Galaxy S23", "Galaxy A54", "Surface Duo", "Xperia 10"}
	appVersions  = []string{"6.2409.6094", "6.2410.7123", "6.2412.8510", "6.2501.0187"}
	tokenVendors = []struct {
		manufacturer, model, prefix, hash string
		interval                          int
	}{{"Contoso", "OTP-C200", "C2", "hmacsha1", 30}, {"Fabrikam", "KeyFob 60", "FK", "hmacsha256", 60}, {"Token2", "C301", "T2", "hmacsha1", 30}}
	mfaStates     = []string{"disabled", "enabled", "enforced"}
	mfaStateOdds  = []int{88, 7, 5}
	guestProfiles = []int{40, 30, 20, 10} // nothing, Authenticator, SMS, both
)

// Method profiles of members, with their weights in percent.
const (
	profNone = iota
	profSMS
	profVoice
	profAppPhone
	profApp
	profOath
	profFido2
	profWHfB
	profPlatform
	profSeveral
	profTAP
	profEmail
)

var memberProfileOdds = []int{15, 12, 5, 24, 14, 5, 7, 6, 2, 5, 3, 2}

// synthUser is one generated user and its methods before they are stored.
type synthUser struct {
	rec     userRecord
	methods []methodRecord
	country *country
}

// seedSynthetic writes a synthetic tenant into an empty transaction.
// synthTAPMaxLifetime is the synthetic tenant's maximum pass lifetime: a
// week, in minutes.
const synthTAPMaxLifetime = 7 * 24 * 60

// synthSortMemory is the memory the tenant's sorter holds before it
// spills a run (tests make it small).
var synthSortMemory = extsort.DefaultMemory

// seedSynthetic replaces everything in tx with a synthetic tenant, in that
// one transaction (POST /_mock/reset on a running server).
func seedSynthetic(tx store.Tx, o SynthOptions) (SynthStats, error) {
	src := extsort.NewSorter("", synthSortMemory)
	defer src.Close()
	stats, err := generateSynthetic(src, o)
	if err != nil {
		return SynthStats{}, err
	}
	return stats, store.ReplaceTx(tx, src)
}

// generateSynthetic writes a synthetic tenant into src, one user at a
// time: only the hardware token plan (3 % of users) and one int32 per
// member (the token candidates) are held for the whole tenant.
func generateSynthetic(src *extsort.Sorter, o SynthOptions) (SynthStats, error) {
	day := o.Day
	if day.IsZero() {
		day = time.Now()
	}
	day = day.UTC().Truncate(24 * time.Hour)
	g := &synthesizer{opts: o, day: day, upns: map[string]int{}}
	tx := sorterTx{src}
	tenant := tenantRecord{
		ID: SyntheticTenantID(o.Seed), Domain: DemoDomain, SeededAt: day,
		DisplayName: fmt.Sprintf("Contoso (synthetic: %d users, seed %d)", o.Users, o.Seed),
		Seed:        fmt.Sprintf("synthetic users=%d seed=%d day=%s", o.Users, o.Seed, day.Format(time.DateOnly)),
	}
	if err := store.PutJSON(tx, bucketMeta, metaTenant, tenant); err != nil {
		return SynthStats{}, err
	}
	// The synthetic tenant's Temporary Access Pass policy allows passes of
	// up to a week (the bounds are 10 to 43200 minutes,
	// api-reference/v1.0/resources/temporaryaccesspassauthenticationmethodconfiguration.md),
	// so every seeded pass (outstanding ones last 3 to 7 days) lies within
	// the policy, as Entra would have required when it was issued.
	if err := updatePolicy(tx, func(p *methodsPolicy) {
		c, _ := p.config(configTAP)
		c.MaximumLifetimeInMinutes = synthTAPMaxLifetime
		p.LastModified = day
	}); err != nil {
		return SynthStats{}, err
	}
	tokens, assigned := g.tokens()
	var stats SynthStats
	for i := 0; i < o.Users; i++ {
		var u *synthUser
		if i < len(principalLocals) {
			u = g.principal(i, principalLocals[i])
		} else {
			u = g.user(i)
		}
		if a, ok := assigned[i]; ok {
			m := u.add(a.method)
			m.TokenID = a.tokenID
			if a.preferOath {
				u.rec.PreferredMethod = string(methods.DefaultOath)
			}
		}
		if err := putUser(tx, &u.rec); err != nil {
			return SynthStats{}, err
		}
		mfa := false
		for j := range u.methods {
			if err := putMethod(tx, &u.methods[j]); err != nil {
				return SynthStats{}, err
			}
			mfa = mfa || u.methods[j].IsMFA()
		}
		stats.count(u, mfa)
	}
	for i := range tokens {
		if err := putToken(tx, &tokens[i]); err != nil {
			return SynthStats{}, err
		}
	}
	stats.HardwareTokens = len(tokens)
	return stats, nil
}

// sorterTx is the transaction a synthetic tenant is written through: its
// writes go to a sorter, and it reads as the empty state the tenant
// replaces.
type sorterTx struct{ src *extsort.Sorter }

func (t sorterTx) Get(string, string) ([]byte, bool) { return nil, false }
func (t sorterTx) Put(bucket, key string, value []byte) error {
	return t.src.Put(store.SortKey(bucket, key), bytes.Clone(value))
}
func (t sorterTx) Delete(string, string) error { return nil }
func (t sorterTx) Scan(string, string, string, func(string, []byte) bool) error {
	return nil
}
func (t sorterTx) ScanReverse(string, string, string, func(string, []byte) bool) error {
	return nil
}
func (t sorterTx) Count(string) int        { return 0 }
func (t sorterTx) DropBucket(string) error { return nil }
func (t sorterTx) Buckets() []string       { return nil }

func (s *SynthStats) count(u *synthUser, mfa bool) {
	s.Users++
	s.Methods += len(u.methods)
	if u.rec.UserType == "Guest" {
		s.Guests++
	} else {
		s.Members++
	}
	if !u.rec.AccountEnabled {
		s.Disabled++
	}
	if u.rec.isAdmin() {
		s.Admins++
	}
	if !mfa {
		s.WithoutMFA++
	}
}

type synthesizer struct {
	opts SynthOptions
	day  time.Time
	upns map[string]int
}

func (g *synthesizer) methodID(i, j int) string {
	return stableID("synthetic-method", fmt.Sprintf("%d/%d/%d", g.opts.Seed, i, j))
}

// principal copies a token principal from the demo tenant: same id, UPN,
// roles and methods, so the static tokens sign in as a user that exists.
func (g *synthesizer) principal(i int, local string) *synthUser {
	idx := slices.IndexFunc(demoUsers, func(d demoUser) bool { return d.local == local })
	if idx < 0 {
		panic("mock: demo principal " + local + " missing from demoUsers")
	}
	du := demoUsers[idx]
	upn := du.local + "@" + DemoDomain
	g.upns[du.local] = 1
	created := g.day.AddDate(-2, 0, i)
	u := &synthUser{country: &countries[0], rec: userRecord{
		ID: stableID("demo-user", upn), UPN: upn, DisplayName: du.name, JobTitle: du.job, Mail: upn,
		UserType: "Member", AccountEnabled: true, Created: created, SessionsValidFrom: created,
		Roles: du.roles, PreferredMethod: du.preferred, SystemPreferredEnabled: true, PerUserMFAState: "disabled",
	}}
	u.rec.GivenName, u.rec.Surname, _ = cutName(du.name)
	u.addPassword()
	for j, m := range du.methods {
		rec := methodRecord{Method: m, UserID: u.rec.ID}
		if rec.ID == "" {
			rec.ID = stableID("demo-method", fmt.Sprintf("%s/%d", upn, j))
		}
		when := created.AddDate(0, 1, j)
		switch m.Kind {
		case methods.KindFido2, methods.KindAuthenticator, methods.KindWindowsHello, methods.KindPlatformCredential:
			rec.Created = &when
		case methods.KindSoftwareOath:
			rec.OathSecret = du.oathSecret
		}
		u.methods = append(u.methods, rec)
	}
	return u
}

func (u *synthUser) addPassword() {
	created := u.rec.Created
	u.methods = append(u.methods, methodRecord{Method: methods.Method{ID: methods.PasswordMethodID, Kind: methods.KindPassword, Created: &created}, UserID: u.rec.ID})
}

func (u *synthUser) add(m methods.Method) *methodRecord {
	u.methods = append(u.methods, methodRecord{Method: m, UserID: u.rec.ID})
	return &u.methods[len(u.methods)-1]
}

func (u *synthUser) has(k methods.Kind) bool {
	return slices.ContainsFunc(u.methods, func(m methodRecord) bool { return m.Kind == k })
}

func (u *synthUser) hasPhone(t methods.PhoneType) bool {
	return slices.ContainsFunc(u.methods, func(m methodRecord) bool { return m.Kind == methods.KindPhone && m.PhoneType == t })
}

// uniqueLocal makes first.last unique the way directories do: a number is
// appended from the second holder of a name on.
func (g *synthesizer) uniqueLocal(base string) string {
	n := g.upns[base]
	g.upns[base] = n + 1
	if n == 0 {
		return base
	}
	return base + strconv.Itoa(n+1)
}

// head draws the start of the i-th synthetic user's random stream: its
// country, names and whether it is a guest. The token plan reads it
// without generating the whole user.
func (g *synthesizer) head(i int) (r *rng, c *country, first, last string, guest bool) {
	r = newRNG(g.opts.Seed, uint64(i))
	c = &countries[r.weighted(countryWeights)]
	first, last = pick(r, firstNames), strings.ReplaceAll(pick(r, lastNames), "_", " ")
	return r, c, first, last, r.percent(5)
}

// syntheticUserID is the id of the i-th synthetic user.
func (g *synthesizer) syntheticUserID(i int) string {
	return stableID("synthetic-user", fmt.Sprintf("%d/%d", g.opts.Seed, i))
}

// user generates the i-th synthetic user from its own random stream.
func (g *synthesizer) user(i int) *synthUser {
	r, c, first, last, guest := g.head(i)
	base := strings.ToLower(first + "." + strings.ReplaceAll(last, " ", ""))
	created := g.day.Add(-time.Duration(1+r.intn(5*365*24)) * time.Hour)
	u := &synthUser{country: c, rec: userRecord{
		ID: g.syntheticUserID(i), DisplayName: first + " " + last,
		GivenName: first, Surname: last, JobTitle: pick(r, jobTitles), OfficeLocation: c.city,
		UserType: "Member", AccountEnabled: !r.percent(4), Created: created, SessionsValidFrom: created,
		SystemPreferredEnabled: r.percent(90), PerUserMFAState: mfaStates[r.weighted(mfaStateOdds)],
	}}
	if guest {
		local := g.uniqueLocal(base + "_" + c.home)
		u.rec.UserType = "Guest"
		u.rec.UPN = local + "#EXT#@" + DemoDomain
		u.rec.Mail = base + "@" + c.home
		u.rec.DisplayName += " (" + strings.TrimSuffix(c.home, ".example") + ")"
		u.rec.JobTitle, u.rec.OfficeLocation = "", ""
	} else {
		u.rec.UPN = g.uniqueLocal(base) + "@" + DemoDomain
		u.rec.Mail = u.rec.UPN
	}
	u.addPassword()
	at := func() *time.Time {
		t := created.Add(time.Duration(r.intn(int(g.day.Sub(created)/time.Hour)+1)) * time.Hour)
		return &t
	}
	mobile := func() {
		m := u.add(methods.Method{ID: methods.MobilePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneMobile,
			PhoneNumber: c.mobile(r, g.opts.Seed, i), SMSSignInState: "notAllowedByPolicy"})
		if r.percent(4) {
			m.SMSSignInState = "ready"
		}
		if r.percent(50) {
			u.rec.MobilePhone = m.PhoneNumber
		}
	}
	app := func() {
		u.add(methods.Method{ID: g.methodID(i, len(u.methods)), Kind: methods.KindAuthenticator, DisplayName: pick(r, phonesModels),
			DeviceTag: "SoftwareTokenActivated", PhoneAppVersion: pick(r, appVersions), Created: at()})
	}
	oath := func() {
		m := u.add(methods.Method{ID: g.methodID(i, len(u.methods)), Kind: methods.KindSoftwareOath})
		m.OathSecret = SyntheticTokenSecret(g.opts.Seed, "software/"+strconv.Itoa(i))
	}
	fido2 := func() {
		k := pick(r, fido2Keys)
		u.add(methods.Method{ID: g.methodID(i, len(u.methods)), Kind: methods.KindFido2, DisplayName: k.model, Model: k.model,
			AAGUID: k.aaguid, AttestationLevel: "attested", Created: at()})
	}
	whfb := func() {
		u.add(methods.Method{ID: g.methodID(i, len(u.methods)), Kind: methods.KindWindowsHello,
			DisplayName: fmt.Sprintf("%s-%s-%d", strings.ToUpper(first[:1]+last[:1]), pick(r, []string{"SURFACE", "LAPTOP", "DESKTOP"}), 100+r.intn(900)),
			KeyStrength: "normal", Created: at()})
	}
	email := func() {
		if !u.has(methods.KindEmail) {
			u.add(methods.Method{ID: methods.EmailMethodID, Kind: methods.KindEmail, EmailAddress: base + "@" + c.emailDomain})
		}
	}
	tap := func(outstanding bool) {
		start := g.day.Add(-time.Duration(r.intn(24)) * time.Hour)
		lifetime := (3 + r.intn(5)) * 24 * 60 // within synthTAPMaxLifetime
		if !outstanding {
			start = g.day.AddDate(0, 0, -(10 + r.intn(50)))
			lifetime = 60 * (1 + r.intn(24))
		}
		once := r.percent(70)
		m := u.add(methods.Method{ID: g.methodID(i, len(u.methods)), Kind: methods.KindTemporaryAccess, Created: &start,
			StartDateTime: &start, LifetimeInMinutes: lifetime, IsUsableOnce: &once})
		// Like the demo pass, only a hash of a pass nobody saw is kept.
		m.PassHash = hashPass(m.ID[:8], "synthetic-pass-not-shown")
	}
	preferApp := func() string {
		if r.percent(80) {
			return string(methods.DefaultPush)
		}
		return string(methods.DefaultOath)
	}

	switch {
	case guest:
		switch r.weighted(guestProfiles) {
		case 1:
			app()
			u.rec.PreferredMethod = string(methods.DefaultPush)
		case 2:
			mobile()
			u.rec.PreferredMethod = string(methods.DefaultSMS)
		case 3:
			app()
			mobile()
			u.rec.PreferredMethod = preferApp()
		}
	case r.percent(3):
		u.rec.Roles = []string{pick(r, adminRoles)}
		if r.percent(30) {
			u.rec.Roles = append(u.rec.Roles, pick(r, adminRoles))
			slices.Sort(u.rec.Roles)
			u.rec.Roles = slices.Compact(u.rec.Roles)
		}
		switch {
		case r.percent(55):
			if r.percent(70) {
				fido2()
			} else {
				whfb()
			}
			app()
			u.rec.PreferredMethod = preferApp()
		case r.percent(55):
			app()
			mobile()
			u.rec.PreferredMethod = preferApp()
		case r.percent(50):
			mobile()
			u.rec.PreferredMethod = string(methods.DefaultSMS)
		}
	default:
		switch r.weighted(memberProfileOdds) {
		case profSMS:
			mobile()
			u.rec.PreferredMethod = string(methods.DefaultSMS)
		case profVoice:
			mobile()
			if r.percent(50) {
				u.add(methods.Method{ID: methods.AlternateMobilePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneAlternateMobile, PhoneNumber: c.alternate(r, g.opts.Seed, i), SMSSignInState: "notSupported"})
				u.rec.PreferredMethod = string(methods.DefaultVoiceMobile)
			} else {
				u.add(methods.Method{ID: methods.OfficePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneOffice, PhoneNumber: c.office(r), SMSSignInState: "notSupported"})
				u.rec.PreferredMethod = string(methods.DefaultVoiceOffice)
			}
		case profAppPhone:
			app()
			mobile()
			u.rec.PreferredMethod = preferApp()
		case profApp:
			app()
			u.rec.PreferredMethod = preferApp()
		case profOath:
			oath()
			u.rec.PreferredMethod = string(methods.DefaultOath)
			if r.percent(40) {
				app()
			}
		case profFido2:
			fido2()
			app()
			u.rec.PreferredMethod = preferApp()
		case profWHfB:
			whfb()
			if r.percent(60) {
				app()
				u.rec.PreferredMethod = preferApp()
			} else {
				mobile()
				u.rec.PreferredMethod = string(methods.DefaultSMS)
			}
		case profPlatform:
			u.add(methods.Method{ID: g.methodID(i, len(u.methods)), Kind: methods.KindPlatformCredential,
				DisplayName: first + "'s MacBook", KeyStrength: "normal", Platform: "macOS", Created: at()})
			app()
			u.rec.PreferredMethod = preferApp()
		case profSeveral:
			app()
			oath()
			mobile()
			if r.percent(50) {
				u.add(methods.Method{ID: methods.OfficePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneOffice, PhoneNumber: c.office(r), SMSSignInState: "notSupported"})
			}
			email()
			u.rec.PreferredMethod = pick(r, []string{string(methods.DefaultOath), string(methods.DefaultSMS), string(methods.DefaultPush)})
		case profTAP:
			tap(true)
			if r.percent(50) {
				email()
			}
		case profEmail:
			email()
		}
	}
	if !guest && len(u.methods) > 1 && r.percent(20) {
		email()
	}
	if !u.has(methods.KindTemporaryAccess) && r.percent(1.5) {
		tap(false)
	}
	return u
}

// tokenAssignment is the hardware OATH method a token plan gives a member.
type tokenAssignment struct {
	method  methods.Method
	tokenID string
	// preferOath makes the token the member's default method.
	preferOath bool
}

// tokens builds the hardware OATH inventory and binds assigned, activated
// and failed tokens to distinct members: it returns the tokens and, by user
// index, the hardware method each bound member gets. It needs only the
// users' heads (who is a guest, their names), not the users.
func (g *synthesizer) tokens() ([]tokenRecord, map[int]tokenAssignment) {
	users := g.opts.Users
	n := max(len(principalLocals), users*3/100)
	r := newRNG(g.opts.Seed, 1<<62)
	statuses := []methods.HardwareTokenStatus{methods.TokenAvailable, methods.TokenAssigned, methods.TokenActivated, methods.TokenFailedActivation}
	odds := []int{40, 15, 40, 5}
	// Candidates: members other than the token principals, visited in a
	// seed-dependent order so assignments spread over the tenant.
	candidates := make([]int32, 0, users)
	for i := len(principalLocals); i < users; i++ {
		if _, _, _, _, guest := g.head(i); !guest {
			candidates = append(candidates, int32(i))
		}
	}
	for k := len(candidates) - 1; k > 0; k-- {
		j := r.intn(k + 1)
		candidates[k], candidates[j] = candidates[j], candidates[k]
	}
	out := make([]tokenRecord, 0, n)
	assigned := make(map[int]tokenAssignment, n)
	for k := 0; k < n; k++ {
		v := pick(r, tokenVendors)
		serial := fmt.Sprintf("%s%08d", v.prefix, 10_000_000+k)
		status := statuses[r.weighted(odds)]
		if k < len(statuses) {
			status = statuses[k] // every status at least once
		}
		t := tokenRecord{HardwareToken: methods.HardwareToken{
			ID: stableID("synthetic-token", fmt.Sprintf("%d/%s", g.opts.Seed, serial)), SerialNumber: serial,
			Manufacturer: v.manufacturer, Model: v.model, TimeIntervalInSeconds: v.interval, HashFunction: v.hash, Status: status,
		}, Secret: SyntheticTokenSecret(g.opts.Seed, serial)}
		if status != methods.TokenAvailable {
			if len(candidates) == 0 {
				t.Status = methods.TokenAvailable
			} else {
				i := int(candidates[0])
				candidates = candidates[1:]
				_, _, first, last, _ := g.head(i)
				t.AssignedTo = &methods.Identity{ID: g.syntheticUserID(i), DisplayName: first + " " + last}
				when := g.day.AddDate(0, 0, -(1 + r.intn(300)))
				if status == methods.TokenActivated {
					used := g.day.Add(-time.Duration(r.intn(14*24)) * time.Hour)
					t.LastUsed = &used
				}
				a := tokenAssignment{tokenID: t.ID, method: methods.Method{ID: stableID("synthetic-hw-method", fmt.Sprintf("%d/%s", g.opts.Seed, serial)),
					Kind: methods.KindHardwareOath, DisplayName: v.manufacturer + " " + serial, Created: &when}}
				a.preferOath = status == methods.TokenActivated && r.percent(50)
				assigned[i] = a
			}
		}
		out = append(out, t)
	}
	return out, assigned
}
