package bulk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// OpKind names an operation.
type OpKind string

// Operations, each one Graph request.
const (
	OpAddPhone       OpKind = "addPhone"
	OpUpdatePhone    OpKind = "updatePhone"
	OpEnableSMS      OpKind = "enableSmsSignIn"
	OpDisableSMS     OpKind = "disableSmsSignIn"
	OpAddEmail       OpKind = "addEmail"
	OpUpdateEmail    OpKind = "updateEmail"
	OpSetDefault     OpKind = "setDefault"
	OpDeleteMethod   OpKind = "deleteMethod"
	OpCreateTAP      OpKind = "createTap"
	OpSetMFAState    OpKind = "setMfaState"
	OpRevokeSessions OpKind = "revokeSessions"
)

// OpKinds lists the operations in the order the summary shows them.
var OpKinds = []OpKind{OpAddPhone, OpUpdatePhone, OpEnableSMS, OpDisableSMS, OpAddEmail, OpUpdateEmail, OpSetDefault,
	OpDeleteMethod, OpCreateTAP, OpSetMFAState, OpRevokeSessions}

// Op is one operation on one user: one Graph request.
type Op struct {
	// N numbers the plan's operations from 0; the journal refers to it.
	N          int                   `json:"n"`
	Kind       OpKind                `json:"op"`
	PhoneType  methods.PhoneType     `json:"phoneType,omitempty"`
	Number     string                `json:"number,omitempty"`
	Email      string                `json:"email,omitempty"`
	MethodKind methods.Kind          `json:"methodType,omitempty"`
	MethodID   string                `json:"methodId,omitempty"`
	Default    methods.DefaultMethod `json:"default,omitempty"`
	Minutes    int                   `json:"lifetimeInMinutes,omitempty"`
	Once       bool                  `json:"isUsableOnce,omitempty"`
	MFAState   methods.MFAState      `json:"mfaState,omitempty"`
}

// String describes the operation for people.
func (o Op) String() string {
	switch o.Kind {
	case OpAddPhone:
		return fmt.Sprintf("add %s phone %s", o.PhoneType, o.Number)
	case OpUpdatePhone:
		return fmt.Sprintf("change %s phone to %s", o.PhoneType, o.Number)
	case OpEnableSMS:
		return "enable SMS sign-in"
	case OpDisableSMS:
		return "disable SMS sign-in"
	case OpAddEmail:
		return "add email " + o.Email
	case OpUpdateEmail:
		return "change email to " + o.Email
	case OpSetDefault:
		return "set default " + string(o.Default)
	case OpDeleteMethod:
		if o.MethodKind == methods.KindPhone {
			return fmt.Sprintf("remove %s phone", phoneTypeOfID(o.MethodID))
		}
		return fmt.Sprintf("remove %s %s", o.MethodKind, o.MethodID)
	case OpCreateTAP:
		s := "issue a Temporary Access Pass for " + methods.FormatMinutes(o.Minutes)
		if o.Once {
			s += ", one use"
		}
		return s
	case OpSetMFAState:
		return "set per-user MFA " + string(o.MFAState)
	case OpRevokeSessions:
		return "revoke sign-in sessions"
	}
	return string(o.Kind)
}

func phoneTypeOfID(id string) methods.PhoneType {
	for _, t := range methods.PhoneTypes {
		if methods.PhoneMethodID(t) == id {
			return t
		}
	}
	return ""
}

// State is what the planner knows of a user: read before planning, and
// again before applying.
type State struct {
	Methods   []methods.Method
	Preferred methods.DefaultMethod
	// MFAState is "" when it was not read (no mfaState column).
	MFAState methods.MFAState
	// SessionsValidFrom is signInSessionsValidFromDateTime.
	SessionsValidFrom time.Time
}

func (s State) clone() State {
	s.Methods = slices.Clone(s.Methods)
	return s
}

