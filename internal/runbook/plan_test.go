package runbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
)

var (
	password  = methods.Method{ID: methods.PasswordMethodID, Kind: methods.KindPassword}
	iphone    = methods.Method{ID: "app-iphone", Kind: methods.KindAuthenticator, DisplayName: "iPhone 15", DeviceTag: "SoftwareTokenActivated"}
	pixel     = methods.Method{ID: "app-pixel", Kind: methods.KindAuthenticator, DisplayName: "Pixel 8", DeviceTag: "SoftwareTokenActivated"}
	oath      = methods.Method{ID: "oath-1", Kind: methods.KindSoftwareOath}
	mobile    = methods.Method{ID: methods.MobilePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneMobile, PhoneNumber: "+1 4255550100"}
	alternate = methods.Method{ID: methods.AlternateMobilePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneAlternateMobile, PhoneNumber: "+1 4255550101"}
	office    = methods.Method{ID: methods.OfficePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneOffice, PhoneNumber: "+1 4255550199x2345"}
	email     = methods.Method{ID: methods.EmailMethodID, Kind: methods.KindEmail, EmailAddress: "kim@outlook.example"}
	fido      = methods.Method{ID: "fido-1", Kind: methods.KindFido2, DisplayName: "YubiKey 5 NFC", Model: "YubiKey 5 NFC"}
	whfb      = methods.Method{ID: "whfb-1", Kind: methods.KindWindowsHello, DisplayName: "KIM-LAPTOP"}
	platform  = methods.Method{ID: "plat-1", Kind: methods.KindPlatformCredential, DisplayName: "Kim's MacBook"}
	tap       = methods.Method{ID: "tap-1", Kind: methods.KindTemporaryAccess}
	hardware  = methods.Method{ID: "hw-1", Kind: methods.KindHardwareOath, DisplayName: "Contoso HWT-1001",
		Token: &methods.HardwareToken{ID: "tok-1", SerialNumber: "HWT-1001", Status: methods.TokenActivated}}
	// failedToken is a hardware token whose activation failed: registered,
	// so Graph lets it back "oath", but no usable method.
	failedToken = methods.Method{ID: "hw-2", Kind: methods.KindHardwareOath, DisplayName: "Fabrikam HWT-1005",
		Token: &methods.HardwareToken{ID: "tok-2", SerialNumber: "HWT-1005", Status: methods.TokenFailedActivation}}
)

// steps renders a plan's steps compactly: "default sms", "remove app-iphone".
func steps(p Plan) []string {
	var out []string
	for _, s := range p.Steps {
		switch s.Action {
		case ActionSetDefault:
			out = append(out, "default "+string(s.Default))
		case ActionRemove:
			out = append(out, "remove "+s.Method.ID)
		case ActionRevokeSessions:
			out = append(out, "revoke")
		case ActionIssueTAP:
			out = append(out, "tap")
		}
	}
	return out
}

