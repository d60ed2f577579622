package mock

import (
	"github.com/mfactl/mfactl/mock/store"
)

// Keys of the authentication methods policy's per-method configurations in
// bucketMeta. A configuration that was never written reads as Graph's
// documented default.
const (
	metaPolicyTAP = "policy/TemporaryAccessPass"
	metaPolicySMS = "policy/Sms"
)

// tapPolicyRecord is the Temporary Access Pass configuration of the
// authentication methods policy (temporaryAccessPassAuthenticationMethodConfiguration).
type tapPolicyRecord struct {
	State                    string `json:"state"`
	DefaultLength            int    `json:"defaultLength"`
	DefaultLifetimeInMinutes int    `json:"defaultLifetimeInMinutes"`
	MinimumLifetimeInMinutes int    `json:"minimumLifetimeInMinutes"`
	MaximumLifetimeInMinutes int    `json:"maximumLifetimeInMinutes"`
	IsUsableOnce             bool   `json:"isUsableOnce"`
}

// defaultTAPPolicy is the configuration Graph documents for a tenant that
// never changed it: one hour by default, one to eight hours, 8 characters,
// reusable passes allowed. (A new tenant has the method disabled; the mock
// tenant has it enabled so `tap create` works out of the box.)
var defaultTAPPolicy = tapPolicyRecord{
	State: "enabled", DefaultLength: 8,
	DefaultLifetimeInMinutes: 60, MinimumLifetimeInMinutes: 60, MaximumLifetimeInMinutes: 480,
}

// tapPolicy reads the tenant's TAP configuration, Graph's defaults when none
// is stored. Every rule about passes reads it here.
func tapPolicy(tx store.Tx) (tapPolicyRecord, error) {
	p := defaultTAPPolicy
	if _, err := store.GetJSON(tx, bucketMeta, metaPolicyTAP, &p); err != nil {
		return tapPolicyRecord{}, err
	}
	return p, nil
}

// smsPolicyRecord is the part of the SMS configuration (smsAuthenticationMethodConfiguration)
// the mock enforces: whether the method is on and usable for sign-in.
type smsPolicyRecord struct {
	State             string `json:"state"`
	IsUsableForSignIn bool   `json:"isUsableForSignIn"`
}

// smsPolicy reads the SMS configuration; by default SMS is enabled for all
// users and usable for sign-in (the target's documented default).
func smsPolicy(tx store.Tx) (smsPolicyRecord, error) {
	p := smsPolicyRecord{State: "enabled", IsUsableForSignIn: true}
	if _, err := store.GetJSON(tx, bucketMeta, metaPolicySMS, &p); err != nil {
		return smsPolicyRecord{}, err
	}
	return p, nil
}

func (p smsPolicyRecord) allowsSignIn() bool { return p.State == "enabled" && p.IsUsableForSignIn }

// tapPolicyRoutes serves the TAP configuration read-only, which is what
// `tap create` reads to check a lifetime before the request.
func (s *Server) tapPolicyRoutes(rt *router) {
	rt.add("GET", "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass", s.getTAPPolicy)
}

func (s *Server) getTAPPolicy(r *request) (*response, error) {
	if err := canReadPolicy(r.caller); err != nil {
		return nil, err
	}
	var p tapPolicyRecord
	err := s.store.View(func(tx store.Tx) error {
		var err error
		p, err = tapPolicy(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{
		"@odata.context":           r.contextURL("authenticationMethodConfigurations/$entity"),
		"@odata.type":              "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
		"id":                       "TemporaryAccessPass",
		"state":                    p.State,
		"defaultLifetimeInMinutes": p.DefaultLifetimeInMinutes,
		"defaultLength":            p.DefaultLength,
		"minimumLifetimeInMinutes": p.MinimumLifetimeInMinutes,
		"maximumLifetimeInMinutes": p.MaximumLifetimeInMinutes,
		"isUsableOnce":             p.IsUsableOnce,
		"includeTargets":           []map[string]any{{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}},
		"excludeTargets":           []map[string]any{},
	})
}
