package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonRun runs a command that must succeed and decodes its JSON.
func (e *env) jsonRun(v any, args ...string) {
	e.t.Helper()
	r := e.run(nil, append(args, "-o", "json")...)
	if r.code != 0 {
		e.t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		e.t.Fatalf("%v: %v\n%s", args, err, r.stdout)
	}
}

type methodsOut []struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func (m methodsOut) has(kind string) bool {
	for _, x := range m {
		if x.Type == kind {
			return true
		}
	}
	return false
}

// A mistyped lost device stops the reset before any change, whatever else
// was asked, and lists the user's devices.
func TestResetWithAMistypedDeviceChangesNothing(t *testing.T) {
	e := newEnv(t)
	const adele = "adele.vance@contoso.example"
	r := e.run(nil, "--mock", "reset", adele, "--lost-device", "iphone15", "--revoke-sessions", "--tap", "--yes")
	if r.code != 3 || !strings.Contains(r.stderr, `no method is bound to a device named "iphone15"`) ||
		!strings.Contains(r.stderr, `did you mean "iPhone 15"?`) || !strings.Contains(r.stderr, `the user's devices are "iPhone 15" (Microsoft Authenticator)`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "Temporary Access Pass for") {
		t.Errorf("a pass was issued: %s %s", r.stdout, r.stderr)
	}
	var ms methodsOut
	e.jsonRun(&ms, "--mock", "methods", "list", adele)
	if !ms.has("microsoftAuthenticator") || ms.has("temporaryAccessPass") {
		t.Errorf("methods after a refused reset: %+v", ms)
	}
	var records []struct {
		Verb    string `json:"verb"`
		Outcome string `json:"outcome"`
	}
	e.jsonRun(&records, "--mock", "audit", "log")
	for _, rec := range records {
		if rec.Outcome == "succeeded" {
			t.Errorf("audited as succeeded: %+v", rec)
		}
	}
}

// A reset never leaves a default that no usable method delivers: Nestor's
// default (oath) moves to sms, not to a token whose activation failed, and
// verify with the default then works.
func TestResetMovesTheDefaultToAUsableMethod(t *testing.T) {
	e := newEnv(t)
	const nestor = "nestor.wilke@contoso.example"
	var rep struct {
		DefaultAfter string `json:"defaultAfter"`
	}
	e.jsonRun(&rep, "--mock", "reset", nestor, "--lost-device", "iPhone 15 Pro", "--tap", "--yes")
	if rep.DefaultAfter != "sms" {
		t.Fatalf("default after the reset: %q", rep.DefaultAfter)
	}
	var d struct {
		Default string `json:"defaultMethod"`
	}
	e.jsonRun(&d, "--mock", "default", "show", nestor)
	if d.Default != "sms" {
		t.Errorf("tenant default %q", d.Default)
	}
	if r := e.run(nil, "--mock", "verify", nestor, "--send"); r.code != 0 {
		t.Errorf("verify with the default: exit %d %s", r.code, r.stderr)
	}
}

// coverageFacts are the facts `user show` and `report coverage` must agree on.
type coverageFacts struct {
	UserPrincipalName string   `json:"userPrincipalName"`
	IsAdmin           bool     `json:"isAdmin"`
	Methods           []string `json:"methods"`
	MethodCount       int      `json:"methodCount"`
	MFAMethodCount    int      `json:"mfaMethodCount"`
	DefaultMethod     string   `json:"defaultMethod"`
	StrongestClass    string   `json:"strongestClass"`
	SMSVoiceOnly      bool     `json:"smsVoiceOnly"`
	Findings          []string `json:"findings"`
}

// One model of a usable method, a default and an admin: on every user of
// the demo tenant, `user show` and the coverage report (from either
// source) say the same.
func TestUserShowAgreesWithTheCoverageReport(t *testing.T) {
	e := newEnv(t)
	for _, source := range []string{"registration", "methods"} {
		var rep struct {
			Users []coverageFacts `json:"users"`
		}
		e.jsonRun(&rep, "--mock", "report", "coverage", "--source", source)
		if len(rep.Users) < 10 {
			t.Fatalf("%s: %d users", source, len(rep.Users))
		}
		admins := 0
		for _, want := range rep.Users {
			var v struct {
				Coverage       coverageFacts `json:"coverage"`
				MFAMethodCount int           `json:"mfaMethodCount"`
			}
			e.jsonRun(&v, "--mock", "user", "show", want.UserPrincipalName)
			got := v.Coverage
			if !sameFacts(got, want) || v.MFAMethodCount != want.MFAMethodCount {
				t.Errorf("%s (%s source):\n user show %+v\n coverage  %+v", want.UserPrincipalName, source, got, want)
			}
			if want.IsAdmin {
				admins++
			}
		}
		if admins == 0 {
			t.Errorf("%s: no admin in the demo tenant: the comparison of isAdmin proves nothing", source)
		}
	}
}

func sameFacts(a, b coverageFacts) bool {
	return a.UserPrincipalName == b.UserPrincipalName && a.IsAdmin == b.IsAdmin && strings.Join(a.Methods, ",") == strings.Join(b.Methods, ",") &&
		a.MethodCount == b.MethodCount && a.MFAMethodCount == b.MFAMethodCount && a.DefaultMethod == b.DefaultMethod &&
		a.StrongestClass == b.StrongestClass && a.SMSVoiceOnly == b.SMSVoiceOnly && strings.Join(a.Findings, ",") == strings.Join(b.Findings, ",")
}