func ids(ms []methods.Method) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name         string
		before       []methods.Method
		preferred    methods.DefaultMethod
		opts         Options
		steps        []string
		defaultAfter methods.DefaultMethod
		noMFA        bool
		warning      string
	}{
		{"lost phone, Authenticator is the default; oath goes with it", []methods.Method{password, iphone, mobile, oath}, methods.DefaultPush,
			Options{Selection: Selection{LostDevice: "iphone  15"}},
			[]string{"default sms", "remove app-iphone", "remove oath-1"}, methods.DefaultSMS, false, ""},
		{"--keep-oath: oath stays and becomes the default", []methods.Method{password, iphone, mobile, oath}, methods.DefaultPush,
			Options{Selection: Selection{LostDevice: "iPhone 15", KeepOath: true}},
			[]string{"default oath", "remove app-iphone"}, methods.DefaultOath, false, ""},
		{"the other phone's Authenticator takes the default", []methods.Method{password, iphone, pixel, mobile}, methods.DefaultPush,
			Options{Selection: Selection{LostDevice: "iPhone 15"}},
			[]string{"remove app-iphone"}, methods.DefaultPush, false, ""},
		{"lost laptop: Windows Hello only, oath warned about", []methods.Method{password, whfb, platform, oath, mobile}, methods.DefaultSMS,
			Options{Selection: Selection{LostDevice: "kim-laptop"}},
			[]string{"remove whfb-1"}, methods.DefaultSMS, false, "the software OATH token oath-1 stays"},
		{"lost hardware token by serial", []methods.Method{password, hardware, office}, methods.DefaultOath,
			Options{Selection: Selection{LostDevice: "hwt-1001"}, TAP: &TAPSpec{LifetimeMinutes: 60, Once: true}},
			[]string{"default voiceOffice", "remove hw-1", "tap"}, methods.DefaultVoiceOffice, false, ""},
		{"single method: left with none", []methods.Method{password, mobile}, methods.DefaultSMS,
			Options{Selection: Selection{MethodIDs: []string{"mobile"}}},
			[]string{"remove " + methods.MobilePhoneID}, "", true, "the user will have no default"},
		{"--all in an order Graph accepts", []methods.Method{password, iphone, mobile, alternate, office, email, fido, oath, tap}, methods.DefaultVoiceAlternateMobile,
			Options{Selection: Selection{All: true}, RevokeSessions: true, TAP: &TAPSpec{}},
			[]string{"remove " + methods.EmailMethodID, "remove fido-1", "remove tap-1", "remove app-iphone", "remove " + methods.OfficePhoneID, "remove oath-1",
				"default sms", "remove " + methods.AlternateMobilePhoneID, "remove " + methods.MobilePhoneID, "revoke", "tap"}, "", true, "the user will have no default"},
		{"--all with the alternate as the default and only phones", []methods.Method{password, mobile, alternate}, methods.DefaultVoiceAlternateMobile,
			Options{Selection: Selection{All: true}},
			[]string{"default sms", "remove " + methods.AlternateMobilePhoneID, "remove " + methods.MobilePhoneID}, "", true, "the user will have no default"},
		{"removing the mobile waits for the alternate", []methods.Method{password, mobile, alternate, office}, methods.DefaultSMS,
			Options{Selection: Selection{MethodIDs: []string{methods.MobilePhoneID, "alternateMobile"}}},
			[]string{"default voiceOffice", "remove " + methods.AlternateMobilePhoneID, "remove " + methods.MobilePhoneID}, methods.DefaultVoiceOffice, false, ""},
		{"re-run: ids already gone are skipped", []methods.Method{password, mobile}, methods.DefaultSMS,
			Options{Selection: Selection{MethodIDs: []string{"app-iphone"}}, RevokeSessions: true},
			[]string{"revoke"}, methods.DefaultSMS, false, "--method app-iphone: the user has no such method"},
		{"re-run: the device is gone but the pass is still to issue", []methods.Method{password, mobile}, methods.DefaultSMS,
			Options{Selection: Selection{LostDevice: "iPhone 15"}, TAP: &TAPSpec{}},
			[]string{"tap"}, methods.DefaultSMS, false, `no method is bound to a device named "iPhone 15" (already removed?)`},
		{"no default set: nothing to move", []methods.Method{password, iphone, mobile}, "",
			Options{Selection: Selection{LostDevice: "iPhone 15"}},
			[]string{"remove app-iphone"}, "", false, ""},
		{"a stale default is ignored", []methods.Method{password, iphone, mobile}, methods.DefaultVoiceOffice,
			Options{Selection: Selection{LostDevice: "iPhone 15"}},
			[]string{"remove app-iphone"}, "", false, ""},
		{"existing pass replaced", []methods.Method{password, iphone, tap, mobile}, methods.DefaultPush,
			Options{Selection: Selection{LostDevice: "iPhone 15"}, TAP: &TAPSpec{}},
			[]string{"default sms", "remove app-iphone", "tap"}, methods.DefaultSMS, false, "the current Temporary Access Pass (tap-1) is replaced"},
		{"the default never moves to a token whose activation failed", []methods.Method{password, mobile, email, iphone, oath, failedToken}, methods.DefaultOath,
			Options{Selection: Selection{LostDevice: "iPhone 15"}, TAP: &TAPSpec{}},
			[]string{"default sms", "remove app-iphone", "remove oath-1", "tap"}, methods.DefaultSMS, false, ""},
		{"an unusable default is moved even when its method stays", []methods.Method{password, mobile, fido, failedToken}, methods.DefaultOath,
			Options{Selection: Selection{LostDevice: "YubiKey 5 NFC"}},
			[]string{"default sms", "remove fido-1"}, methods.DefaultSMS, false, ""},
		{"no usable method can take the default: the plan says so", []methods.Method{password, iphone, failedToken}, methods.DefaultPush,
			Options{Selection: Selection{LostDevice: "iPhone 15"}, TAP: &TAPSpec{}},
			[]string{"default oath", "remove app-iphone", "tap"}, methods.DefaultOath, true, "the default will be oath, which no usable method delivers (Hardware OATH token \"HWT-1005\" (hw-2): activation failed, not usable)"},
		{"lost security key", []methods.Method{password, fido, iphone}, methods.DefaultPush,
			Options{Selection: Selection{LostDevice: "YubiKey 5 NFC"}},
			[]string{"remove fido-1"}, methods.DefaultPush, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Build(tt.before, tt.preferred, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := steps(p); !slices.Equal(got, tt.steps) {
				t.Fatalf("steps\n got %q\nwant %q", got, tt.steps)
			}
			if p.DefaultAfter != tt.defaultAfter || p.LeftWithoutMFA != tt.noMFA {
				t.Errorf("default after %q, no MFA %v", p.DefaultAfter, p.LeftWithoutMFA)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(p.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q lack %q", p.Warnings, tt.warning)
			}
			if tt.warning == "" && len(p.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", p.Warnings)
			}
			// Every plan is one Graph accepts, and ends where it says.
			checkPlan(t, tt.before, tt.preferred, p)
		})
	}
}

