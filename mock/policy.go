package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// The tenant's authentication methods policy: one configuration per
// method, stored under metaPolicy in the meta bucket. A state without it has
// the defaults below, so nothing needs seeding.
//
// Defaults: every method is enabled for all users (Graph's new-tenant
// defaults disable several, but the demo tenant uses every method, and a
// mock whose methods are disabled by policy would refuse what the CLI is
// there to show). The Temporary Access Pass settings are Graph's documented
// defaults: lifetime 60 minutes (minimum 60, maximum 480), length 8, passes
// not forced to one-time use.

// metaPolicy is the key of the policy in bucketMeta.
const metaPolicy = "authenticationMethodsPolicy"

// Configuration ids, as Graph names them.
const (
	configFido2         = "Fido2"
	configAuthenticator = "MicrosoftAuthenticator"
	configSMS           = "Sms"
	configVoice         = "Voice"
	configEmail         = "Email"
	configSoftwareOath  = "SoftwareOath"
	configHardwareOath  = "HardwareOath"
	configTAP           = "TemporaryAccessPass"
	// configX509 is certificate-based authentication, a configuration of
	// the policy (api-reference/v1.0/resources/authenticationmethodspolicies-overview.md,
	// api-reference/v1.0/resources/x509certificateauthenticationmethodconfiguration.md).
	// The mock has no certificate methods; it lists the configuration,
	// disabled as in a new tenant.
	configX509 = "X509Certificate"
)

// Bounds Graph enforces on the Temporary Access Pass configuration.
const (
	tapMinLifetimeBound = 10
	tapMaxLifetimeBound = 43200
	tapMinLength        = 8
	tapMaxLength        = 48
)

// methodConfig is one authenticationMethodConfiguration.
type methodConfig struct {
	ID    string `json:"id"`
	State string `json:"state"` // enabled | disabled
	// Temporary Access Pass settings (zero for other methods).
	DefaultLifetimeInMinutes int  `json:"defaultLifetimeInMinutes,omitempty"`
	MinimumLifetimeInMinutes int  `json:"minimumLifetimeInMinutes,omitempty"`
	MaximumLifetimeInMinutes int  `json:"maximumLifetimeInMinutes,omitempty"`
	DefaultLength            int  `json:"defaultLength,omitempty"`
	IsUsableOnce             bool `json:"isUsableOnce,omitempty"`
	// IsUsableForSignIn is the SMS configuration's sign-in switch (nil: on).
	IsUsableForSignIn *bool `json:"isUsableForSignIn,omitempty"`
}

// methodsPolicy is the stored policy.
type methodsPolicy struct {
	LastModified time.Time      `json:"lastModifiedDateTime"`
	Configs      []methodConfig `json:"authenticationMethodConfigurations"`
}

// configTypes are the configurations in the order Graph lists them, with
// their @odata.type.
var configTypes = []struct{ id, odataType string }{
	{configFido2, "#microsoft.graph.fido2AuthenticationMethodConfiguration"},
	{configAuthenticator, "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration"},
	{configSMS, "#microsoft.graph.smsAuthenticationMethodConfiguration"},
	{configVoice, "#microsoft.graph.voiceAuthenticationMethodConfiguration"},
	{configEmail, "#microsoft.graph.emailAuthenticationMethodConfiguration"},
	{configSoftwareOath, "#microsoft.graph.softwareOathAuthenticationMethodConfiguration"},
	{configHardwareOath, "#microsoft.graph.hardwareOathAuthenticationMethodConfiguration"},
	{configTAP, "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"},
	{configX509, "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration"},
}

func defaultPolicy() *methodsPolicy {
	p := &methodsPolicy{}
	for _, ct := range configTypes {
		c := methodConfig{ID: ct.id, State: "enabled"}
		if ct.id == configX509 {
			c.State = "disabled"
		}
		if ct.id == configTAP {
			c.DefaultLifetimeInMinutes, c.MinimumLifetimeInMinutes, c.MaximumLifetimeInMinutes = 60, 60, 480
			c.DefaultLength = 8
		}
		p.Configs = append(p.Configs, c)
	}
	return p
}

