// Package runbook plans and runs the helpdesk's lost-device reset: which of
// a user's methods go (those bound to the lost device, the ones named, or
// all), in an order Graph accepts, with the default method moved to the
// strongest method that stays before its own method goes. Planning is pure
// (methods in, steps out); running goes through an Executor, so the order,
// the stop on the first failure and the re-run behaviour are tested
// without a tenant.
package runbook

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/internal/exitcode"
	"github.com/mfactl/mfactl/methods"
)

// Selection says which methods a reset removes: exactly one of LostDevice,
// MethodIDs and All.
type Selection struct {
	// LostDevice is a device name (Authenticator, Windows Hello, platform
	// credential, FIDO2 key) or a hardware token's serial number.
	LostDevice string
	// MethodIDs are method ids, or a phone type (mobile, alternateMobile,
	// office) for the phone of that type.
	MethodIDs []string
	// All removes every method but the password ("require re-registration").
	All bool
	// KeepOath keeps software OATH methods that a lost phone would
	// otherwise take with it.
	KeepOath bool
}

// TAPSpec is the Temporary Access Pass to issue; zero fields take the
// tenant policy's defaults.
type TAPSpec struct {
	LifetimeMinutes int  `json:"lifetimeInMinutes,omitempty"`
	Once            bool `json:"isUsableOnce,omitempty"`
}

// Options are a reset's selection and its extra actions.
type Options struct {
	Selection
	RevokeSessions bool
	// TAP, when set, issues a pass after the removals.
	TAP *TAPSpec
}

// Action is what a step does.
type Action string

// The steps a reset is made of.
const (
	ActionSetDefault     Action = "setDefault"
	ActionRemove         Action = "remove"
	ActionRevokeSessions Action = "revokeSessions"
	ActionIssueTAP       Action = "issueTemporaryAccessPass"
)

// Step is one change, with why it is made.
type Step struct {
	Action  Action                `json:"action"`
	Method  *methods.Method       `json:"method,omitempty"`
	Default methods.DefaultMethod `json:"default,omitempty"`
	TAP     *TAPSpec              `json:"temporaryAccessPass,omitempty"`
	Why     string                `json:"why"`
}

// Describe is the step as a sentence.
func (s Step) Describe() string {
	switch s.Action {
	case ActionSetDefault:
		return "make " + string(s.Default) + " the default MFA method"
	case ActionRemove:
		return "remove " + DescribeMethod(*s.Method)
	case ActionRevokeSessions:
		return "revoke sign-in sessions and remembered MFA devices"
	case ActionIssueTAP:
		d := "issue a Temporary Access Pass"
		var parts []string
		if s.TAP.LifetimeMinutes > 0 {
			parts = append(parts, "lifetime "+methods.FormatMinutes(s.TAP.LifetimeMinutes))
		}
		if s.TAP.Once {
			parts = append(parts, "one-time")
		}
		if len(parts) > 0 {
			d += " (" + strings.Join(parts, ", ") + ")"
		}
		return d
	}
	return string(s.Action)
}

// DescribeMethod names a method for people: its type, what identifies it
// and its id.
func DescribeMethod(m methods.Method) string {
	s := m.Kind.Label()
	if d := m.Describe(); d != "" {
		s += fmt.Sprintf(" %q", d)
	}
	if m.ID != "" {
		s += " (" + m.ID + ")"
	}
	return s
}

// Choice is a method the plan removes or keeps, and why.
type Choice struct {
	Method methods.Method `json:"method"`
	Why    string         `json:"why"`
}