// A lost hardware token is unassigned, and the plan names it for the
// warning that it goes back to the inventory.
func TestBuildNamesReturnedTokens(t *testing.T) {
	p, err := Build([]methods.Method{password, hardware, office}, methods.DefaultOath, Options{Selection: Selection{LostDevice: "hwt-1001"}})
	if err != nil || !slices.Equal(p.ReturnedTokens, []string{"HWT-1001"}) {
		t.Fatalf("%v %q", err, p.ReturnedTokens)
	}
	if p, _ := Build([]methods.Method{password, hardware, office}, methods.DefaultOath, Options{Selection: Selection{MethodIDs: []string{"hw-1"}}}); len(p.ReturnedTokens) != 0 {
		t.Fatalf("removed by id, not lost: %q", p.ReturnedTokens)
	}
}

// checkPlan replays the steps against Entra's rules.
func checkPlan(t *testing.T, before []methods.Method, preferred methods.DefaultMethod, p Plan) {
	t.Helper()
	s := &sim{ms: slices.Clone(before), preferred: preferred}
	if !preferred.SupportedBy(before) {
		s.preferred = ""
	}
	for i, st := range p.Steps {
		switch st.Action {
		case ActionSetDefault:
			if !st.Default.SupportedBy(s.ms) {
				t.Fatalf("step %d sets %s, which no remaining method delivers", i+1, st.Default)
			}
			s.preferred = st.Default
		case ActionRemove:
			if why := s.blocked(*st.Method); why != "" {
				t.Fatalf("step %d: Graph refuses to remove %s: %s", i+1, st.Method.ID, why)
			}
			s.remove(*st.Method)
		}
	}
	if !slices.Equal(ids(s.ms), ids(p.After)) || s.preferred != p.DefaultAfter {
		t.Fatalf("after %v/%s, plan says %v/%s", ids(s.ms), s.preferred, ids(p.After), p.DefaultAfter)
	}
	if slices.ContainsFunc(p.After, func(m methods.Method) bool { return m.Kind == methods.KindPassword }) != slices.ContainsFunc(before, func(m methods.Method) bool { return m.Kind == methods.KindPassword }) {
		t.Fatal("the password was planned away")
	}
}

