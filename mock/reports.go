package mock

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/odata"
	"github.com/mfactl/mfactl/mock/store"
)

// The registration reports under /reports/authenticationMethods. Nothing
// here is stored: every userRegistrationDetails object is derived, when it
// is read, from the user record, the user's stored methods and the
// authentication methods policy (deriveRegistration), so the report always
// agrees with the per-user method lists. Disabled users are left out, as
// Graph leaves them out.

// Page sizes of userRegistrationDetails. Graph documents neither; the mock
// pages by 100 like the directory and accepts $top up to 999, which is what
// a report over a large tenant should ask for (the reports throttling
// budget is 5 requests per 10 seconds).
const (
	registrationDefaultPage = 100
	registrationMaxPage     = 999
)

// Values of methodsRegistered the mock derives, in the order it lists them.
const (
	regMobilePhone          = "mobilePhone"
	regAlternateMobilePhone = "alternateMobilePhone"
	regOfficePhone          = "officePhone"
	regEmail                = "email"
	regFido2                = "fido2"
	regAuthenticatorPush    = "microsoftAuthenticatorPush"
	regSoftwareOTP          = "softwareOneTimePasscode"
	regHardwareOTP          = "hardwareOneTimePasscode"
	regTAP                  = "temporaryAccessPass"
	regWindowsHello         = "windowsHelloForBusiness"
	regPlatformCredential   = "macOsSecureEnclaveKey"
	// regPassword appears only in usersRegisteredByMethod (as in Graph's
	// example), never in methodsRegistered (as in Graph's examples).
	regPassword = "password"
)

var registrationOrder = []string{
	regMobilePhone, regAlternateMobilePhone, regOfficePhone, regEmail, regFido2, regAuthenticatorPush,
	regSoftwareOTP, regHardwareOTP, regTAP, regWindowsHello, regPlatformCredential,
}

// registrationMethod describes what one methodsRegistered value means.
type registrationMethod struct {
	mfa          bool     // a second factor (isMfaRegistered)
	sspr         bool     // usable to reset a password (isSsprRegistered)
	passwordless bool     // a passwordless sign-in method
	policy       []string // configurations that allow it (any enabled); none means always allowed
}

var registrationMethods = map[string]registrationMethod{
	regMobilePhone:          {mfa: true, sspr: true, policy: []string{configSMS, configVoice}},
	regAlternateMobilePhone: {mfa: true, policy: []string{configVoice}},
	regOfficePhone:          {mfa: true, sspr: true, policy: []string{configVoice}},
	regEmail:                {sspr: true, policy: []string{configEmail}},
	regFido2:                {mfa: true, passwordless: true, policy: []string{configFido2}},
	regAuthenticatorPush:    {mfa: true, sspr: true, policy: []string{configAuthenticator}},
	regSoftwareOTP:          {mfa: true, sspr: true, policy: []string{configSoftwareOath}},
	regHardwareOTP:          {mfa: true, sspr: true, policy: []string{configHardwareOath}},
	regTAP:                  {policy: []string{configTAP}},
	// Windows Hello for Business and platform credentials are not governed
	// by the authentication methods policy.
	regWindowsHello:       {mfa: true, passwordless: true},
	regPlatformCredential: {mfa: true, passwordless: true},
}

// registrationValue maps a stored method to its methodsRegistered value, or
// "" when the method does not count as registered: the password, a
// hardware token that is not activated, a Temporary Access Pass that is not
// usable at now.
func registrationValue(m *methodRecord, now time.Time) string {
	switch m.Kind {
	case methods.KindPhone:
		switch m.PhoneType {
		case methods.PhoneAlternateMobile:
			return regAlternateMobilePhone
		case methods.PhoneOffice:
			return regOfficePhone
		}
		return regMobilePhone
	case methods.KindEmail:
		return regEmail
	case methods.KindFido2:
		return regFido2
	case methods.KindAuthenticator:
		return regAuthenticatorPush
	case methods.KindSoftwareOath:
		return regSoftwareOTP
	case methods.KindHardwareOath:
		if m.Token != nil && m.Token.Status == methods.TokenActivated {
			return regHardwareOTP
		}
	case methods.KindTemporaryAccess:
		if usable, _ := tapUsability(m, now); usable {
			return regTAP
		}
	case methods.KindWindowsHello:
		return regWindowsHello
	case methods.KindPlatformCredential:
		return regPlatformCredential
	}
	return ""
}