// loadPolicy reads the tenant's policy, or the defaults when none is stored
// (last modified when the tenant was seeded). Configurations a stored policy
// lacks (added in a later version) get their defaults too.
func loadPolicy(tx store.Tx) (*methodsPolicy, error) {
	p := defaultPolicy()
	var stored methodsPolicy
	found, err := store.GetJSON(tx, bucketMeta, metaPolicy, &stored)
	if err != nil {
		return nil, err
	}
	if !found {
		if t, err := getTenant(tx); err == nil {
			p.LastModified = t.SeededAt
		}
		return p, nil
	}
	p.LastModified = stored.LastModified
	for _, c := range stored.Configs {
		if i := p.index(c.ID); i >= 0 {
			p.Configs[i] = c
		}
	}
	return p, nil
}

func (p *methodsPolicy) index(id string) int {
	for i, c := range p.Configs {
		if strings.EqualFold(c.ID, id) {
			return i
		}
	}
	return -1
}

// config returns the configuration with this id (case-insensitive).
func (p *methodsPolicy) config(id string) (*methodConfig, bool) {
	if i := p.index(id); i >= 0 {
		return &p.Configs[i], true
	}
	return nil, false
}

// enabled reports whether the policy allows a method.
func (p *methodsPolicy) enabled(id string) bool {
	c, ok := p.config(id)
	return ok && c.State == "enabled"
}

// tapConfig is the Temporary Access Pass configuration the TAP rules use.
type tapConfig struct {
	Enabled bool
	// Lifetimes in minutes: a new pass defaults to DefaultLifetime and must
	// lie within [MinLifetime, MaxLifetime].
	DefaultLifetime, MinLifetime, MaxLifetime int
	// DefaultLength is the length of generated passes.
	DefaultLength int
	// UsableOnce forces every pass to be one-time.
	UsableOnce bool
}

// tapPolicy returns the tenant's Temporary Access Pass configuration; the
// TAP create endpoint checks its requests against it.
func tapPolicy(tx store.Tx) (tapConfig, error) {
	p, err := loadPolicy(tx)
	if err != nil {
		return tapConfig{}, err
	}
	c, _ := p.config(configTAP)
	return tapConfig{
		Enabled: c.State == "enabled", DefaultLifetime: c.DefaultLifetimeInMinutes,
		MinLifetime: c.MinimumLifetimeInMinutes, MaxLifetime: c.MaximumLifetimeInMinutes,
		DefaultLength: c.DefaultLength, UsableOnce: c.IsUsableOnce,
	}, nil
}

// smsPolicyRecord is the part of the SMS configuration the phone rules use:
// whether the method is on and usable for sign-in (the includeTargets'
// isUsableForSignIn, true unless a stored configuration says otherwise).
type smsPolicyRecord struct {
	State             string
	IsUsableForSignIn bool
}

// smsPolicy reads the SMS configuration.
func smsPolicy(tx store.Tx) (smsPolicyRecord, error) {
	p, err := loadPolicy(tx)
	if err != nil {
		return smsPolicyRecord{}, err
	}
	c, _ := p.config(configSMS)
	usable := c.IsUsableForSignIn == nil || *c.IsUsableForSignIn
	return smsPolicyRecord{State: c.State, IsUsableForSignIn: usable}, nil
}

func (p smsPolicyRecord) allowsSignIn() bool { return p.State == "enabled" && p.IsUsableForSignIn }

// updatePolicy changes the stored policy in one transaction.
func updatePolicy(tx store.Tx, change func(*methodsPolicy)) error {
	p, err := loadPolicy(tx)
	if err != nil {
		return err
	}
	change(p)
	return store.PutJSON(tx, bucketMeta, metaPolicy, p)
}