// Fingerprint is a digest of the parts of the state a plan depends on:
// the methods (type, id, phone type and number, SMS sign-in state, email
// address), the default and the per-user MFA state. Apply compares it to
// find users changed since the plan.
func (s State) Fingerprint() string {
	lines := make([]string, 0, len(s.Methods)+2)
	for _, m := range s.Methods {
		if m.Kind == methods.KindPassword {
			continue
		}
		lines = append(lines, strings.Join([]string{string(m.Kind), strings.ToLower(m.ID), string(m.PhoneType), m.PhoneNumber, m.SMSSignInState, strings.ToLower(m.EmailAddress)}, "|"))
	}
	slices.Sort(lines)
	lines = append(lines, "default="+string(s.Preferred), "mfa="+string(s.MFAState))
	sum := sha256.Sum256([]byte("bulk-v1\n" + strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}

// Options are the tenant-wide inputs of planning.
type Options struct {
	// CheckTAP holds a pass against the tenant's TAP policy (nil: Graph
	// decides).
	CheckTAP func(minutes int, once bool) error
	// RevokedSince: sessions revoked at or after this time are taken as
	// revoked already, so revokeSessions is not planned again.
	RevokedSince time.Time
}

// Plan computes the operations that take a user from st to the row, in an
// order Entra accepts, checking each against Entra's rules on the state
// the operations before it leave. It plans nothing when the user is
// already there. A *RuleError refuses the row.
func Plan(d Desired, st State, o Options) ([]Op, error) {
	sim := st.clone()
	var ops []Op
	step := func(op Op) error {
		if err := Simulate(&sim, op, o); err != nil {
			return err
		}
		ops = append(ops, op)
		return nil
	}
	// 1. Phones and email: mobile before alternateMobile.
	for _, pc := range phoneColumns {
		w := d.Phones[pc.typ]
		if !w.Set {
			continue
		}
		cur, ok := phoneOf(sim.Methods, pc.typ)
		switch {
		case ok && methods.SameNumber(cur.PhoneNumber, w.Number):
		case ok:
			if err := step(Op{Kind: OpUpdatePhone, PhoneType: pc.typ, Number: w.Number}); err != nil {
				return nil, err
			}
		default:
			if err := step(Op{Kind: OpAddPhone, PhoneType: pc.typ, Number: w.Number}); err != nil {
				return nil, err
			}
		}
	}
	if d.Email.Set {
		cur, ok := emailOf(sim.Methods)
		switch {
		case ok && strings.EqualFold(cur.EmailAddress, d.Email.Number):
		case ok:
			if err := step(Op{Kind: OpUpdateEmail, MethodID: cur.ID, Email: d.Email.Number}); err != nil {
				return nil, err
			}
		default:
			if err := step(Op{Kind: OpAddEmail, Email: d.Email.Number}); err != nil {
				return nil, err
			}
		}
	}
	// 2. SMS sign-in, once the mobile is there.
	if d.SMSSignIn != "" {
		mob, ok := phoneOf(sim.Methods, methods.PhoneMobile)
		on := ok && mob.SMSSignInState == smsReady
		switch {
		case d.SMSSignIn == "enabled" && !on:
			if err := step(Op{Kind: OpEnableSMS}); err != nil {
				return nil, err
			}
		case d.SMSSignIn == "disabled" && on:
			if err := step(Op{Kind: OpDisableSMS}); err != nil {
				return nil, err
			}
		}
	}
	// 3. The new default, before the old one's method goes.
	if d.Default != "" && d.Default != sim.Preferred {
		if err := step(Op{Kind: OpSetDefault, Default: d.Default}); err != nil {
			return nil, err
		}
	}
	// 4. Removals: the alternateMobile before the mobile.
	for _, m := range victims(d, sim.Methods) {
		if err := step(Op{Kind: OpDeleteMethod, MethodKind: m.Kind, MethodID: m.ID}); err != nil {
			return nil, err
		}
	}
	if d.Default != "" {
		if err := RulePreferredRegistered(d.Default, sim.Methods); err != nil {
			return nil, err
		}
	}
	// 5. A pass for a user without one (a second would replace the first).
	if d.TAP != nil && len(ofKind(sim.Methods, methods.KindTemporaryAccess)) == 0 {
		if err := step(Op{Kind: OpCreateTAP, Minutes: d.TAP.Minutes, Once: d.TAP.Once}); err != nil {
			return nil, err
		}
	}
	if d.MFAState != "" && !mfaStateSatisfies(sim.MFAState, d.MFAState) {
		if err := step(Op{Kind: OpSetMFAState, MFAState: d.MFAState}); err != nil {
			return nil, err
		}
	}
	// 6. Sessions last, so they end after every change.
	if d.Revoke && (st.SessionsValidFrom.IsZero() || st.SessionsValidFrom.Before(o.RevokedSince)) {
		if err := step(Op{Kind: OpRevokeSessions}); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// smsReady is smsSignInState of a mobile phone with SMS sign-in on.
const smsReady = "ready"

func emailOf(ms []methods.Method) (methods.Method, bool) {
	for _, m := range ms {
		if m.Kind == methods.KindEmail {
			return m, true
		}
	}
	return methods.Method{}, false
}

func ofKind(ms []methods.Method, k methods.Kind) []methods.Method {
	var out []methods.Method
	for _, m := range ms {
		if m.Kind == k {
			out = append(out, m)
		}
	}
	return out
}

// victims are the methods the row removes that the user has, in the
// order they can go: the alternateMobile before the mobile, and the
// methods that deliver the default last.
func victims(d Desired, ms []methods.Method) []methods.Method {
	var out []methods.Method
	add := func(m methods.Method) {
		for _, v := range out {
			if v.Kind == m.Kind && strings.EqualFold(v.ID, m.ID) {
				return
			}
		}
		out = append(out, m)
	}
	for _, pc := range phoneColumns {
		if d.Phones[pc.typ].Remove {
			if m, ok := phoneOf(ms, pc.typ); ok {
				add(m)
			}
		}
	}
	if d.Email.Remove {
		if m, ok := emailOf(ms); ok {
			add(m)
		}
	}
	for _, s := range d.Remove {
		for _, m := range ms {
			switch {
			case m.Kind != s.Kind:
			case s.PhoneType != "" && m.PhoneType != s.PhoneType:
			case s.ID != "" && !strings.EqualFold(m.ID, s.ID):
			default:
				add(m)
			}
		}
	}
	rank := func(m methods.Method) int {
		switch {
		case m.Kind == methods.KindPhone && m.PhoneType == methods.PhoneAlternateMobile:
			return 0
		case m.Kind == methods.KindPhone && m.PhoneType == methods.PhoneMobile:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b methods.Method) int { return rank(a) - rank(b) })
	return out
}

// Simulate applies op to st as Entra would, after checking the rules that
// op must obey. The planner uses it to order and validate operations.
func Simulate(st *State, op Op, o Options) error {
	switch op.Kind {
	case OpAddPhone:
		if err := RulePhoneTypeUnique(st.Methods, op.PhoneType); err != nil {
			return err
		}
		m := methods.Method{ID: methods.PhoneMethodID(op.PhoneType), Kind: methods.KindPhone, PhoneType: op.PhoneType, PhoneNumber: op.Number, SMSSignInState: "notSupported"}
		if op.PhoneType == methods.PhoneMobile {
			m.SMSSignInState = "notEnabled"
		}
		next := append(slices.Clone(st.Methods), m)
		if err := RuleMobileRequired(next); err != nil {
			return err
		}
		st.Methods = next
	case OpUpdatePhone:
		for i, m := range st.Methods {
			if m.Kind == methods.KindPhone && m.PhoneType == op.PhoneType {
				st.Methods[i].PhoneNumber = op.Number
			}
		}
	case OpEnableSMS, OpDisableSMS:
		if err := RuleSMSSignInNeedsMobile(st.Methods); err != nil {
			return err
		}
		for i, m := range st.Methods {
			if m.Kind == methods.KindPhone && m.PhoneType == methods.PhoneMobile {
				st.Methods[i].SMSSignInState = "notEnabled"
				if op.Kind == OpEnableSMS {
					st.Methods[i].SMSSignInState = smsReady
				}
			}
		}
	case OpAddEmail:
		if err := RuleOneEmail(st.Methods); err != nil {
			return err
		}
		st.Methods = append(st.Methods, methods.Method{ID: methods.EmailMethodID, Kind: methods.KindEmail, EmailAddress: op.Email})
	case OpUpdateEmail:
		for i, m := range st.Methods {
			if m.Kind == methods.KindEmail {
				st.Methods[i].EmailAddress = op.Email
			}
		}
	case OpSetDefault:
		if err := RulePreferredRegistered(op.Default, st.Methods); err != nil {
			return err
		}
		st.Preferred = op.Default
	case OpDeleteMethod:
		var victim methods.Method
		var rest []methods.Method
		for _, m := range st.Methods {
			if m.Kind == op.MethodKind && strings.EqualFold(m.ID, op.MethodID) {
				victim = m
			} else {
				rest = append(rest, m)
			}
		}
		if victim.ID == "" {
			return nil
		}
		if err := RuleMobileRequired(rest); err != nil {
			return err
		}
		clears, err := RuleDefaultDeletion(st.Preferred, st.Methods, victim)
		if err != nil {
			return err
		}
		if clears {
			st.Preferred = ""
		}
		st.Methods = rest
	case OpCreateTAP:
		if o.CheckTAP != nil {
			if err := o.CheckTAP(op.Minutes, op.Once); err != nil {
				return err
			}
		}
		st.Methods = append(st.Methods, methods.Method{ID: "planned-tap", Kind: methods.KindTemporaryAccess, LifetimeInMinutes: op.Minutes})
	case OpSetMFAState:
		st.MFAState = op.MFAState
	case OpRevokeSessions:
	default:
		return fmt.Errorf("unknown operation %q", op.Kind)
	}
	return nil
}

// Evidence is what apply notes before sending an operation whose effect
// cannot be read from the state alone: the passes the user had, and when
// their sessions were last revoked.
type Evidence struct {
	TAPIDs            []string  `json:"tapIds,omitempty"`
	SessionsValidFrom time.Time `json:"sessionsValidFrom,omitzero"`
}

// EvidenceOf records the evidence op needs from st.
func EvidenceOf(op Op, st State) Evidence {
	var e Evidence
	switch op.Kind {
	case OpCreateTAP:
		for _, m := range ofKind(st.Methods, methods.KindTemporaryAccess) {
			e.TAPIDs = append(e.TAPIDs, m.ID)
		}
	case OpRevokeSessions:
		e.SessionsValidFrom = st.SessionsValidFrom
	}
	return e
}

// Satisfied reports whether st shows op's effect: how apply settles an
// operation whose outcome it does not know (sent, and no answer came
// back) without sending it twice.
func Satisfied(op Op, st State, ev Evidence) bool {
	switch op.Kind {
	case OpAddPhone, OpUpdatePhone:
		m, ok := phoneOf(st.Methods, op.PhoneType)
		return ok && methods.SameNumber(m.PhoneNumber, op.Number)
	case OpEnableSMS:
		m, ok := phoneOf(st.Methods, methods.PhoneMobile)
		return ok && m.SMSSignInState == smsReady
	case OpDisableSMS:
		m, ok := phoneOf(st.Methods, methods.PhoneMobile)
		return !ok || m.SMSSignInState != smsReady
	case OpAddEmail, OpUpdateEmail:
		m, ok := emailOf(st.Methods)
		return ok && strings.EqualFold(m.EmailAddress, op.Email)
	case OpSetDefault:
		return st.Preferred == op.Default
	case OpDeleteMethod:
		for _, m := range st.Methods {
			if m.Kind == op.MethodKind && strings.EqualFold(m.ID, op.MethodID) {
				return false
			}
		}
		return true
	case OpCreateTAP:
		for _, m := range ofKind(st.Methods, methods.KindTemporaryAccess) {
			if !slices.Contains(ev.TAPIDs, m.ID) {
				return true
			}
		}
		return false
	case OpSetMFAState:
		return mfaStateSatisfies(st.MFAState, op.MFAState)
	case OpRevokeSessions:
		return st.SessionsValidFrom.After(ev.SessionsValidFrom)
	}
	return false
}

// mfaStateSatisfies reports whether the per-user MFA state have is what a
// row asking for want needs: enabled is met by enforced, because Entra
// turns enabled into enforced for a user who has registered an MFA method
// (api-reference/beta/resources/strongauthenticationrequirements.md), so
// a plan after such an apply stays empty.
func mfaStateSatisfies(have, want methods.MFAState) bool {
	return have == want || (want == methods.MFAEnabled && have == methods.MFAEnforced)
}