// defaultMfaMethods maps the user-preferred method to the beta
// defaultMfaMethod vocabulary. oath has no hardware value there, so a
// hardware token default reads softwareOneTimePasscode too.
var defaultMfaMethods = map[string]string{
	"push": "microsoftAuthenticatorPush", "oath": "softwareOneTimePasscode", "sms": "mobilePhone",
	"voiceMobile": "mobilePhone", "voiceAlternateMobile": "alternateMobilePhone", "voiceOffice": "officePhone",
	"none": "none",
}

// registrationDetails is one userRegistrationDetails object.
type registrationDetails struct {
	ID, UPN, DisplayName   string
	UserType               string // member | guest
	IsAdmin                bool
	IsMfaRegistered        bool
	IsMfaCapable           bool
	IsSsprRegistered       bool
	IsSsprEnabled          bool
	IsSsprCapable          bool
	IsPasswordlessCapable  bool
	SystemPreferredEnabled bool
	MethodsRegistered      []string
	SystemPreferred        []string
	UserPreferred          string // "none" when the user has no usable preference (rendered "")
	DefaultMfaMethod       string // beta
	HasPassword            bool   // for usersRegisteredByMethod's password count
	LastUpdated            time.Time
}

// deriveRegistration computes a user's registration details from the user
// record, the user's stored methods and the policy at now. The hardware
// OATH methods in ms must be hydrated (their Token is read). This is the
// single definition of the report; ground-truth tests and other endpoints
// rely on it.
//
//   - methodsRegistered: one value per kind of registered method, in
//     registrationOrder, deduplicated (two Authenticator devices register
//     microsoftAuthenticatorPush once). Phones by phoneType (mobilePhone,
//     alternateMobilePhone, officePhone); email; fido2;
//     microsoftAuthenticatorPush; softwareOneTimePasscode;
//     hardwareOneTimePasscode only while the token is activated;
//     temporaryAccessPass only while the pass is usable;
//     windowsHelloForBusiness; macOsSecureEnclaveKey for a platform
//     credential. The password is never listed.
//   - isMfaRegistered: a second factor is registered (phones, FIDO2,
//     Authenticator, OATH, Windows Hello, platform credential; not email,
//     not a TAP). isMfaCapable: one of them is allowed by the policy.
//   - isSsprEnabled: members may reset their password (the tenant's SSPR
//     scope is everyone), guests may not. isSsprRegistered: the user holds
//     the number of SSPR methods required (mobile or office phone, email,
//     Authenticator, software or hardware OATH): one, or two for admins, as
//     Entra's admin SSPR policy requires. isSsprCapable: both.
//   - isPasswordlessCapable: FIDO2 (allowed by the policy), Windows Hello for
//     Business or a platform credential.
//   - isAdmin: the user holds a directory role. userType: member or guest.
//   - userPreferredMethodForSecondaryAuthentication: the user's preference
//     when a registered method supports it, otherwise "none" (rendered ""
//     as the docs' example shows); defaultMfaMethod (beta) is the same in
//     its own vocabulary, where "none" stays.
//   - systemPreferredAuthenticationMethods: the strongest allowed second
//     factor the enum can name, in the system-preferred order push, oath,
//     sms (voiceMobile when only voice is allowed), voiceAlternateMobile,
//     voiceOffice; empty when there is none.
//   - lastUpdatedDateTime: now, since the report is computed live.
func deriveRegistration(u *userRecord, ms []methodRecord, pol *methodsPolicy, now time.Time) registrationDetails {
	d := registrationDetails{
		ID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName,
		UserType: "member", IsAdmin: u.isAdmin(), SystemPreferredEnabled: u.SystemPreferredEnabled,
		LastUpdated: now.UTC(),
	}
	if strings.EqualFold(u.UserType, "Guest") {
		d.UserType = "guest"
	}
	registered := map[string]bool{}
	var counted []methods.Method // what the default can be delivered by
	for i := range ms {
		m := &ms[i]
		if m.Kind == methods.KindPassword {
			d.HasPassword = true
			continue
		}
		v := registrationValue(m, now)
		if v == "" {
			continue
		}
		registered[v] = true
		counted = append(counted, m.Method)
	}
	allowed := func(v string) bool {
		rm := registrationMethods[v]
		if len(rm.policy) == 0 {
			return true
		}
		for _, id := range rm.policy {
			if pol.enabled(id) {
				return true
			}
		}
		return false
	}
	ssprMethods := 0
	d.MethodsRegistered = make([]string, 0, len(registered))
	for _, v := range registrationOrder {
		if !registered[v] {
			continue
		}
		d.MethodsRegistered = append(d.MethodsRegistered, v)
		rm := registrationMethods[v]
		if rm.mfa {
			d.IsMfaRegistered = true
			if allowed(v) {
				d.IsMfaCapable = true
			}
		}
		if rm.sspr {
			ssprMethods++
		}
		if rm.passwordless && allowed(v) {
			d.IsPasswordlessCapable = true
		}
	}
	needed := 1
	if d.IsAdmin {
		needed = 2
	}
	d.IsSsprEnabled = d.UserType == "member"
	d.IsSsprRegistered = ssprMethods >= needed
	d.IsSsprCapable = d.IsSsprEnabled && d.IsSsprRegistered

	d.UserPreferred = "none"
	if pref, err := methods.ParseDefaultMethod(u.PreferredMethod); err == nil && pref.SupportedBy(counted) {
		d.UserPreferred = string(pref)
	}
	d.DefaultMfaMethod = defaultMfaMethods[d.UserPreferred]

	d.SystemPreferred = []string{}
	switch {
	case registered[regAuthenticatorPush] && allowed(regAuthenticatorPush):
		d.SystemPreferred = append(d.SystemPreferred, "push")
	case (registered[regSoftwareOTP] && allowed(regSoftwareOTP)) || (registered[regHardwareOTP] && allowed(regHardwareOTP)):
		d.SystemPreferred = append(d.SystemPreferred, "oath")
	case registered[regMobilePhone] && pol.enabled(configSMS):
		d.SystemPreferred = append(d.SystemPreferred, "sms")
	case registered[regMobilePhone] && pol.enabled(configVoice):
		d.SystemPreferred = append(d.SystemPreferred, "voiceMobile")
	case registered[regAlternateMobilePhone] && pol.enabled(configVoice):
		d.SystemPreferred = append(d.SystemPreferred, "voiceAlternateMobile")
	case registered[regOfficePhone] && pol.enabled(configVoice):
		d.SystemPreferred = append(d.SystemPreferred, "voiceOffice")
	}
	return d
}