// Plan is what a reset will do.
type Plan struct {
	Before        []methods.Method      `json:"before"`
	DefaultBefore methods.DefaultMethod `json:"defaultBefore,omitempty"`
	Remove        []Choice              `json:"remove"`
	Keep          []Choice              `json:"keep"`
	// NotRegistered are --method ids the user does not have (removed by an
	// earlier run, or mistyped): skipped.
	NotRegistered []string `json:"notRegistered,omitempty"`
	Steps         []Step   `json:"steps"`
	// After and DefaultAfter are the user's methods and default once every
	// step succeeded (a new pass aside).
	After        []methods.Method      `json:"after"`
	DefaultAfter methods.DefaultMethod `json:"defaultAfter,omitempty"`
	// LeftWithoutMFA: no method that satisfies an MFA prompt stays.
	LeftWithoutMFA bool     `json:"leftWithoutMfa"`
	Warnings       []string `json:"warnings,omitempty"`
	// ReturnedTokens are the serial numbers of the lost hardware tokens the
	// reset unassigns: they go back to the inventory as available, where
	// deleting them is the inventory owner's call (and role). The CLI
	// warns with the command that deletes them.
	ReturnedTokens []string `json:"-"`
}

// Error is a selection that cannot be planned.
type Error struct {
	Msg  string
	Hint string
	// Advice names another way to the change asked for, for the CLI to
	// phrase with its command (the Hint then stays empty).
	Advice Advice
	// NotFound: nothing matched (exit 3); otherwise bad input (exit 2).
	NotFound bool
}

// Advice is another way to a change a reset does not make.
type Advice string

// Advices.
const (
	AdvicePasswordReset Advice = "passwordReset" // the password is reset, never removed
	AdvicePhoneUpdate   Advice = "phoneUpdate"   // the mobile takes a new number instead of going
)

func (e *Error) Error() string { return e.Msg }

// HintText is what to do about it.
func (e *Error) HintText() string { return e.Hint }

// ExitCode is 3 (not found) for nothing found, else 2 (usage).
func (e *Error) ExitCode() int {
	if e.NotFound {
		return exitcode.NotFound
	}
	return exitcode.Usage
}

// norm compares device names the way people type them: case and spacing
// do not matter.
func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// deviceNames are the names a method answers to as a lost device. Graph's
// deviceTag of an Authenticator registration is a feature tag
// ("SoftwareTokenActivated"), the same on every phone, so it names no
// device and is not matched.
func deviceNames(m methods.Method) []string {
	switch m.Kind {
	case methods.KindAuthenticator, methods.KindWindowsHello, methods.KindPlatformCredential, methods.KindFido2:
		return []string{m.DisplayName}
	case methods.KindHardwareOath:
		names := []string{m.DisplayName}
		if m.Token != nil {
			names = append(names, m.Token.SerialNumber)
		}
		return names
	}
	return nil
}

// Devices lists the user's device names, for messages.
func Devices(ms []methods.Method) []string {
	var out []string
	for _, m := range ms {
		name := ""
		if m.Kind == methods.KindHardwareOath && m.Token != nil {
			name = m.Token.SerialNumber
		} else if ns := deviceNames(m); len(ns) > 0 {
			name = ns[0]
		}
		if strings.TrimSpace(name) != "" {
			out = append(out, fmt.Sprintf("%q (%s)", name, m.Kind.Label()))
		}
	}
	return out
}

// squash drops case, spaces and punctuation: "iphone15" and "iPhone 15"
// squash alike.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// nearDevice is the device name that the typed name differs from only in
// case, spacing or punctuation, for a "did you mean" hint ("" when none or
// several). It is never matched: a reset removes what was named exactly.
func nearDevice(ms []methods.Method, typed string) string {
	found := ""
	for _, m := range ms {
		for _, name := range deviceNames(m) {
			if name != "" && squash(name) == squash(typed) && name != found {
				if found != "" {
					return ""
				}
				found = name
			}
		}
	}
	return found
}

// onDevice explains why a method is bound to the lost device.
func onDevice(m methods.Method, device string) string {
	switch m.Kind {
	case methods.KindHardwareOath:
		return "the lost hardware token"
	case methods.KindFido2:
		return "the lost security key"
	}
	return fmt.Sprintf("%s on the lost device %q", m.Kind.Label(), device)
}

// oathWithPhone is why a software OATH method goes with a lost phone.
const oathWithPhone = "Graph records no device for software OATH tokens, and an authenticator app on a lost phone is lost with it (--keep-oath keeps it)"