func TestBuildRefuses(t *testing.T) {
	before := []methods.Method{password, iphone, mobile, hardware}
	tests := []struct {
		opts     Options
		want     string
		hint     string
		notFound bool
	}{
		{Options{}, "exactly one of --lost-device NAME, --method ID and --all", "", false},
		{Options{Selection: Selection{LostDevice: "x", All: true}}, "exactly one of", "", false},
		{Options{Selection: Selection{LostDevice: "Galaxy"}}, `no method is bound to a device named "Galaxy"`, `"iPhone 15" (Microsoft Authenticator), "HWT-1001" (Hardware OATH token)`, true},
		{Options{Selection: Selection{LostDevice: "SoftwareTokenActivated"}}, "no method is bound", "", true},
		// A typo stops the reset whatever else was asked: the devices are
		// listed and nothing is changed.
		{Options{Selection: Selection{LostDevice: "iphone15"}, RevokeSessions: true, TAP: &TAPSpec{}}, `no method is bound to a device named "iphone15"`,
			`did you mean "iPhone 15"? the user's devices are "iPhone 15" (Microsoft Authenticator), "HWT-1001" (Hardware OATH token)`, true},
		{Options{Selection: Selection{LostDevice: "Galaxy"}, RevokeSessions: true}, `no method is bound to a device named "Galaxy"`, `the user's devices are "iPhone 15"`, true},
		{Options{Selection: Selection{MethodIDs: []string{methods.PasswordMethodID}}}, "is the password", "", false},
		{Options{Selection: Selection{MethodIDs: []string{" "}}}, "--method needs a method id", "", false},
		{Options{Selection: Selection{MethodIDs: []string{"mobile"}}}, "Graph keeps the mobile phone while the user has an alternateMobile phone", "", false},
	}
	// The other ways to the change are Advice codes the CLI phrases.
	for sel, want := range map[string]Advice{methods.PasswordMethodID: AdvicePasswordReset, "mobile": AdvicePhoneUpdate} {
		_, err := Build(append(slices.Clone(before), alternate), methods.DefaultPush, Options{Selection: Selection{MethodIDs: []string{sel}}})
		var e *Error
		if !errors.As(err, &e) || e.Advice != want || strings.Contains(e.Hint, "mfactl") {
			t.Errorf("--method %s: %v (%+v), want advice %s", sel, err, e, want)
		}
	}
	for _, tt := range tests {
		_, err := Build(append(slices.Clone(before), alternate), methods.DefaultPush, tt.opts)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tt.want) || !strings.Contains(e.Hint, tt.hint) || e.NotFound != tt.notFound {
			t.Errorf("%+v: %v (%+v)", tt.opts, err, e)
		}
	}
	if _, err := Build([]methods.Method{password}, "", Options{Selection: Selection{LostDevice: "x"}}); err == nil || !strings.Contains(err.(*Error).Hint, "no method bound to a device") {
		t.Errorf("%v", err)
	}
}

// Every selection over every small method mix plans an order Graph
// accepts: exhaustive over subsets of a rich user.
func TestEveryPlanIsAccepted(t *testing.T) {
	pool := []methods.Method{iphone, pixel, mobile, alternate, office, email, fido, oath, hardware, failedToken, tap}
	for mask := 0; mask < 1<<len(pool); mask++ {
		before := []methods.Method{password}
		for i, m := range pool {
			if mask&(1<<i) != 0 {
				before = append(before, m)
			}
		}
		// Entra does not allow an alternate without a mobile.
		if slices.Contains(before, alternate) && !slices.Contains(before, mobile) {
			continue
		}
		for _, d := range append([]methods.DefaultMethod{""}, methods.DefaultMethods...) {
			if d != "" && !d.SupportedBy(before) {
				continue
			}
			for _, sel := range []Selection{{All: true}, {LostDevice: "iPhone 15"}, {MethodIDs: []string{"mobile", "alternateMobile"}}, {MethodIDs: []string{"hw-1", "app-pixel"}}, {MethodIDs: []string{"mobile", "office"}}} {
				p, err := Build(before, d, Options{Selection: sel})
				var e *Error
				if errors.As(err, &e) && (e.NotFound || strings.Contains(e.Msg, "Graph keeps the mobile phone")) {
					continue
				}
				if err != nil {
					t.Fatalf("%v default %q %+v: %v", ids(before), d, sel, err)
				}
				checkPlan(t, before, d, p)
				// Never an unusable default when a usable one was possible;
				// never one unannounced.
				if a := p.DefaultAfter; a != "" && !a.DeliverableBy(p.After) &&
					(methods.StrongestDeliverable(p.After) != "" || !strings.Contains(strings.Join(p.Warnings, "\n"), "which no usable method delivers")) {
					t.Fatalf("%v default %q %+v: ends with the unusable default %s (warnings %q)", ids(before), d, sel, a, p.Warnings)
				}
				if sel.All && len(p.After) != 1 {
					t.Fatalf("--all left %v", ids(p.After))
				}
			}
		}
	}
}

// fakeExecutor records the calls and fails the nth one.
type fakeExecutor struct {
	calls  []string
	failAt int
	gone   map[string]bool
}