// registrationFor loads, hydrates and derives one user's details. It keeps
// only the fields of each method the details read (stored methods decode
// through methodRecord's fast decoder, fastjson.go, which costs less than
// encoding/json decoding only these fields did).
func registrationFor(tx store.Tx, u *userRecord, pol *methodsPolicy, now time.Time) (registrationDetails, error) {
	ms := make([]methodRecord, 0, 8)
	err := store.ScanJSON(tx, bucketMethods, u.ID+"/", "", func(_ string, f methodRecord) (bool, error) {
		ms = append(ms, methodRecord{Method: methods.Method{
			Kind: f.Kind, PhoneType: f.PhoneType, StartDateTime: f.StartDateTime, LifetimeInMinutes: f.LifetimeInMinutes,
			IsUsableOnce: f.IsUsableOnce, MethodUsabilityReason: f.MethodUsabilityReason,
		}, UserID: u.ID, TokenID: f.TokenID})
		return true, nil
	})
	if err != nil {
		return registrationDetails{}, err
	}
	for i := range ms {
		if ms[i].Kind == methods.KindHardwareOath {
			if err := hydrate(tx, &ms[i], now); err != nil {
				return registrationDetails{}, err
			}
		}
	}
	return deriveRegistration(u, ms, pol, now), nil
}

