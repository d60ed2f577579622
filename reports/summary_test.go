package reports

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// flatten turns a JSON document into dotted paths of its numbers, the way a
// browser test addresses them (users.total, classes.phishingResistant.count).
func flatten(t *testing.T, v any) map[string]float64 {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
		case float64:
			out[prefix] = x
		}
	}
	walk("", doc)
	return out
}

// groundTruth counts, straight from the per-user method lists and without
// Compute, what a summary must say.
func groundTruth(users []UserInput, tokens []methods.HardwareToken) map[string]float64 {
	strength := map[string]int{
		"mobilePhone": 1, "alternateMobilePhone": 1, "officePhone": 1,
		"softwareOath": 2, "hardwareOath": 2, "microsoftAuthenticator": 3,
		"fido2": 4, "windowsHelloForBusiness": 4, "platformCredential": 4,
	}
	classNames := []string{"none", "phone", "otp", "authenticatorApp", "phishingResistant"}
	t := map[string]float64{}
	inc := func(k string) { t[k]++ }
	for _, c := range classNames {
		t["classes."+c+".count"] = 0
	}
	for _, f := range FindingIDs[:userFindingCount] {
		t["findings."+string(f)+".count"] = 0
	}
	admins, disabled := 0, 0
	for _, u := range users {
		names := map[string]bool{}
		for _, m := range u.Methods {
			switch m.Kind {
			case methods.KindPassword:
			case methods.KindPhone:
				names[map[methods.PhoneType]string{"mobile": "mobilePhone", "alternateMobile": "alternateMobilePhone", "office": "officePhone"}[m.PhoneType]] = true
			default:
				names[string(m.Kind)] = true
			}
		}
		mfa, phones, best := 0, 0, 0
		for n := range names {
			inc("methods." + n + ".count")
			if s := strength[n]; s > 0 {
				mfa++
				best = max(best, s)
				if s == 1 {
					phones++
				}
			}
		}
		enabled := u.User.AccountEnabled == nil || *u.User.AccountEnabled
		inc("users.total")
		if enabled {
			inc("users.enabled.count")
		} else {
			disabled++
			inc("users.disabled.count")
		}
		if u.User.UserType == "Guest" {
			inc("users.guests.count")
		} else {
			inc("users.members.count")
		}
		if u.IsAdmin {
			admins++
			inc("users.admins.count")
		}
		inc("classes." + classNames[best] + ".count")
		if mfa > 0 {
			inc("users.mfaCapable.count")
		}
		if mfa >= 2 {
			inc("users.hasBackup.count")
		}
		if mfa > 0 && phones == mfa {
			inc("users.smsVoiceOnly.count")
			inc("findings.smsVoiceOnly.count")
		}
		if best == 4 {
			inc("users.phishingResistant.count")
		}
		switch mfa {
		case 0:
			inc("findings.noMfaMethod.count")
		case 1:
			inc("findings.singleMfaMethod.count")
		}
		if u.IsAdmin && best < 4 {
			inc("findings.adminWithoutPhishingResistant.count")
		}
		if !enabled && len(names) > 0 {
			inc("findings.disabledWithMethods.count")
		}
		if names["temporaryAccessPass"] {
			inc("findings.temporaryAccessPass.count")
		}
	}
	t["findings.adminWithoutPhishingResistant.of"] = float64(admins)
	t["findings.disabledWithMethods.of"] = float64(disabled)
	t["findings.noMfaMethod.of"] = float64(len(users))
	if tokens != nil {
		t["tokens.total"] = float64(len(tokens))
		t["findings.tokenUnassigned.count"] = 0
		t["findings.tokenNotActivated.count"] = 0
		for _, tok := range tokens {
			switch tok.Status {
			case "":
				inc("tokens.byStatus.unknown.count")
				if tok.AssignedTo == nil {
					inc("findings.tokenUnassigned.count")
				}
			case methods.TokenAvailable:
				inc("tokens.byStatus.available.count")
				inc("findings.tokenUnassigned.count")
			case methods.TokenAssigned, methods.TokenFailedActivation:
				inc("tokens.byStatus." + string(tok.Status) + ".count")
				inc("findings.tokenNotActivated.count")
			default:
				inc("tokens.byStatus." + string(tok.Status) + ".count")
			}
		}
	}
	return t
}

func collect[T any](seq func(func(T, error) bool)) []T {
	var out []T
	for v, err := range seq {
		if err != nil {
			panic(err)
		}
		out = append(out, v)
	}
	return out
}