// validate checks a configuration against Graph's bounds.
func (c *methodConfig) validate() error {
	if c.State != "enabled" && c.State != "disabled" {
		return errBadRequest(codeBadBody, "Invalid value '%s' for state: use enabled or disabled.", c.State)
	}
	if c.ID != configTAP {
		return nil
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"minimumLifetimeInMinutes", c.MinimumLifetimeInMinutes}, {"defaultLifetimeInMinutes", c.DefaultLifetimeInMinutes}, {"maximumLifetimeInMinutes", c.MaximumLifetimeInMinutes}} {
		if f.v < tapMinLifetimeBound || f.v > tapMaxLifetimeBound {
			return errBadRequest(codeBadBody, "%s is %d; it must be between %d and %d minutes (30 days).", f.name, f.v, tapMinLifetimeBound, tapMaxLifetimeBound)
		}
	}
	if c.MinimumLifetimeInMinutes > c.MaximumLifetimeInMinutes {
		return errBadRequest(codeBadBody, "minimumLifetimeInMinutes (%d) is greater than maximumLifetimeInMinutes (%d).", c.MinimumLifetimeInMinutes, c.MaximumLifetimeInMinutes)
	}
	if c.DefaultLifetimeInMinutes < c.MinimumLifetimeInMinutes || c.DefaultLifetimeInMinutes > c.MaximumLifetimeInMinutes {
		return errBadRequest(codeBadBody, "defaultLifetimeInMinutes (%d) must lie between minimumLifetimeInMinutes (%d) and maximumLifetimeInMinutes (%d).", c.DefaultLifetimeInMinutes, c.MinimumLifetimeInMinutes, c.MaximumLifetimeInMinutes)
	}
	if c.DefaultLength < tapMinLength || c.DefaultLength > tapMaxLength {
		return errBadRequest(codeBadBody, "defaultLength is %d; it must be between %d and %d characters.", c.DefaultLength, tapMinLength, tapMaxLength)
	}
	return nil
}

// renderConfig is a configuration's Graph JSON. Every method targets all
// users; the type-specific settings the mock does not model are shown with
// Graph's default values.
func renderConfig(c *methodConfig) map[string]any {
	odataType := ""
	for _, ct := range configTypes {
		if ct.id == c.ID {
			odataType = ct.odataType
		}
	}
	target := map[string]any{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}
	out := map[string]any{
		"@odata.type":    odataType,
		"id":             c.ID,
		"state":          c.State,
		"excludeTargets": []any{},
		"includeTargets": []any{target},
	}
	switch c.ID {
	case configFido2:
		out["isSelfServiceRegistrationAllowed"] = true
		out["isAttestationEnforced"] = false
		out["keyRestrictions"] = map[string]any{"isEnforced": false, "enforcementType": "block", "aaGuids": []string{}}
	case configAuthenticator:
		out["isSoftwareOathEnabled"] = false
		target["authenticationMode"] = "any"
	case configSMS:
		target["isUsableForSignIn"] = true
	case configVoice:
		out["isOfficePhoneAllowed"] = true
	case configEmail:
		out["allowExternalIdToUseEmailOtp"] = "default"
	case configX509:
		// Properties of api-reference/v1.0/resources/x509certificateauthenticationmethodconfiguration.md
		// with a new tenant's values: single-factor by default, bound
		// through the certificate's PrincipalName to userPrincipalName.
		out["certificateUserBindings"] = []any{
			map[string]any{"x509CertificateField": "PrincipalName", "userProperty": "userPrincipalName", "priority": 1},
		}
		out["authenticationModeConfiguration"] = map[string]any{
			"x509CertificateAuthenticationDefaultMode": "x509CertificateSingleFactor",
			"rules": []any{},
		}
	case configTAP:
		out["defaultLifetimeInMinutes"] = c.DefaultLifetimeInMinutes
		out["minimumLifetimeInMinutes"] = c.MinimumLifetimeInMinutes
		out["maximumLifetimeInMinutes"] = c.MaximumLifetimeInMinutes
		out["defaultLength"] = c.DefaultLength
		out["isUsableOnce"] = c.IsUsableOnce
	}
	return out
}

// canReadPolicy: Global Reader, Authentication Policy Administrator and
// Global Administrator, as the policy's documentation lists, and the
// privileged authentication and security admins, who hold Policy.Read.All.
// An Authentication Administrator cannot read it.
func canReadPolicy(p *Principal) bool {
	return p.has(RoleGlobalReader, RoleAuthPolicyAdmin, RoleGlobalAdmin, RolePrivilegedAuthAdmin, RoleSecurityAdmin)
}

// canWritePolicy: Authentication Policy Administrator (least privileged) and
// Global Administrator.
func canWritePolicy(p *Principal) bool { return p.has(RoleAuthPolicyAdmin, RoleGlobalAdmin) }