// selectMethods splits the user's methods into those to remove and those
// to keep.
func selectMethods(before []methods.Method, sel Selection) (remove, keep []Choice, notRegistered []string, warnings []string, err error) {
	n := 0
	if sel.LostDevice != "" {
		n++
	}
	if len(sel.MethodIDs) > 0 {
		n++
	}
	if sel.All {
		n++
	}
	if n != 1 {
		return nil, nil, nil, nil, &Error{Msg: "say which methods to remove: exactly one of --lost-device NAME, --method ID and --all"}
	}
	why := map[string]string{}
	switch {
	case sel.All:
		for _, m := range before {
			if m.Kind != methods.KindPassword {
				why[m.ID] = "--all: every method but the password goes, so the user registers again"
			}
		}
	case len(sel.MethodIDs) > 0:
		for _, ref := range sel.MethodIDs {
			ref = strings.TrimSpace(ref)
			id := ref
			if t, err := methods.ParsePhoneType(ref); err == nil {
				id = methods.PhoneMethodID(t)
			}
			i := slices.IndexFunc(before, func(m methods.Method) bool { return strings.EqualFold(m.ID, id) })
			switch {
			case strings.EqualFold(id, methods.PasswordMethodID):
				return nil, nil, nil, nil, &Error{Msg: "--method " + ref + " is the password, which a reset never removes", Advice: AdvicePasswordReset}
			case ref == "":
				return nil, nil, nil, nil, &Error{Msg: "--method needs a method id or a phone type (mobile, alternateMobile, office)"}
			case i < 0:
				notRegistered = append(notRegistered, ref)
			default:
				why[before[i].ID] = "named by --method"
			}
		}
	default:
		device := norm(sel.LostDevice)
		phone := false
		for _, m := range before {
			for _, name := range deviceNames(m) {
				if name != "" && norm(name) == device {
					why[m.ID] = onDevice(m, sel.LostDevice)
					phone = phone || m.Kind == methods.KindAuthenticator
					break
				}
			}
		}
		if len(why) > 0 {
			for _, m := range before {
				if m.Kind != methods.KindSoftwareOath {
					continue
				}
				switch {
				case phone && !sel.KeepOath:
					why[m.ID] = oathWithPhone
				case !phone:
					warnings = append(warnings, fmt.Sprintf("the software OATH token %s stays: Graph records no device for it; if its codes came from %q, remove it with --method %s", m.ID, sel.LostDevice, m.ID))
				}
			}
		}
	}
	for _, m := range before {
		if w, ok := why[m.ID]; ok {
			remove = append(remove, Choice{Method: m, Why: w})
			continue
		}
		var k string
		switch {
		case m.Kind == methods.KindPassword:
			k = "the password is never removed"
		case sel.LostDevice != "":
			k = "not on the lost device"
		default:
			k = "not selected"
		}
		keep = append(keep, Choice{Method: m, Why: k})
	}
	return remove, keep, notRegistered, warnings, nil
}

// sim replays Entra's rules (package entra) on a method list, as the mock
// enforces them.
type sim struct {
	ms        []methods.Method
	preferred methods.DefaultMethod
}

func without(ms []methods.Method, id string) []methods.Method {
	return slices.DeleteFunc(slices.Clone(ms), func(m methods.Method) bool { return m.ID == id })
}

func backs(d methods.DefaultMethod, m methods.Method) bool { return entra.Backs(d, m) }

func canBackDefault(ms []methods.Method) bool { return strongestDefault(ms) != "" }

// strongestDefault is the first default (in Entra's order, strongest
// first: push, oath, sms, voice) the methods can deliver.
func strongestDefault(ms []methods.Method) methods.DefaultMethod {
	for _, d := range methods.DefaultMethods {
		if d.SupportedBy(ms) {
			return d
		}
	}
	return ""
}

// blocked says why Graph would refuse to remove m now ("" when it would
// not).
func (s *sim) blocked(m methods.Method) string {
	if m.Kind == methods.KindPhone && entra.CheckPhoneDelete(entra.PhonesOf(s.ms), m.PhoneType) != "" {
		return "the mobile phone cannot go while an alternateMobile phone exists"
	}
	if _, code := entra.CheckDefaultDeletion(entra.DefaultDeletion{Preferred: s.preferred, Victim: m, Rest: without(s.ms, m.ID)}); code != "" {
		return fmt.Sprintf("it delivers the default method (%s) while other methods remain", s.preferred)
	}
	return ""
}