func TestAccumulatorMatchesGroundTruth(t *testing.T) {
	users := collect(population(42, 5000))
	tokens := collect(genTokens(42, 700))
	truth := groundTruth(users, tokens)

	// Each source, and the planner's "auto" mix, must give the same numbers.
	plans := map[string]func(UserInput) UserInput{
		"methods":      func(in UserInput) UserInput { return in },
		"registration": viaRegistration,
		"auto": func(in UserInput) UserInput {
			if *in.User.AccountEnabled {
				return viaRegistration(in)
			}
			return in
		},
	}
	var summaries []Summary
	for _, name := range slices.Sorted(maps.Keys(plans)) {
		t.Run(name, func(t *testing.T) {
			acc := NewAccumulator(SummaryOptions{SampleLimit: 5})
			for _, u := range users {
				in := plans[name](u)
				acc.Add(Compute(in), in.Source)
			}
			for _, tok := range tokens {
				acc.AddToken(tok)
			}
			s := acc.Summary()
			got := flatten(t, s)
			for k, want := range truth {
				if got[k] != want {
					t.Errorf("%s = %v, ground truth %v", k, got[k], want)
				}
			}
			// No count the ground truth does not know about may be non-zero.
			for k, v := range got {
				if strings.HasSuffix(k, ".count") && v != 0 && !strings.HasPrefix(k, "tokens.models") &&
					!strings.HasPrefix(k, "tokens.byManufacturer") && !strings.HasPrefix(k, "sources") {
					if _, ok := truth[k]; !ok {
						t.Errorf("%s = %v not in ground truth", k, v)
					}
				}
			}
			if got["users.mfaCapable.percent"] != Percent(int(truth["users.mfaCapable.count"]), len(users)) {
				t.Errorf("mfaCapable percent %v", got["users.mfaCapable.percent"])
			}
			summaries = append(summaries, s)
		})
	}
	// The summaries differ only in their sources.
	for i := range summaries {
		summaries[i].Sources = nil
	}
	for i := 1; i < len(summaries); i++ {
		if !reflect.DeepEqual(summaries[0], summaries[i]) {
			t.Errorf("summary %d differs from summary 0 beyond its sources", i)
		}
	}
}

func TestRowsIdenticalAcrossSourcesOnPopulation(t *testing.T) {
	for in, err := range population(7, 3000) {
		if err != nil {
			t.Fatal(err)
		}
		a, b := Compute(in), Compute(viaRegistration(in))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("user %s: methods row %+v\nregistration row %+v", in.User.UserPrincipalName, a, b)
		}
	}
}

func TestAccumulatorSourcesAndSamples(t *testing.T) {
	acc := NewAccumulator(SummaryOptions{
		SampleLimit:  2,
		Filter:       Filter{Enabled: true},
		GeneratedAt:  time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC),
		SourceScopes: map[string]string{SourceRegistration: "enabled users", SourceMethods: "disabled users"},
	})
	for i := range 5 {
		src := SourceRegistration
		if i == 4 {
			src = SourceMethods
		}
		acc.Add(Compute(UserInput{User: methods.User{ID: fmt.Sprint(i), UserPrincipalName: fmt.Sprintf("u%d@x", i)}}), src)
	}
	acc.TrackTokens("")
	s := acc.Summary()
	wantSources := []SourceUse{
		{Part: PartUsers, Source: SourceRegistration, Count: 4, Scope: "enabled users"},
		{Part: PartUsers, Source: SourceMethods, Count: 1, Scope: "disabled users"},
		{Part: PartTokens, Source: SourceTokens, Count: 0},
	}
	if !reflect.DeepEqual(s.Sources, wantSources) {
		t.Errorf("sources = %+v", s.Sources)
	}
	f, ok := s.Findings.Get(FindingNoMFA)
	if !ok || f.Count != 5 || f.Of != 5 || f.Percent != 100 || f.Omitted != 3 ||
		!reflect.DeepEqual(f.Subjects, []Subject{{"0", "u0@x"}, {"1", "u1@x"}}) {
		t.Errorf("noMfa finding = %+v", f)
	}
	if s.Filter != "enabled" || s.Tokens == nil || s.Tokens.Total != 0 {
		t.Errorf("filter %q tokens %+v", s.Filter, s.Tokens)
	}
	if _, ok := s.Findings.Get(FindingTokenUnassigned); !ok {
		t.Error("token findings missing although tokens are tracked")
	}

	none := NewAccumulator(SummaryOptions{SampleLimit: -1})
	none.Add(Compute(UserInput{}), "")
	s = none.Summary()
	if f, _ := s.Findings.Get(FindingNoMFA); f.Count != 1 || len(f.Subjects) != 0 || f.Omitted != 1 {
		t.Errorf("sample limit -1: %+v", f)
	}
	if len(s.Sources) != 0 || s.Tokens != nil {
		t.Errorf("no source and no tokens expected: %+v %+v", s.Sources, s.Tokens)
	}
	if _, ok := s.Findings.Get(FindingTokenNotActivated); ok {
		t.Error("token findings present without a token inventory")
	}
}