func (s *Server) policyRoutes(rt *router) {
	const base = "/policies/authenticationMethodsPolicy"
	rt.add("GET", base, s.getPolicy)
	rt.add("GET", base+"/authenticationMethodConfigurations", s.listPolicyConfigs)
	rt.add("GET", base+"/authenticationMethodConfigurations/{id}", s.getPolicyConfig)
	rt.add("PATCH", base+"/authenticationMethodConfigurations/{id}", s.patchPolicyConfig)
	rt.add("DELETE", base+"/authenticationMethodConfigurations/{id}", s.deletePolicyConfig)
}

// deletePolicyConfig restores a configuration's defaults: "Revert the
// Temporary Access Pass policy to its default configuration"
// (api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-delete.md;
// each configuration type's delete page says the same of its own). 204,
// as those pages answer; the Authentication Policy Administrator's right.
func (s *Server) deletePolicyConfig(r *request) (*response, error) {
	if !canWritePolicy(r.caller) {
		return nil, errDenied()
	}
	err := s.store.Update(func(tx store.Tx) error {
		p, err := loadPolicy(tx)
		if err != nil {
			return err
		}
		c, found := p.config(r.params["id"])
		if !found {
			return errConfigNotFound(r.params["id"])
		}
		def, _ := defaultPolicy().config(c.ID)
		*c = *def
		p.LastModified = s.now().UTC()
		return store.PutJSON(tx, bucketMeta, metaPolicy, p)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

func (s *Server) readPolicy(r *request) (*methodsPolicy, error) {
	if !canReadPolicy(r.caller) {
		return nil, errDenied()
	}
	var p *methodsPolicy
	err := s.store.View(func(tx store.Tx) error {
		var err error
		p, err = loadPolicy(tx)
		return err
	})
	return p, err
}

func (s *Server) getPolicy(r *request) (*response, error) {
	p, err := s.readPolicy(r)
	if err != nil {
		return nil, err
	}
	configs := make([]map[string]any, len(p.Configs))
	for i := range p.Configs {
		configs[i] = renderConfig(&p.Configs[i])
	}
	return ok(map[string]any{
		"@odata.context":       r.contextURL("authenticationMethodsPolicy"),
		"id":                   "authenticationMethodsPolicy",
		"displayName":          "Authentication Methods Policy",
		"description":          "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
		"lastModifiedDateTime": p.LastModified.UTC().Format(time.RFC3339),
		"policyVersion":        "1.5",
		"policyMigrationState": "migrationComplete",
		"reconfirmationInDays": 0,
		"registrationEnforcement": map[string]any{
			"authenticationMethodsRegistrationCampaign": map[string]any{
				"snoozeDurationInDays": 1, "state": "default", "excludeTargets": []any{},
				"includeTargets": []any{map[string]any{"id": "all_users", "targetType": "group", "targetedAuthenticationMethod": "microsoftAuthenticator"}},
			},
		},
		"authenticationMethodConfigurations": configs,
	})
}

func (s *Server) listPolicyConfigs(r *request) (*response, error) {
	p, err := s.readPolicy(r)
	if err != nil {
		return nil, err
	}
	configs := make([]map[string]any, len(p.Configs))
	for i := range p.Configs {
		configs[i] = renderConfig(&p.Configs[i])
	}
	return ok(map[string]any{
		"@odata.context": r.contextURL("policies/authenticationMethodsPolicy/authenticationMethodConfigurations"),
		"value":          configs,
	})
}

func errConfigNotFound(id string) error {
	return errNotFound("The authentication method configuration '%s' does not exist; the configurations are %s.", id, configIDs())
}

func configIDs() string {
	ids := make([]string, len(configTypes))
	for i, ct := range configTypes {
		ids[i] = ct.id
	}
	return strings.Join(ids, ", ")
}

func (s *Server) getPolicyConfig(r *request) (*response, error) {
	p, err := s.readPolicy(r)
	if err != nil {
		return nil, err
	}
	c, found := p.config(r.params["id"])
	if !found {
		return nil, errConfigNotFound(r.params["id"])
	}
	body := renderConfig(c)
	body["@odata.context"] = r.contextURL("policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity")
	return ok(body)
}

// patchPolicyConfig updates one configuration: state for every method, and
// the lifetimes, length and one-time flag of the Temporary Access Pass,
// within Graph's bounds. Properties the mock does not model are refused
// rather than ignored. 204 on success, as Graph answers.
func (s *Server) patchPolicyConfig(r *request) (*response, error) {
	if !canWritePolicy(r.caller) {
		return nil, errDenied()
	}
	var patch map[string]json.RawMessage
	if err := r.decode(&patch); err != nil {
		return nil, err
	}
	// "The @odata.type property with a value of
	// #microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration
	// must be included in the request body"
	// (api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-update.md);
	// the mock holds every configuration to the same rule.
	if _, ok := patch["@odata.type"]; !ok {
		return nil, errBadRequest(codeBadBody, "The request body must include @odata.type with the type of the configuration to update, for example %q.", configODataType(r.params["id"]))
	}
	err := s.store.Update(func(tx store.Tx) error {
		p, err := loadPolicy(tx)
		if err != nil {
			return err
		}
		c, found := p.config(r.params["id"])
		if !found {
			return errConfigNotFound(r.params["id"])
		}
		next := *c
		if err := applyConfigPatch(&next, patch); err != nil {
			return err
		}
		if err := next.validate(); err != nil {
			return err
		}
		*c = next
		p.LastModified = s.now().UTC()
		return store.PutJSON(tx, bucketMeta, metaPolicy, p)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// configODataType is the @odata.type of a configuration id ("" if unknown).
func configODataType(id string) string {
	for _, ct := range configTypes {
		if strings.EqualFold(ct.id, id) {
			return ct.odataType
		}
	}
	return ""
}

// applyConfigPatch sets the properties of a PATCH body on c.
func applyConfigPatch(c *methodConfig, patch map[string]json.RawMessage) error {
	odataType := ""
	for _, ct := range configTypes {
		if ct.id == c.ID {
			odataType = ct.odataType
		}
	}
	typeName := strings.TrimPrefix(odataType, "#")
	for key, raw := range patch {
		var err error
		switch key {
		case "@odata.type":
			var t string
			if err = strictJSON(raw, &t); err == nil && t != odataType && t != typeName {
				return errBadRequest(codeBadBody, "The @odata.type '%s' does not match the configuration '%s' (%s).", t, c.ID, odataType)
			}
		case "id":
			var id string
			if err = strictJSON(raw, &id); err == nil && !strings.EqualFold(id, c.ID) {
				return errBadRequest(codeBadBody, "The id '%s' in the body does not match the configuration '%s' in the URL.", id, c.ID)
			}
		case "state":
			err = strictJSON(raw, &c.State)
		case "defaultLifetimeInMinutes", "minimumLifetimeInMinutes", "maximumLifetimeInMinutes", "defaultLength", "isUsableOnce":
			if c.ID != configTAP {
				return errBadRequest(codeBadBody, "The property '%s' does not exist on type '%s'.", key, typeName)
			}
			switch key {
			case "defaultLifetimeInMinutes":
				err = strictJSON(raw, &c.DefaultLifetimeInMinutes)
			case "minimumLifetimeInMinutes":
				err = strictJSON(raw, &c.MinimumLifetimeInMinutes)
			case "maximumLifetimeInMinutes":
				err = strictJSON(raw, &c.MaximumLifetimeInMinutes)
			case "defaultLength":
				err = strictJSON(raw, &c.DefaultLength)
			case "isUsableOnce":
				err = strictJSON(raw, &c.IsUsableOnce)
			}
		case "includeTargets", "excludeTargets":
			return errBadRequest(codeBadBody, "The mock applies every method to all users; '%s' cannot be changed.", key)
		default:
			return errBadRequest(codeBadBody, "The property '%s' does not exist on type '%s' or is not supported by the mock (supported: state%s).", key, typeName, tapPropertiesHint(c.ID))
		}
		if err != nil {
			return errBadRequest(codeBadBody, "Invalid value for '%s': %v.", key, err)
		}
	}
	return nil
}

func tapPropertiesHint(id string) string {
	if id != configTAP {
		return ""
	}
	return ", defaultLifetimeInMinutes, minimumLifetimeInMinutes, maximumLifetimeInMinutes, defaultLength, isUsableOnce"
}

// strictJSON decodes one JSON value, refusing null and mismatched types.
func strictJSON(raw json.RawMessage, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fmt.Errorf("null is not allowed")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