// registrationProperties are the properties of the resource, for $select
// and rendering; defaultMfaMethod is beta only.
var registrationProperties = []string{
	"id", "userPrincipalName", "userDisplayName", "userType", "isAdmin", "isSsprRegistered", "isSsprEnabled",
	"isSsprCapable", "isMfaRegistered", "isMfaCapable", "isPasswordlessCapable", "lastUpdatedDateTime",
	"methodsRegistered", "isSystemPreferredAuthenticationMethodEnabled", "systemPreferredAuthenticationMethods",
	"userPreferredMethodForSecondaryAuthentication", "defaultMfaMethod",
}

// value returns one property, typed for $filter and JSON.
func (d *registrationDetails) value(name string) any {
	switch name {
	case "id":
		return d.ID
	case "userPrincipalName":
		return d.UPN
	case "userDisplayName":
		return d.DisplayName
	case "userType":
		return d.UserType
	case "isAdmin":
		return d.IsAdmin
	case "isSsprRegistered":
		return d.IsSsprRegistered
	case "isSsprEnabled":
		return d.IsSsprEnabled
	case "isSsprCapable":
		return d.IsSsprCapable
	case "isMfaRegistered":
		return d.IsMfaRegistered
	case "isMfaCapable":
		return d.IsMfaCapable
	case "isPasswordlessCapable":
		return d.IsPasswordlessCapable
	case "lastUpdatedDateTime":
		return d.LastUpdated
	case "methodsRegistered":
		return d.MethodsRegistered
	case "isSystemPreferredAuthenticationMethodEnabled":
		return d.SystemPreferredEnabled
	case "systemPreferredAuthenticationMethods":
		return d.SystemPreferred
	case "userPreferredMethodForSecondaryAuthentication":
		return d.UserPreferred
	case "defaultMfaMethod":
		return d.DefaultMfaMethod
	}
	return nil
}

// render is the object's Graph JSON: every property (beta adds
// defaultMfaMethod), or the selected ones.
func (d *registrationDetails) render(version string, sel []string) map[string]any {
	props := sel
	if len(props) == 0 {
		props = registrationProperties
	}
	out := make(map[string]any, len(props))
	for _, p := range props {
		if p == "defaultMfaMethod" && version != "beta" {
			continue
		}
		v := d.value(p)
		if t, ok := v.(time.Time); ok {
			v = t.Format("2006-01-02T15:04:05.0000000Z")
		}
		// A user without a usable preference: the documented example of
		// a user with no methods shows "" for the v1.0 property
		// (api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md),
		// although the enum also has "none"; $filter still compares the
		// stored "none". The SDK's enum parser reads "" as null.
		if p == "userPreferredMethodForSecondaryAuthentication" && v == "none" {
			v = ""
		}
		out[p] = v
	}
	return out
}

// registrationFilterSchema is what $filter supports on
// userRegistrationDetails: the documented properties and operators, plus
// isAdmin and userType (eq), which the Entra portal filters on.
var registrationFilterSchema = func() *odata.Schema {
	flag := func(name string) odata.Property {
		return odata.Property{Name: name, Type: odata.TypeBool, Ops: []string{"eq"}}
	}
	return &odata.Schema{Resource: "userRegistrationDetails", TypeName: "microsoft.graph.userRegistrationDetails", Props: []odata.Property{
		{Name: "userPrincipalName", Type: odata.TypeString, Ops: []string{"eq", "startswith", "in"}},
		{Name: "userDisplayName", Type: odata.TypeString, Ops: []string{"eq", "startswith", "in"}},
		{Name: "userType", Type: odata.TypeEnum, Ops: []string{"eq"}},
		flag("isAdmin"),
		flag("isMfaRegistered"),
		flag("isMfaCapable"),
		flag("isSsprRegistered"),
		flag("isSsprEnabled"),
		flag("isSsprCapable"),
		flag("isPasswordlessCapable"),
		flag("isSystemPreferredAuthenticationMethodEnabled"),
		{Name: "methodsRegistered", Type: odata.TypeCollection, Ops: []string{"any"}, LambdaOps: []string{"eq"}},
		{Name: "systemPreferredAuthenticationMethods", Type: odata.TypeCollection, Ops: []string{"any"}, LambdaOps: []string{"eq"}},
		{Name: "userPreferredMethodForSecondaryAuthentication", Type: odata.TypeEnum, Ops: []string{"eq"}},
		// Properties that exist but cannot be filtered.
		{Name: "id", Type: odata.TypeID},
		{Name: "lastUpdatedDateTime", Type: odata.TypeDateTime},
		{Name: "defaultMfaMethod", Type: odata.TypeEnum},
	}}
}()