func TestSummaryJSONRoundTrip(t *testing.T) {
	acc := NewAccumulator(SummaryOptions{GeneratedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	for in, err := range population(3, 300) {
		if err != nil {
			t.Fatal(err)
		}
		acc.Add(Compute(in), in.Source)
	}
	for tok, err := range genTokens(3, 40) {
		if err != nil {
			t.Fatal(err)
		}
		acc.AddToken(tok)
	}
	s := acc.Summary()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, back) {
		t.Errorf("summary changed through JSON:\n%+v\n%+v", s, back)
	}
	// Keys keep report order in the JSON text.
	text := string(b)
	var last int
	for _, c := range methods.Classes {
		i := strings.Index(text, `"`+string(c)+`":{"count"`)
		if i < last {
			t.Errorf("class %s out of order in %s", c, text)
		}
		last = i
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		part, whole int
		want        float64
	}{{0, 0, 0}, {1, 3, 33.3}, {2, 3, 66.7}, {1, 1, 100}, {1, 8, 12.5}, {1, 2000, 0.1}, {1, 20001, 0}} {
		if got := Percent(tt.part, tt.whole); got != tt.want {
			t.Errorf("Percent(%d, %d) = %v, want %v", tt.part, tt.whole, got, tt.want)
		}
	}
}

func TestTokenSummary(t *testing.T) {
	tokens := []methods.HardwareToken{
		{ID: "1", SerialNumber: "A1", Manufacturer: "Contoso", Model: "T1000", Status: methods.TokenAvailable},
		{ID: "2", SerialNumber: "A2", Manufacturer: "Contoso", Model: "T1000", Status: methods.TokenAssigned, AssignedTo: &methods.Identity{ID: "u"}},
		{ID: "3", SerialNumber: "A3", Manufacturer: "Contoso", Model: "T2000", Status: methods.TokenActivated, AssignedTo: &methods.Identity{ID: "u"}},
		{ID: "4", SerialNumber: "B1", Manufacturer: "Fabrikam", Model: "OTP", Status: methods.TokenFailedActivation, AssignedTo: &methods.Identity{ID: "v"}},
		{ID: "5", SerialNumber: "B2", Manufacturer: "Fabrikam", Model: "OTP", Status: "retired"},
	}
	seq := func(yield func(methods.HardwareToken, error) bool) {
		for _, tok := range tokens {
			if !yield(tok, nil) {
				return
			}
		}
	}
	s, err := SummarizeTokens(t.Context(), seq, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := flatten(t, s)
	want := map[string]float64{
		"total": 5, "byStatus.available.count": 1, "byStatus.assigned.count": 1, "byStatus.activated.count": 1,
		"byStatus.failedActivation.count": 1, "byStatus.unknown.count": 1, "byStatus.unknown.percent": 20,
		"byManufacturer.Contoso.count": 3, "byManufacturer.Fabrikam.count": 2,
		"findings.tokenUnassigned.count": 2, "findings.tokenUnassigned.omitted": 1,
		"findings.tokenNotActivated.count": 2, "findings.tokenNotActivated.of": 5,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(s.Models) != 3 || s.Models[0].Model != "T1000" || s.Models[0].Total != 2 || s.Models[2].Manufacturer != "Fabrikam" {
		t.Errorf("models = %+v", s.Models)
	}
	if f, _ := s.Findings.Get(FindingTokenNotActivated); !reflect.DeepEqual(f.Subjects, []Subject{{"2", "A2"}}) {
		t.Errorf("not activated subjects = %+v", f.Subjects)
	}

	failing := func(yield func(methods.HardwareToken, error) bool) {
		if yield(tokens[0], nil) {
			yield(methods.HardwareToken{}, fmt.Errorf("page 2: throttled"))
		}
	}
	if _, err := SummarizeTokens(t.Context(), failing, 1); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("iterator error not returned: %v", err)
	}
}

// TestSampleIsOrderIndependent: a finding lists the first subjects in name
// order whatever order the rows arrive in (two fronts deliver them in the
// order they meet them).
func TestSampleIsOrderIndependent(t *testing.T) {
	names := []string{"kim", "adele", "zoe", "bo", "adele", "mia", "cy"}
	want := []Subject{{ID: "1", Name: "adele"}, {ID: "4", Name: "adele"}, {ID: "3", Name: "bo"}}
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1, 0}, {2, 4, 0, 6, 1, 3, 5}} {
		var s sample
		for _, i := range order {
			s.add(3, Subject{ID: fmt.Sprint(i), Name: names[i]})
		}
		if s.count != len(names) || !slices.Equal(s.subjects, want) {
			t.Errorf("order %v: count %d, subjects %v, want %v", order, s.count, s.subjects, want)
		}
	}
	var none sample
	none.add(0, Subject{ID: "1", Name: "a"})
	if none.count != 1 || len(none.subjects) != 0 {
		t.Errorf("limit 0: %+v", none)
	}
}

func TestFindingOfTextIsSingularForOne(t *testing.T) {
	for _, c := range []struct {
		f    Finding
		want string
	}{
		{Finding{Of: 1, Unit: "users"}, "1 user"},
		{Finding{Of: 1, Unit: "tokens"}, "1 token"},
		{Finding{Of: 0, Unit: "users"}, "0 users"},
		{Finding{Of: 12, Unit: "tokens"}, "12 tokens"},
	} {
		if got := c.f.OfText(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}
