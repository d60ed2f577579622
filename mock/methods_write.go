package mock

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// deletableKinds are the method types Graph can delete per type (v1.0). The
// password cannot be deleted: its collection has no DELETE, so the router
// answers 405 as Graph does.
var deletableKinds = []methods.Kind{
	methods.KindPhone, methods.KindEmail, methods.KindTemporaryAccess, methods.KindAuthenticator,
	methods.KindSoftwareOath, methods.KindFido2, methods.KindWindowsHello, methods.KindPlatformCredential,
}

func (s *Server) methodWriteRoutes(rt *router) {
	auth := "/users/{user}/authentication/"
	rt.add("POST", auth+"phoneMethods", s.createPhone)
	rt.add("PATCH", auth+"phoneMethods/{id}", s.updatePhone)
	rt.add("POST", auth+"phoneMethods/{id}/enableSmsSignIn", s.setSMSSignIn(true))
	rt.add("POST", auth+"phoneMethods/{id}/disableSmsSignIn", s.setSMSSignIn(false))
	rt.add("POST", auth+"emailMethods", s.createEmail)
	rt.add("PATCH", auth+"emailMethods/{id}", s.updateEmail)
	rt.add("POST", auth+"temporaryAccessPassMethods", s.createTAP)
	for _, k := range deletableKinds {
		rt.add("DELETE", auth+k.CollectionSegment()+"/{id}", s.deleteMethodHandler(k))
	}
}

// methodWrite runs fn in one write transaction on a user the caller may
// change, with the user's current methods.
func (s *Server) methodWrite(r *request, fn func(tx store.Tx, u *userRecord, ms []methodRecord) error) error {
	return s.store.Update(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if err := canWriteMethods(r.caller, u); err != nil {
			return err
		}
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return err
		}
		return fn(tx, u, ms)
	})
}

func findMethod(ms []methodRecord, id string, kind methods.Kind) *methodRecord {
	for i := range ms {
		if strings.EqualFold(ms[i].ID, id) && (kind == "" || ms[i].Kind == kind) {
			return &ms[i]
		}
	}
	return nil
}

func findPhone(ms []methodRecord, t methods.PhoneType) *methodRecord {
	for i := range ms {
		if ms[i].Kind == methods.KindPhone && ms[i].PhoneType == t {
			return &ms[i]
		}
	}
	return nil
}

func methodNotFound(id string, u *userRecord) *graphError {
	return errNotFound("The requested authentication method '%s' was not found for user '%s'.", id, u.UPN)
}

// phoneBody is a phoneAuthenticationMethod as a client sends it.
type phoneBody struct {
	ODataType      *string `json:"@odata.type"`
	ID             *string `json:"id"`
	PhoneNumber    *string `json:"phoneNumber"`
	PhoneType      *string `json:"phoneType"`
	SMSSignInState *string `json:"smsSignInState"`
}

func (b *phoneBody) check() error {
	if b.ODataType != nil && *b.ODataType != methods.KindPhone.ODataType() {
		return errBadRequest(codeBadBody, "A type named '%s' is not expected here; expected '%s'.", *b.ODataType, methods.KindPhone.ODataType())
	}
	if b.SMSSignInState != nil {
		return errBadRequest(codeBadBody, "The property 'smsSignInState' is read-only and cannot be set.")
	}
	if b.ID != nil {
		return errBadRequest(codeBadBody, "The property 'id' is read-only and cannot be set.")
	}
	return nil
}

func parsePhoneType(s string) (methods.PhoneType, error) {
	for _, t := range methods.PhoneTypes {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(methods.PhoneTypes))
	for i, t := range methods.PhoneTypes {
		names[i] = string(t)
	}
	return "", invalidEnum("phoneType", s, names)
}

// initialSMSState is smsSignInState of a new phone: only the mobile can do
// SMS sign-in, and only when the policy allows it. Then "the system will
// attempt to register the number for use in that system", and the
// documented example answers "ready"
// (api-reference/v1.0/api/authentication-post-phonemethods.md); a number
// another user already signs in with cannot be registered
// (phoneNumberNotUnique, api-reference/v1.0/resources/phoneauthenticationmethod.md).
func initialSMSState(t methods.PhoneType, p smsPolicyRecord, numberTaken bool) string {
	switch {
	case t != methods.PhoneMobile:
		return "notSupported"
	case !p.allowsSignIn():
		return "notAllowedByPolicy"
	case numberTaken:
		return "phoneNumberNotUnique"
	}
	return "ready"
}

