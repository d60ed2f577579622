package cmd

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/runbook"
	"github.com/mfactl/mfactl/methods"
)

// resetVerification is how the user proved who they are before a reset
// (--verify-first, --require-verify).
type resetVerification struct {
	Method   string `json:"method,omitempty"`
	Verified bool   `json:"verified"`
	// Skipped says why no verification ran (a dry run, no terminal).
	Skipped string `json:"skipped,omitempty"`
	// Error is why it failed, when the reset went on regardless.
	Error string `json:"error,omitempty"`
}

// proof is a verification method the user can still use once the reset
// is done: never one whose methods are all being removed (the lost phone
// would answer the push).
type proof struct {
	name     string
	methodID string
	phone    methods.PhoneType
}

// proofsAfter lists the `verify --method` names the methods that stay
// allow, strongest first. Security questions are offered always: the
// engine refuses them when the user registered none (or is an admin).
func proofsAfter(kept []methods.Method) []proof {
	var out []proof
	first := func(k methods.Kind) (methods.Method, bool) {
		i := slices.IndexFunc(kept, func(m methods.Method) bool { return m.Kind == k })
		if i < 0 {
			return methods.Method{}, false
		}
		return kept[i], true
	}
	if m, ok := first(methods.KindAuthenticator); ok {
		out = append(out, proof{name: "push", methodID: m.ID})
	}
	if m, ok := first(methods.KindSoftwareOath); ok {
		out = append(out, proof{name: "app", methodID: m.ID})
	}
	if m, ok := first(methods.KindHardwareOath); ok {
		out = append(out, proof{name: "hardware", methodID: m.ID})
	}
	var phones []methods.PhoneType
	for _, m := range kept {
		if m.Kind == methods.KindPhone {
			phones = append(phones, m.PhoneType)
		}
	}
	if slices.Contains(phones, methods.PhoneMobile) {
		out = append(out, proof{name: "sms", phone: methods.PhoneMobile})
	}
	if len(phones) > 0 {
		out = append(out, proof{name: "voice", phone: phones[0]}, proof{name: "voice-otp", phone: phones[0]}, proof{name: "voice-pin", phone: phones[0]})
	}
	if _, ok := first(methods.KindTemporaryAccess); ok {
		out = append(out, proof{name: "tap"})
	}
	return append(out, proof{name: "questions"})
}

// describe says how the identity was checked, for the summary.
func (v *resetVerification) describe() string {
	switch {
	case v.Verified:
		return "verified with " + v.Method
	case v.Skipped != "":
		return "not verified (" + v.Skipped + ")"
	}
	return "NOT verified: " + v.Method + " failed (" + v.Error + "); the operator went on"
}

func proofNames(ps []proof) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

// verifyBeforeReset has the user prove their identity with a method that
// stays, before anything changes. --verify-first offers it on a terminal
// (a failure may be overridden there); --require-verify makes it
// mandatory: no terminal needs --verify-method with --verify-code, and a
// failure stops the reset.
func verifyBeforeReset(ctx context.Context, opts *ResetOptions, s *session, r resolved, plan runbook.Plan) (*resetVerification, error) {
	if !opts.VerifyFirst && !opts.RequireVerify {
		return nil, nil
	}
	if opts.DryRun {
		return &resetVerification{Skipped: "dry run"}, nil
	}
	kept := make([]methods.Method, len(plan.Keep))
	for i, k := range plan.Keep {
		kept[i] = k.Method
	}
	allowed := proofsAfter(kept)
	var chosen proof
	switch {
	case opts.VerifyMethod != "":
		i := slices.IndexFunc(allowed, func(p proof) bool { return p.name == opts.VerifyMethod })
		if i < 0 {
			return nil, cmdutil.FlagErrorf("--verify-method %s: %s has no such method that stays after this reset (the lost device cannot prove anything); use one of %s",
				opts.VerifyMethod, r.User.UserPrincipalName, proofNames(allowed))
		}
		chosen = allowed[i]
	case !s.IO.CanPrompt():
		if opts.RequireVerify {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("nothing was changed: --require-verify needs a terminal to verify %s on", r.User.UserPrincipalName),
				"or give --verify-method app, hardware or tap with --verify-code (a code the user reads out)")
		}
		s.IO.Warnf("--verify-first: no terminal to verify %s on; the reset goes on without it", r.User.UserPrincipalName)
		return &resetVerification{Skipped: "no terminal"}, nil
	default:
		p, err := chooseProof(s, r, allowed)
		if err != nil {
			return nil, err
		}
		chosen = p
	}
	vo := &identityCheck{IO: opts.IO, Graph: opts.Graph, Backend: opts.Backend, Printer: opts.Printer, User: r.User.ID, Method: chosen.name, MethodID: chosen.methodID,
		Code: opts.VerifyCode, Timeout: 2 * time.Minute, PollInterval: time.Second}
	if chosen.phone != "" {
		vo.Phone = string(chosen.phone)
	}
	if err := vo.Validate(); err != nil {
		return nil, err
	}
	out, err := vo.run(ctx)
	if err == nil && out.Verified {
		s.IO.Notef("%s proved their identity with %s.", r.Name(), chosen.name)
		return &resetVerification{Method: chosen.name, Verified: true}, nil
	}
	if err == nil {
		err = fmt.Errorf("the verification did not complete")
	}
	if opts.RequireVerify || !s.IO.CanPrompt() {
		return nil, cmdutil.WithExit(cmdutil.ExitCodeOf(err), fmt.Errorf("nothing was changed: %s did not prove their identity with %s: %w", r.User.UserPrincipalName, chosen.name, err), cmdutil.HintOf(err))
	}
	s.IO.Warnf("%s did not prove their identity with %s: %s", r.Name(), chosen.name, errorLine(err))
	ok, perr := s.IO.Confirm("Reset anyway, without a verified identity?")
	if perr != nil {
		return nil, perr
	}
	if !ok {
		return nil, cmdutil.Errorf(cmdutil.ExitFailure, "canceled: nothing was changed")
	}
	return &resetVerification{Method: chosen.name, Error: errorLine(err)}, nil
}

// chooseProof asks on the terminal which method the user proves their
// identity with.
func chooseProof(s *session, r resolved, allowed []proof) (proof, error) {
	fmt.Fprintf(s.IO.ErrOut, "Verify %s first, with a method they keep:\n", r.Name())
	for i, p := range allowed {
		m, _ := parseVerifyMethod(p.name)
		fmt.Fprintf(s.IO.ErrOut, "  %d. %s: %s\n", i+1, p.name, m.Label)
	}
	for {
		ans, err := s.IO.Prompt(fmt.Sprintf("Choose 1-%d [1]", len(allowed)))
		if err != nil {
			return proof{}, err
		}
		if ans == "" {
			return allowed[0], nil
		}
		if n, err := strconv.Atoi(ans); err == nil && n >= 1 && n <= len(allowed) {
			return allowed[n-1], nil
		}
		for _, p := range allowed {
			if p.name == ans {
				return p, nil
			}
		}
		fmt.Fprintf(s.IO.ErrOut, "%q is not one of the choices\n", ans)
	}
}