var errGone = errors.New("404 not found")

func (f *fakeExecutor) call(s string) error {
	f.calls = append(f.calls, s)
	if len(f.calls) == f.failAt {
		return fmt.Errorf("503 service unavailable")
	}
	return nil
}
func (f *fakeExecutor) SetDefault(_ context.Context, d methods.DefaultMethod) error {
	return f.call("default " + string(d))
}
func (f *fakeExecutor) Remove(_ context.Context, m methods.Method) error {
	if f.gone[m.ID] {
		f.calls = append(f.calls, "remove "+m.ID)
		return errGone
	}
	return f.call("remove " + m.ID)
}
func (f *fakeExecutor) RevokeSessions(context.Context) error { return f.call("revoke") }
func (f *fakeExecutor) IssueTAP(_ context.Context, spec TAPSpec) (methods.Method, error) {
	return methods.Method{ID: "new-tap", Kind: methods.KindTemporaryAccess, Pass: "secret12", LifetimeInMinutes: spec.LifetimeMinutes}, f.call("tap")
}
func (f *fakeExecutor) Gone(err error) bool { return errors.Is(err, errGone) }

func TestExecuteStopsAndResumes(t *testing.T) {
	before := []methods.Method{password, iphone, mobile, oath}
	opts := Options{Selection: Selection{LostDevice: "iPhone 15"}, RevokeSessions: true, TAP: &TAPSpec{LifetimeMinutes: 60}}
	p, err := Build(before, methods.DefaultPush, opts)
	if err != nil {
		t.Fatal(err)
	}
	ex := &fakeExecutor{failAt: 3}
	res := Execute(context.Background(), p, ex)
	statuses := func(r Result) []Status {
		var out []Status
		for _, s := range r.Steps {
			out = append(out, s.Status)
		}
		return out
	}
	if res.Failed != 2 || res.Err == nil || res.Done() != 2 || !res.Changed() || res.TAP != nil ||
		!slices.Equal(statuses(res), []Status{StatusDone, StatusDone, StatusFailed, StatusNotRun, StatusNotRun}) {
		t.Fatalf("%+v %v", statuses(res), res.Err)
	}
	// The re-run plans from the tenant as it is now: the default moved and
	// the oath token went; the Authenticator is still there.
	p2, err := Build([]methods.Method{password, iphone, mobile}, methods.DefaultSMS, opts)
	if err != nil {
		t.Fatal(err)
	}
	ex2 := &fakeExecutor{}
	res = Execute(context.Background(), p2, ex2)
	if res.Failed != -1 || !slices.Equal(ex2.calls, []string{"remove app-iphone", "revoke", "tap"}) || res.TAP == nil || res.TAP.Pass != "secret12" {
		t.Fatalf("%v %+v", ex2.calls, res)
	}
	// A removal that finds its method gone is skipped, not failed.
	ex3 := &fakeExecutor{gone: map[string]bool{"app-iphone": true}}
	res = Execute(context.Background(), p2, ex3)
	if res.Failed != -1 || res.Steps[0].Status != StatusSkipped || res.Steps[0].Error != "already removed" || res.Done() != 3 {
		t.Fatalf("%+v", res)
	}
	// A canceled context runs nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = Execute(ctx, p2, &fakeExecutor{})
	if res.Failed != 0 || res.Changed() {
		t.Fatalf("%+v", res)
	}
	if got := Planned(p2); len(got) != 3 || got[0].Status != StatusPlanned {
		t.Fatalf("%+v", got)
	}
}

func TestStepDescribe(t *testing.T) {
	m := iphone
	for _, tt := range []struct {
		s    Step
		want string
	}{
		{Step{Action: ActionSetDefault, Default: methods.DefaultSMS}, "make sms the default MFA method"},
		{Step{Action: ActionRemove, Method: &m}, `remove Microsoft Authenticator "iPhone 15" (app-iphone)`},
		{Step{Action: ActionRevokeSessions}, "revoke sign-in sessions and remembered MFA devices"},
		{Step{Action: ActionIssueTAP, TAP: &TAPSpec{LifetimeMinutes: 90, Once: true}}, "issue a Temporary Access Pass (lifetime 1h30m, one-time)"},
		{Step{Action: ActionIssueTAP, TAP: &TAPSpec{}}, "issue a Temporary Access Pass"},
	} {
		if got := tt.s.Describe(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}