func (s *Server) createPhone(r *request) (*response, error) {
	var b phoneBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	if b.PhoneType == nil || b.PhoneNumber == nil {
		return nil, errBadRequest(codeBadBody, "phoneNumber and phoneType are required.")
	}
	t, err := parsePhoneType(*b.PhoneType)
	if err != nil {
		return nil, err
	}
	if err := methods.ValidEntraFormat(*b.PhoneNumber, t); err != nil {
		return nil, phoneFormatError(err)
	}
	var body map[string]any
	err = s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		rec, err := addPhone(tx, u, ms, *b.PhoneNumber, t)
		if err != nil {
			return err
		}
		body = renderMethod(rec, masksPhones(r.caller, u))
		body["@odata.context"] = r.contextURL("users('" + u.ID + "')/authentication/phoneMethods/$entity")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created(body)
}

// checkPhoneAdd applies the rules of adding a phone of type t to a user
// with methods ms: one phone per type, and an alternateMobile needs a
// mobile. The number's format is checked before (ValidEntraFormat).
func checkPhoneAdd(ms []methodRecord, t methods.PhoneType) error {
	switch code := entra.CheckPhoneAdd(entra.PhonesOf(methodsOf(ms)), t); code {
	case "":
		return nil
	case entra.CodePhoneTypeExists:
		return ruleError(code, "The user already has a phone method of type '%s'.", t)
	default:
		return ruleError(code, "An alternateMobile phone requires a mobile phone.")
	}
}