// userLevelRegistration are the properties known without reading methods.
var userLevelRegistration = map[string]bool{
	"id": true, "userPrincipalName": true, "userDisplayName": true, "userType": true, "isAdmin": true,
	"isSystemPreferredAuthenticationMethodEnabled": true,
}

func lookupRegistrationProperty(name string) (string, bool) {
	for _, p := range registrationProperties {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return "", false
}

// canReadReports: the roles Graph documents for the registration reports.
// Authentication administrators are not among them.
func canReadReports(p *Principal) bool {
	return p.has(RoleReportsReader, RoleSecurityReader, RoleSecurityAdmin, RoleGlobalReader, RoleGlobalAdmin)
}

func (s *Server) reportRoutes(rt *router) {
	const base = "/reports/authenticationMethods"
	rt.add("GET", base+"/userRegistrationDetails", s.listRegistrationDetails)
	rt.add("GET", base+"/userRegistrationDetails/$count", s.countRegistrationDetails)
	rt.add("GET", base+"/userRegistrationDetails/{id}", s.getRegistrationDetails)
	// usersRegisteredByMethod(...) and usersRegisteredByFeature(...): one
	// path segment holding an OData function call.
	rt.add("GET", base+"/{function}", s.registrationSummary)
}

// registrationQuery is a parsed listing or count query.
type registrationQuery struct {
	filter  *odata.Filter
	orderBy string // registration property, "" for the default order
	desc    bool
	count   bool
}

func (r *request) parseRegistrationQuery(countSegment bool) (*registrationQuery, error) {
	if err := r.refuseOptions("$skip", "$search", "$expand"); err != nil {
		return nil, err
	}
	q := &registrationQuery{}
	var err error
	if q.filter, err = compileFilter(r.query.Get("$filter"), registrationFilterSchema, false); err != nil {
		return nil, err
	}
	if countSegment {
		return q, nil
	}
	if q.count, err = r.countOption(); err != nil {
		return nil, err
	}
	q.orderBy, q.desc, err = r.orderByOption("userRegistrationDetails", "userPrincipalName", "userDisplayName")
	return q, err
}

func (q *registrationQuery) scan() userScan {
	order := q.orderBy
	if order == "userDisplayName" {
		order = "displayName"
	}
	return planUserScan(order, q.desc, hintsOf(q.filter))
}

// registrationWalker evaluates a query on users one at a time, deriving a
// user's details only when the filter or the page needs them.
type registrationWalker struct {
	tx     store.Tx
	pol    *methodsPolicy
	now    time.Time
	filter *odata.Filter
	cur    *registrationDetails // details of the last user derived
}

func (w *registrationWalker) details(u *userRecord) (*registrationDetails, error) {
	if w.cur != nil && w.cur.ID == u.ID {
		return w.cur, nil
	}
	d, err := registrationFor(w.tx, u, w.pol, w.now)
	if err != nil {
		return nil, err
	}
	w.cur = &d
	return w.cur, nil
}

// keep: enabled users that match the filter.
func (w *registrationWalker) keep(u *userRecord) (bool, error) {
	if !u.AccountEnabled {
		return false, nil
	}
	if w.filter == nil {
		return true, nil
	}
	shallow := registrationDetails{ID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName, UserType: "member", IsAdmin: u.isAdmin(), SystemPreferredEnabled: u.SystemPreferredEnabled}
	if strings.EqualFold(u.UserType, "Guest") {
		shallow.UserType = "guest"
	}
	var failed error
	hit := w.filter.Match(func(name string) any {
		if userLevelRegistration[name] {
			return shallow.value(name)
		}
		d, err := w.details(u)
		if err != nil {
			failed = err
			return nil
		}
		return d.value(name)
	})
	return hit && failed == nil, failed
}

func (s *Server) listRegistrationDetails(r *request) (*response, error) {
	if !canReadReports(r.caller) {
		return nil, errDenied()
	}
	q, err := r.parseRegistrationQuery(false)
	if err != nil {
		return nil, err
	}
	sel, err := r.selectProps(lookupRegistrationProperty, "microsoft.graph.userRegistrationDetails")
	if err != nil {
		return nil, err
	}
	// "This method supports only the $filter and $orderBy OData query
	// parameters" (api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md).
	// The mock honours $top by default, as Graph does in practice; with
	// --strict-reports it refuses it, as Graph refuses a query option a
	// resource does not support, and pages by its own size.
	if s.opts.Realism.StrictReports {
		if err := r.refuseOptions("$top"); err != nil {
			return nil, err
		}
	}
	size, err := r.pageSize(registrationDefaultPage, registrationMaxPage)
	if err != nil {
		return nil, err
	}
	after, err := r.skipToken()
	if err != nil {
		return nil, err
	}
	sc := q.scan()
	page := make([]map[string]any, 0, min(size, 128))
	var last string
	more, total := false, -1
	err = s.store.View(func(tx store.Tx) error {
		pol, err := loadPolicy(tx)
		if err != nil {
			return err
		}
		w := &registrationWalker{tx: tx, pol: pol, now: s.now(), filter: q.filter}
		if q.count && after == "" {
			if total, err = countUsers(tx, sc, w.keep); err != nil {
				return err
			}
		}
		last, more, err = usersPage(tx, sc, after, size, w.keep, func(u *userRecord) error {
			d, err := w.details(u)
			if err != nil {
				return err
			}
			page = append(page, d.render(r.version, sel))
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	body := map[string]any{"@odata.context": r.contextURL("reports/authenticationMethods/userRegistrationDetails" + odata.SelectFragment(sel)), "value": page}
	if total >= 0 {
		body["@odata.count"] = total
	}
	if more {
		body["@odata.nextLink"] = r.nextLink(last)
	}
	return ok(body)
}

func (s *Server) countRegistrationDetails(r *request) (*response, error) {
	if !canReadReports(r.caller) {
		return nil, errDenied()
	}
	q, err := r.parseRegistrationQuery(true)
	if err != nil {
		return nil, err
	}
	var n int
	err = s.store.View(func(tx store.Tx) error {
		pol, err := loadPolicy(tx)
		if err != nil {
			return err
		}
		w := &registrationWalker{tx: tx, pol: pol, now: s.now(), filter: q.filter}
		n, err = countUsers(tx, q.scan(), w.keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, raw: []byte(strconv.Itoa(n)), contentType: "text/plain"}, nil
}

// getRegistrationDetails is one user's details, by object id. Disabled
// users have none, as in the listing.
func (s *Server) getRegistrationDetails(r *request) (*response, error) {
	if !canReadReports(r.caller) {
		return nil, errDenied()
	}
	if err := r.refuseOptions("$skip", "$search", "$expand"); err != nil {
		return nil, err
	}
	sel, err := r.selectProps(lookupRegistrationProperty, "microsoft.graph.userRegistrationDetails")
	if err != nil {
		return nil, err
	}
	id := r.params["id"]
	var body map[string]any
	err = s.store.View(func(tx store.Tx) error {
		var u userRecord
		found := false
		if odata.IsGUID(id) {
			var err error
			if found, err = store.GetJSON(tx, bucketUsers, strings.ToLower(id), &u); err != nil {
				return err
			}
		}
		if !found || !u.AccountEnabled {
			return errNotFound("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
		}
		pol, err := loadPolicy(tx)
		if err != nil {
			return err
		}
		d, err := registrationFor(tx, &u, pol, s.now())
		if err != nil {
			return err
		}
		body = d.render(r.version, sel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	body["@odata.context"] = r.contextURL("reports/authenticationMethods/userRegistrationDetails" + odata.SelectFragment(sel) + "/$entity")
	return ok(body)
}

// Function parameters of the summaries and their values.
var (
	includedUserTypes = []string{"all", "member", "guest"}
	includedUserRoles = []string{"all", "privilegedAdmin", "admin", "user"}
)

// privilegedAdminRoles are the roles includedUserRoles='privilegedAdmin'
// counts, as Graph documents them.
var privilegedAdminRoles = []string{
	RoleGlobalAdmin, RoleSecurityAdmin, "Conditional Access Administrator", "Exchange Administrator",
	"SharePoint Administrator", RoleHelpdeskAdmin, "Billing Administrator", RoleUserAdmin, RoleAuthAdmin,
}

// summaryFeatures are the features of usersRegisteredByFeature, in Graph's
// order (the SDK's authenticationMethodFeature enum).
var summaryFeatures = []string{"ssprRegistered", "ssprEnabled", "ssprCapable", "passwordlessCapable", "mfaCapable"}

// registrationSummary serves the OData functions usersRegisteredByMethod
// and usersRegisteredByFeature, called with both parameters, or with none
// (the SDK's no-argument builder sends "usersRegisteredByMethod()"), in
// which case both default to all.
func (s *Server) registrationSummary(r *request) (*response, error) {
	seg := r.params["function"]
	name, args, err := parseFunctionCall(seg)
	if err != nil {
		return nil, err
	}
	byMethod := strings.EqualFold(name, "usersRegisteredByMethod")
	if !byMethod && !strings.EqualFold(name, "usersRegisteredByFeature") {
		return nil, errBadRequest("BadRequest", "Resource not found for the segment '%s'.", seg)
	}
	if !canReadReports(r.caller) {
		return nil, errDenied()
	}
	userTypes, userRoles := "all", "all"
	for k, v := range args {
		switch {
		case strings.EqualFold(k, "includedUserTypes"):
			if userTypes = canonical(v, includedUserTypes); userTypes == "" {
				return nil, errBadRequest(codeBadBody, "Invalid value '%s' for parameter includedUserTypes: use all, member or guest.", v)
			}
		case strings.EqualFold(k, "includedUserRoles"):
			if userRoles = canonical(v, includedUserRoles); userRoles == "" {
				return nil, errBadRequest(codeBadBody, "Invalid value '%s' for parameter includedUserRoles: use all, privilegedAdmin, admin or user.", v)
			}
		default:
			return nil, errBadRequest(codeBadBody, "The function %s has no parameter '%s' (parameters: includedUserTypes, includedUserRoles).", name, k)
		}
	}
	if len(args) == 1 {
		return nil, errBadRequest(codeBadBody, "The function %s takes both includedUserTypes and includedUserRoles, or neither.", name)
	}
	included := func(u *userRecord) bool {
		if !u.AccountEnabled {
			return false
		}
		guest := strings.EqualFold(u.UserType, "Guest")
		if (userTypes == "member" && guest) || (userTypes == "guest" && !guest) {
			return false
		}
		switch userRoles {
		case "privilegedAdmin":
			return slices.ContainsFunc(u.Roles, func(role string) bool { return slices.Contains(privilegedAdminRoles, role) })
		case "admin":
			return u.isAdmin()
		case "user":
			return !u.isAdmin()
		}
		return true
	}
	methodCounts := map[string]int64{}
	featureCounts := map[string]int64{}
	var total int64
	err = s.store.View(func(tx store.Tx) error {
		pol, err := loadPolicy(tx)
		if err != nil {
			return err
		}
		now := s.now()
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			if !included(&u) {
				return true, nil
			}
			d, err := registrationFor(tx, &u, pol, now)
			if err != nil {
				return false, err
			}
			total++
			if d.HasPassword {
				methodCounts[regPassword]++
			}
			for _, v := range d.MethodsRegistered {
				methodCounts[v]++
			}
			for i, on := range []bool{d.IsSsprRegistered, d.IsSsprEnabled, d.IsSsprCapable, d.IsPasswordlessCapable, d.IsMfaCapable} {
				if on {
					featureCounts[summaryFeatures[i]]++
				}
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	if byMethod {
		counts := []map[string]any{}
		for _, v := range append([]string{regPassword}, registrationOrder...) {
			counts = append(counts, map[string]any{"authenticationMethod": v, "userCount": methodCounts[v]})
		}
		return ok(map[string]any{
			"@odata.context": r.contextURL("microsoft.graph.userRegistrationMethodSummary"),
			"@odata.type":    "#microsoft.graph.userRegistrationMethodSummary",
			// totalUserCount is a property of the resource
			// (api-reference/v1.0/resources/userregistrationmethodsummary.md);
			// the API page's truncated example leaves it out.
			"totalUserCount":               total,
			"userTypes":                    userTypes,
			"userRoles":                    userRoles,
			"userRegistrationMethodCounts": counts,
		})
	}
	counts := []map[string]any{}
	for _, f := range summaryFeatures {
		counts = append(counts, map[string]any{"feature": f, "userCount": featureCounts[f]})
	}
	return ok(map[string]any{
		"@odata.context":                r.contextURL("microsoft.graph.userRegistrationFeatureSummary"),
		"@odata.type":                   "#microsoft.graph.userRegistrationFeatureSummary",
		"totalUserCount":                total,
		"userTypes":                     userTypes,
		"userRoles":                     userRoles,
		"userRegistrationFeatureCounts": counts,
	})
}

// canonical returns the spelling in values that equals v case-insensitively.
func canonical(v string, values []string) string {
	for _, x := range values {
		if strings.EqualFold(x, v) {
			return x
		}
	}
	return ""
}

// parseFunctionCall splits an OData function segment such as
// usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')
// (already percent-decoded) into its name and parameters. Values are
// single-quoted strings (a quote is doubled); "name()" and a bare "name" have
// no parameters.
func parseFunctionCall(seg string) (string, map[string]string, error) {
	open := strings.IndexByte(seg, '(')
	if open < 0 {
		return seg, nil, nil
	}
	name, rest := seg[:open], seg[open+1:]
	if !strings.HasSuffix(rest, ")") {
		return "", nil, errBadRequest(codeBadBody, "The function call '%s' is missing its closing parenthesis.", seg)
	}
	rest = strings.TrimSpace(rest[:len(rest)-1])
	args := map[string]string{}
	bad := func(why string) error {
		return errBadRequest(codeBadBody, "The parameters of the function call '%s' are not valid: %s; write them as name='value' separated by commas.", seg, why)
	}
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return "", nil, bad("a parameter has no value")
		}
		key := strings.TrimSpace(rest[:eq])
		if key == "" {
			return "", nil, bad("a parameter has no name")
		}
		rest = strings.TrimSpace(rest[eq+1:])
		if !strings.HasPrefix(rest, "'") {
			return "", nil, bad("the value of " + key + " is not quoted")
		}
		var val strings.Builder
		i := 1
		for {
			if i >= len(rest) {
				return "", nil, bad("the value of " + key + " is not terminated")
			}
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					val.WriteByte('\'')
					i += 2
					continue
				}
				break
			}
			val.WriteByte(rest[i])
			i++
		}
		for k := range args {
			if strings.EqualFold(k, key) {
				return "", nil, bad(key + " is given twice")
			}
		}
		args[key] = val.String()
		rest = strings.TrimSpace(rest[i+1:])
		if rest == "" {
			break
		}
		if !strings.HasPrefix(rest, ",") {
			return "", nil, bad("expected a comma after the value of " + key)
		}
		rest = strings.TrimSpace(rest[1:])
		if rest == "" {
			return "", nil, bad("a trailing comma")
		}
	}
	return name, args, nil
}