func (s *sim) remove(m methods.Method) {
	rest := without(s.ms, m.ID)
	if backs(s.preferred, m) && !s.preferred.SupportedBy(rest) {
		s.preferred = ""
	}
	s.ms = rest
}

// removalRank orders removals so that few default changes are needed:
// methods that cannot deliver a default first, then those that do not
// deliver the current one, then the default's own.
func removalRank(m methods.Method, preferred methods.DefaultMethod) int {
	switch {
	case !canBackDefault([]methods.Method{m}):
		return 0
	case !backs(preferred, m):
		return 1
	}
	return 2
}

// Build plans a reset of a user with methods before and default preferred.
func Build(before []methods.Method, preferred methods.DefaultMethod, o Options) (Plan, error) {
	remove, keep, notRegistered, warnings, err := selectMethods(before, o.Selection)
	if err != nil {
		return Plan{}, err
	}
	if o.LostDevice != "" && len(remove) == 0 {
		e := &Error{Msg: fmt.Sprintf("no method is bound to a device named %q", o.LostDevice), NotFound: true}
		ds := Devices(before)
		if len(ds) == 0 && (o.RevokeSessions || o.TAP != nil) {
			// A re-run after the removals went through (the user has no
			// device left): the rest of the runbook still has work to do.
			warnings = append(warnings, e.Msg+" (already removed?); the user has no method bound to a device")
		} else {
			// A name that matches nothing while the user has devices is a
			// mistyped name far more often than a finished reset: stop
			// before any change, whatever else was asked, so a lost phone
			// is never left registered behind a successful-looking run.
			e.Hint = "the user has no method bound to a device"
			if len(ds) > 0 {
				e.Hint = "the user's devices are " + strings.Join(ds, ", ")
				if near := nearDevice(before, o.LostDevice); near != "" {
					e.Hint = fmt.Sprintf("did you mean %q? ", near) + e.Hint
				}
			}
			return Plan{}, e
		}
	}
	p := Plan{Before: before, DefaultBefore: preferred, Remove: remove, Keep: keep, NotRegistered: notRegistered, Warnings: warnings}
	if p.Remove == nil {
		p.Remove = []Choice{}
	}
	if p.Keep == nil {
		p.Keep = []Choice{}
	}
	for _, id := range notRegistered {
		p.Warnings = append(p.Warnings, fmt.Sprintf("--method %s: the user has no such method (removed by an earlier run?); skipped", id))
	}
	kept := make([]methods.Method, len(keep))
	for i, k := range keep {
		kept[i] = k.Method
	}
	s := &sim{ms: slices.Clone(before), preferred: preferred}
	if preferred != "" && !preferred.SupportedBy(before) {
		// A stale preference (its method is gone): Graph ignores it.
		s.preferred = ""
	}
	// The user must end with a default that a usable method delivers
	// (methods.DefaultMethod.DeliverableBy): when the default's own usable
	// methods go, or none backs it already (a hardware token whose
	// activation failed), move it to the strongest usable method that stays
	// before anything is removed. Graph itself would keep "oath" on such a
	// token, and every sign-in would then prompt for a code nobody has.
	if s.preferred != "" && !s.preferred.DeliverableBy(kept) {
		if d := methods.StrongestDeliverable(kept); d != "" {
			why := fmt.Sprintf("the default (%s) is delivered by a method being removed; %s is the strongest usable method that stays", s.preferred, d)
			if !s.preferred.DeliverableBy(before) {
				why = fmt.Sprintf("no usable method delivers the default (%s); %s is the strongest usable method that stays", s.preferred, d)
			}
			p.Steps = append(p.Steps, Step{Action: ActionSetDefault, Default: d, Why: why})
			s.preferred = d
		}
	}
	if slices.ContainsFunc(remove, func(c Choice) bool {
		return c.Method.Kind == methods.KindPhone && entra.CheckPhoneDelete(entra.PhonesOf(kept), c.Method.PhoneType) != ""
	}) {
		return Plan{}, &Error{Msg: "Graph keeps the mobile phone while the user has an alternateMobile phone, which this reset keeps",
			Advice: AdvicePhoneUpdate}
	}
	targets := make([]Choice, len(remove))
	copy(targets, remove)
	slices.SortStableFunc(targets, func(a, b Choice) int {
		return removalRank(a.Method, s.preferred) - removalRank(b.Method, s.preferred)
	})
	for len(targets) > 0 {
		i := slices.IndexFunc(targets, func(c Choice) bool { return s.blocked(c.Method) == "" })
		if i >= 0 {
			m := targets[i].Method
			p.Steps = append(p.Steps, Step{Action: ActionRemove, Method: &m, Why: targets[i].Why})
			s.remove(m)
			targets = slices.Delete(targets, i, i+1)
			continue
		}
		d := interimDefault(s, targets)
		if d == "" {
			return Plan{}, fmt.Errorf("runbook: no order Graph accepts removes %s (default %s): this is a bug in mfactl", DescribeMethod(targets[0].Method), s.preferred)
		}
		p.Steps = append(p.Steps, Step{Action: ActionSetDefault, Default: d,
			Why: fmt.Sprintf("for now: Graph refuses to remove %s while %s", DescribeMethod(targets[0].Method), s.blocked(targets[0].Method))})
		s.preferred = d
	}
	if o.RevokeSessions {
		p.Steps = append(p.Steps, Step{Action: ActionRevokeSessions, Why: "sign the lost device (and anyone holding it) out everywhere"})
	}
	if o.TAP != nil {
		spec := *o.TAP
		p.Steps = append(p.Steps, Step{Action: ActionIssueTAP, TAP: &spec, Why: "lets the user sign in once to register a new device"})
		for _, k := range kept {
			if k.Kind == methods.KindTemporaryAccess {
				p.Warnings = append(p.Warnings, fmt.Sprintf("the current Temporary Access Pass (%s) is replaced by the new one", k.ID))
			}
		}
	}
	p.After, p.DefaultAfter = s.ms, s.preferred
	p.LeftWithoutMFA = !slices.ContainsFunc(p.After, methods.Method.IsUsableMFA)
	if preferred != "" && preferred.DeliverableBy(before) && p.DefaultAfter == "" {
		p.Warnings = append(p.Warnings, "none of the methods that stay can be a default MFA method (push, oath, sms or voice): the user will have no default")
	}
	if d := p.DefaultAfter; d != "" && !d.DeliverableBy(p.After) {
		// No usable method that stays can take the default, and Graph
		// keeps (or needs) one backed by a method that cannot be used.
		p.Warnings = append(p.Warnings, fmt.Sprintf("the default will be %s, which no usable method delivers (%s): have the user register a new method (with a Temporary Access Pass) and make it the default", d, unusableNames(p.After, d)))
	}
	for _, c := range p.Remove {
		if c.Method.Kind == methods.KindHardwareOath && c.Method.Token != nil && o.LostDevice != "" {
			p.ReturnedTokens = append(p.ReturnedTokens, c.Method.Token.SerialNumber)
		}
	}
	return p, nil
}

// unusableNames names the methods that back d without being usable.
func unusableNames(ms []methods.Method, d methods.DefaultMethod) string {
	var names []string
	for _, m := range ms {
		if !m.Usable() && d.SupportedBy([]methods.Method{m}) {
			names = append(names, DescribeMethod(m)+": "+m.Unusable())
		}
	}
	return strings.Join(names, "; ")
}

// interimDefault finds a default, delivered by a method still registered,
// under which some blocked removal goes through.
func interimDefault(s *sim, targets []Choice) methods.DefaultMethod {
	for _, d := range methods.DefaultMethods {
		if d == s.preferred || !d.SupportedBy(s.ms) {
			continue
		}
		try := &sim{ms: s.ms, preferred: d}
		if slices.ContainsFunc(targets, func(c Choice) bool { return try.blocked(c.Method) == "" }) {
			return d
		}
	}
	return ""
}

// Removes reports whether the plan removes any method.
func (p Plan) Removes() bool { return len(p.Remove) > 0 }