// addPhone stores a new phone method after the rules of POST phoneMethods:
// the Graph endpoint and the emulator's phone enrolment both add phones
// through it, so the two can never disagree.
func addPhone(tx store.Tx, u *userRecord, ms []methodRecord, number string, t methods.PhoneType) (*methodRecord, error) {
	if err := checkPhoneAdd(ms, t); err != nil {
		return nil, err
	}
	pol, err := smsPolicy(tx)
	if err != nil {
		return nil, err
	}
	taken := false
	if t == methods.PhoneMobile && pol.allowsSignIn() {
		other, err := smsNumberOwner(tx, u.ID, number)
		if err != nil {
			return nil, err
		}
		taken = other != ""
	}
	rec := &methodRecord{UserID: u.ID, Method: methods.Method{
		ID: methods.PhoneMethodID(t), Kind: methods.KindPhone, PhoneType: t, PhoneNumber: number,
		SMSSignInState: initialSMSState(t, pol, taken),
	}}
	if err := putMethod(tx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func (s *Server) updatePhone(r *request) (*response, error) {
	var b phoneBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		// "Self-service operations aren't supported."
		// (api-reference/v1.0/api/phoneauthenticationmethod-update.md; its
		// only HTTP request is the /users/{id | userPrincipalName} form "to
		// update another user's" phone). The page names no error; the mock
		// answers as it answers any refused right.
		if isSelf(r.caller, u) {
			return newError(http.StatusForbidden, codeDenied, "Self-service operations aren't supported: a user cannot update their own phone method with this API; delete it and add the new number, or ask an administrator.")
		}
		m := findMethod(ms, r.params["id"], methods.KindPhone)
		if m == nil {
			return methodNotFound(r.params["id"], u)
		}
		if b.PhoneType != nil {
			t, err := parsePhoneType(*b.PhoneType)
			if err != nil {
				return err
			}
			if code := entra.CheckPhoneUpdate(m.PhoneType, t); code != "" {
				return ruleError(code, "The phoneType of a phone method cannot be changed from '%s' to '%s'.", m.PhoneType, t)
			}
		}
		if b.PhoneNumber == nil {
			return nil
		}
		if err := methods.ValidEntraFormat(*b.PhoneNumber, m.PhoneType); err != nil {
			return phoneFormatError(err)
		}
		changed := !methods.SameNumber(m.PhoneNumber, *b.PhoneNumber)
		m.PhoneNumber = *b.PhoneNumber
		// A mobile number used for SMS sign-in, or refused for it as not
		// unique, is registered again when it changes
		// (authentication-post-phonemethods.md: "the system will attempt to
		// register the number"; the update page is silent, so a change is
		// read as a new registration): a number another user signs in with
		// cannot be, any other can. A state the admin or the policy set
		// (notEnabled, notAllowedByPolicy) stays.
		if changed && (m.SMSSignInState == "ready" || m.SMSSignInState == "phoneNumberNotUnique") {
			other, err := smsNumberOwner(tx, u.ID, m.PhoneNumber)
			if err != nil {
				return err
			}
			m.SMSSignInState = "ready"
			if other != "" {
				m.SMSSignInState = "phoneNumberNotUnique"
			}
		}
		return putMethod(tx, m)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

func (s *Server) setSMSSignIn(enable bool) handlerFunc {
	return func(r *request) (*response, error) {
		err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
			m := findMethod(ms, r.params["id"], methods.KindPhone)
			if m == nil {
				return methodNotFound(r.params["id"], u)
			}
			if m.PhoneType != methods.PhoneMobile {
				return ruleError(entra.CodeSMSSignInNotSupported, "SMS sign-in is only supported on the mobile phone method (%s), not on '%s'.", methods.MobilePhoneID, m.PhoneType)
			}
			if !enable {
				m.SMSSignInState = "notEnabled"
				return putMethod(tx, m)
			}
			pol, err := smsPolicy(tx)
			if err != nil {
				return err
			}
			if !pol.allowsSignIn() {
				return ruleError(entra.CodeSMSSignInNotAllowed, "The authentication methods policy does not enable this user for SMS sign-in.")
			}
			other, err := smsNumberOwner(tx, u.ID, m.PhoneNumber)
			if err != nil {
				return err
			}
			if other != "" {
				return ruleError(entra.CodePhoneNumberNotUnique, "The phone number '%s' is registered to another user in the tenant; SMS sign-in needs a unique phone number.", maskIf(masksPhones(r.caller, u), m.PhoneNumber))
			}
			m.SMSSignInState = "ready"
			return putMethod(tx, m)
		})
		if err != nil {
			return nil, err
		}
		return noContent()
	}
}

func maskIf(mask bool, number string) string {
	if mask {
		return maskPhoneNumber(number)
	}
	return number
}

// emailBody is an emailAuthenticationMethod as a client sends it.
type emailBody struct {
	ODataType    *string `json:"@odata.type"`
	EmailAddress *string `json:"emailAddress"`
}

func (b *emailBody) address() (string, error) {
	if b.ODataType != nil && *b.ODataType != methods.KindEmail.ODataType() {
		return "", errBadRequest(codeBadBody, "A type named '%s' is not expected here; expected '%s'.", *b.ODataType, methods.KindEmail.ODataType())
	}
	if b.EmailAddress == nil {
		return "", errBadRequest(codeBadBody, "emailAddress is required.")
	}
	a, err := mail.ParseAddress(*b.EmailAddress)
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(*b.EmailAddress) {
		return "", ruleError(entra.CodeInvalidEmail, "'%s' is not a valid email address.", *b.EmailAddress)
	}
	return a.Address, nil
}

// checkEmailAdd refuses a second email method: a user has at most one
// (api-reference/v1.0/api/authentication-post-emailmethods.md).
func checkEmailAdd(ms []methodRecord) error {
	for _, m := range ms {
		if m.Kind == methods.KindEmail {
			return ruleError(entra.CodeEmailExists, "The user already has an email method.")
		}
	}
	return nil
}

// addEmail saves the email method. Graph's POST emailMethods and the
// emulated portal's verified address (an email challenge) both come here.
func addEmail(tx store.Tx, u *userRecord, ms []methodRecord, addr string) (*methodRecord, error) {
	if err := checkEmailAdd(ms); err != nil {
		return nil, err
	}
	rec := &methodRecord{UserID: u.ID, Method: methods.Method{ID: methods.EmailMethodID, Kind: methods.KindEmail, EmailAddress: addr}}
	return rec, putMethod(tx, rec)
}

func (s *Server) createEmail(r *request) (*response, error) {
	var b emailBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	addr, err := b.address()
	if err != nil {
		return nil, err
	}
	var body map[string]any
	err = s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		rec, err := addEmail(tx, u, ms, addr)
		if err != nil {
			return err
		}
		body = renderMethod(rec, false)
		body["@odata.context"] = r.contextURL("users('" + u.ID + "')/authentication/emailMethods/$entity")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created(body)
}

func (s *Server) updateEmail(r *request) (*response, error) {
	var b emailBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	addr, err := b.address()
	if err != nil {
		return nil, err
	}
	err = s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		m := findMethod(ms, r.params["id"], methods.KindEmail)
		if m == nil {
			return methodNotFound(r.params["id"], u)
		}
		m.EmailAddress = addr
		return putMethod(tx, m)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// tapBody is a temporaryAccessPassAuthenticationMethod as a client sends it.
type tapBody struct {
	ODataType         *string    `json:"@odata.type"`
	StartDateTime     *time.Time `json:"startDateTime"`
	LifetimeInMinutes *int       `json:"lifetimeInMinutes"`
	IsUsableOnce      *bool      `json:"isUsableOnce"`
}

// tapAlphabet is what generated passes are made of: letters, digits and a
// few symbols, as in Graph's examples ("+drkzqAD"), without look-alikes.
const tapAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+-@#"

func generateSecret(alphabet string, n int) (string, error) {
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		out[i] = alphabet[v.Int64()]
	}
	return string(out), nil
}

func newSalt() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) createTAP(r *request) (*response, error) {
	var b tapBody
	if len(strings.TrimSpace(string(r.body))) > 0 {
		if err := r.decode(&b); err != nil {
			return nil, err
		}
	}
	if b.ODataType != nil && *b.ODataType != methods.KindTemporaryAccess.ODataType() {
		return nil, errBadRequest(codeBadBody, "A type named '%s' is not expected here; expected '%s'.", *b.ODataType, methods.KindTemporaryAccess.ODataType())
	}
	now := s.now().UTC().Truncate(time.Second)
	var body map[string]any
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		pol, err := tapPolicy(tx)
		if err != nil {
			return err
		}
		lifetime := pol.DefaultLifetime
		if b.LifetimeInMinutes != nil {
			lifetime = *b.LifetimeInMinutes
		}
		var start *time.Time
		if b.StartDateTime != nil {
			st := b.StartDateTime.UTC()
			start = &st
		}
		code := entra.CheckTAP(entra.TAPPolicy{Enabled: pol.Enabled, MinLifetime: pol.MinLifetime, MaxLifetime: pol.MaxLifetime, UsableOnce: pol.UsableOnce},
			entra.TAPRequest{LifetimeMinutes: lifetime, UsableOnce: b.IsUsableOnce, Start: start}, now)
		switch code {
		case entra.CodeTAPDisabled:
			return ruleError(code, "The Temporary Access Pass method is disabled in the authentication methods policy.")
		case entra.CodeTAPLifetime:
			return ruleError(code, "lifetimeInMinutes %d is outside the policy's range of %d to %d minutes.", lifetime, pol.MinLifetime, pol.MaxLifetime)
		case entra.CodeTAPOneTimeOnly:
			return ruleError(code, "The Temporary Access Pass policy only allows one-time passes; isUsableOnce must be true.")
		case entra.CodeInvalidStart:
			return ruleError(code, "startDateTime %s lies in the past.", start.Format(time.RFC3339))
		}
		once := pol.UsableOnce
		if b.IsUsableOnce != nil {
			once = *b.IsUsableOnce
		}
		if start == nil {
			start = &now
		}
		// One pass per user: a new pass replaces the current one.
		for _, m := range ms {
			if m.Kind == methods.KindTemporaryAccess {
				if err := deleteMethod(tx, u.ID, m.ID); err != nil {
					return err
				}
			}
		}
		pass, err := generateSecret(tapAlphabet, pol.DefaultLength)
		if err != nil {
			return err
		}
		id, err := newGUID()
		if err != nil {
			return err
		}
		rec := &methodRecord{UserID: u.ID, PassHash: hashPass(newSalt(), pass), Method: methods.Method{
			ID: id, Kind: methods.KindTemporaryAccess, Created: &now, StartDateTime: start,
			LifetimeInMinutes: lifetime, IsUsableOnce: &once,
		}}
		if err := putMethod(tx, rec); err != nil {
			return err
		}
		if err := hydrate(tx, rec, s.now()); err != nil {
			return err
		}
		body = renderMethod(rec, false)
		// The clear-text pass appears in this response and nowhere else.
		body["temporaryAccessPass"] = pass
		body["@odata.context"] = r.contextURL("users('" + u.ID + "')/authentication/temporaryAccessPassMethods/$entity")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created(body)
}

func newGUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

func (s *Server) deleteMethodHandler(kind methods.Kind) handlerFunc {
	return func(r *request) (*response, error) {
		err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
			m := findMethod(ms, r.params["id"], kind)
			if m == nil {
				return methodNotFound(r.params["id"], u)
			}
			if m.Kind == methods.KindPhone {
				if code := entra.CheckPhoneDelete(entra.PhonesOf(methodsOf(ms)), m.PhoneType); code != "" {
					return ruleError(code, "The mobile phone cannot be deleted while the user has an alternateMobile phone.")
				}
			}
			clearPreferred, err := checkDefaultDeletion(u, ms, m)
			if err != nil {
				return err
			}
			if clearPreferred {
				u.PreferredMethod = ""
				if err := putUser(tx, u); err != nil {
					return err
				}
			}
			return deleteMethod(tx, u.ID, m.ID)
		})
		if err != nil {
			return nil, err
		}
		return noContent()
	}
}
