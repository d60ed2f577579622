package graph

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/methods"
)

// wrapWrite translates the error of a write on a user's methods. The
// commands resolve the user before writing, so a 404 here means the method
// (or operation) is gone, not the user.
func wrapWrite(op string, err error) error {
	werr := wrap(op, RoleWriteMethods, err)
	if ge, ok := werr.(*Error); ok && ge.Status == 404 && ge.Hint == hintFor(&Error{Status: 404}) {
		ge.Hint, ge.Advice = "", AdviceMethodGone
	}
	return werr
}

func phoneType(t methods.PhoneType) (models.AuthenticationPhoneType, error) {
	switch t {
	case methods.PhoneMobile:
		return models.MOBILE_AUTHENTICATIONPHONETYPE, nil
	case methods.PhoneAlternateMobile:
		return models.ALTERNATEMOBILE_AUTHENTICATIONPHONETYPE, nil
	case methods.PhoneOffice:
		return models.OFFICE_AUTHENTICATIONPHONETYPE, nil
	}
	return 0, fmt.Errorf("graph: unknown phone type %q", t)
}

// phoneBody is the phoneAuthenticationMethod a create or update sends.
func phoneBody(number string, t methods.PhoneType) (*models.PhoneAuthenticationMethod, error) {
	pt, err := phoneType(t)
	if err != nil {
		return nil, err
	}
	body := models.NewPhoneAuthenticationMethod()
	body.SetPhoneNumber(&number)
	body.SetPhoneType(&pt)
	return body, nil
}

// AddPhone registers a phone (POST phoneMethods). number must be in Entra's
// form (methods.Phone.Entra()). It returns the created method; in a dry run
// the zero Method.
func (c *Client) AddPhone(ctx context.Context, user, number string, t methods.PhoneType) (methods.Method, error) {
	op := fmt.Sprintf("add %s phone for %s", t, user)
	body, err := phoneBody(number, t)
	if err != nil {
		return methods.Method{}, err
	}
	b := c.authentication(user).PhoneMethods()
	ri, err := b.ToPostRequestInformation(ctx, body, nil)
	if err != nil {
		return methods.Method{}, wrapWrite(op, err)
	}
	return reconcileWrite(ctx, c, func() (methods.Method, error) {
		res, err := c.send(ctx, c.v1, ri, models.CreatePhoneAuthenticationMethodFromDiscriminatorValue)
		if err != nil || res == nil {
			return methods.Method{}, wrapWrite(op, err)
		}
		return ConvertMethod(res.(models.AuthenticationMethodable)), nil
	}, c.hasPhone(user, number, t))
}

// UpdatePhone changes the number of the user's phone of type t (PATCH on its
// fixed id; the type itself cannot change).
func (c *Client) UpdatePhone(ctx context.Context, user, number string, t methods.PhoneType) error {
	op := fmt.Sprintf("update %s phone of %s", t, user)
	body, err := phoneBody(number, t)
	if err != nil {
		return err
	}
	ri, err := c.authentication(user).PhoneMethods().ByPhoneAuthenticationMethodId(methods.PhoneMethodID(t)).ToPatchRequestInformation(ctx, body, nil)
	if err != nil {
		return wrapWrite(op, err)
	}
	check := c.hasPhone(user, number, t)
	_, err = reconcileWrite(ctx, c, func() (methods.Method, error) {
		_, err := c.send(ctx, c.v1, ri, nil)
		return methods.Method{}, wrapWrite(op, err)
	}, check)
	return err
}

// SetSMSSignIn enables or disables SMS sign-in on the user's mobile phone.
func (c *Client) SetSMSSignIn(ctx context.Context, user string, enable bool) error {
	item := c.authentication(user).PhoneMethods().ByPhoneAuthenticationMethodId(methods.MobilePhoneID)
	var ri *abs.RequestInformation
	var err error
	op := "enable SMS sign-in for " + user
	if enable {
		ri, err = item.EnableSmsSignIn().ToPostRequestInformation(ctx, nil)
	} else {
		op = "disable SMS sign-in for " + user
		ri, err = item.DisableSmsSignIn().ToPostRequestInformation(ctx, nil)
	}
	if err != nil {
		return wrapWrite(op, err)
	}
	// Applied: the mobile's SMS sign-in is ready (enable) or no longer
	// ready (disable); smsSignInState is the read-only property of
	// resources/phoneauthenticationmethod.md.
	check := c.findMethod(user, c.ListMethods, func(m methods.Method) bool {
		return m.Kind == methods.KindPhone && m.PhoneType == methods.PhoneMobile && (m.SMSSignInState == "ready") == enable
	})
	_, err = reconcileWrite(ctx, c, func() (methods.Method, error) {
		_, err := c.send(ctx, c.v1, ri, nil)
		return methods.Method{}, wrapWrite(op, err)
	}, check)
	return err
}

// AddEmail registers the user's email method (SSPR only; one per user).
func (c *Client) AddEmail(ctx context.Context, user, address string) (methods.Method, error) {
	op := "add email method for " + user
	body := models.NewEmailAuthenticationMethod()
	body.SetEmailAddress(&address)
	ri, err := c.authentication(user).EmailMethods().ToPostRequestInformation(ctx, body, nil)
	if err != nil {
		return methods.Method{}, wrapWrite(op, err)
	}
	return reconcileWrite(ctx, c, func() (methods.Method, error) {
		res, err := c.send(ctx, c.v1, ri, models.CreateEmailAuthenticationMethodFromDiscriminatorValue)
		if err != nil || res == nil {
			return methods.Method{}, wrapWrite(op, err)
		}
		return ConvertMethod(res.(models.AuthenticationMethodable)), nil
	}, c.hasEmail(user, "", address))
}

// UpdateEmail changes the address of the user's email method id.
func (c *Client) UpdateEmail(ctx context.Context, user, id, address string) error {
	op := "update email method of " + user
	body := models.NewEmailAuthenticationMethod()
	body.SetEmailAddress(&address)
	ri, err := c.authentication(user).EmailMethods().ByEmailAuthenticationMethodId(id).ToPatchRequestInformation(ctx, body, nil)
	if err != nil {
		return wrapWrite(op, err)
	}
	_, err = reconcileWrite(ctx, c, func() (methods.Method, error) {
		_, err := c.send(ctx, c.v1, ri, nil)
		return methods.Method{}, wrapWrite(op, err)
	}, c.hasEmail(user, id, address))
	return err
}

// hasEmail is the check of an email write: the user's email method (id,
// when given) has this address.
func (c *Client) hasEmail(user, id, address string) checkFunc[methods.Method] {
	return c.findMethod(user, c.ListMethods, func(m methods.Method) bool {
		return m.Kind == methods.KindEmail && (id == "" || strings.EqualFold(m.ID, id)) && strings.EqualFold(m.EmailAddress, address)
	})
}

// TAPRequest is what `tap create` asks for; zero fields take the tenant
// policy's defaults.
type TAPRequest struct {
	// Start is when the pass becomes usable (nil: now).
	Start *time.Time
	// LifetimeMinutes is the pass's lifetime (0: the policy's default).
	LifetimeMinutes int
	// UsableOnce, when set, asks for a one-time (true) or reusable pass.
	UsableOnce *bool
}

// CreateTAP issues a Temporary Access Pass. The returned method carries the
// clear-text pass in Pass: Graph returns it in this response only.
func (c *Client) CreateTAP(ctx context.Context, user string, req TAPRequest) (methods.Method, error) {
	op := "create a Temporary Access Pass for " + user
	body := models.NewTemporaryAccessPassAuthenticationMethod()
	if req.Start != nil {
		start := req.Start.UTC()
		body.SetStartDateTime(&start)
	}
	if req.LifetimeMinutes > 0 {
		l := int32(req.LifetimeMinutes)
		body.SetLifetimeInMinutes(&l)
	}
	body.SetIsUsableOnce(req.UsableOnce)
	ri, err := c.authentication(user).TemporaryAccessPassMethods().ToPostRequestInformation(ctx, body, nil)
	if err != nil {
		return methods.Method{}, wrapWrite(op, err)
	}
	// The clear-text pass is only in the create's answer. When that answer
	// is lost the re-read cannot recover the pass even if it was created,
	// so the check only learns whether the user's methods can still be
	// read, and reports "not applied" either way: the create is then sent
	// again, which replaces a pass that was created (a user has one pass;
	// api/authentication-post-temporaryaccesspassmethods.md), and the admin
	// gets a pass they can hand out.
	check := func(ctx context.Context) (methods.Method, bool, error) {
		_, err := c.ListMethods(ctx, user)
		return methods.Method{}, false, err
	}
	return reconcileWrite(ctx, c, func() (methods.Method, error) {
		res, err := c.send(ctx, c.v1, ri, models.CreateTemporaryAccessPassAuthenticationMethodFromDiscriminatorValue)
		if err != nil || res == nil {
			return methods.Method{}, wrapWrite(op, err)
		}
		return ConvertMethod(res.(models.AuthenticationMethodable)), nil
	}, check)
}

// DeleteMethod removes one method through its type's collection. The
// password cannot be deleted (Graph has no such operation).
func (c *Client) DeleteMethod(ctx context.Context, user string, kind methods.Kind, id string) error {
	op := fmt.Sprintf("remove %s method %s of %s", kind, id, user)
	a := c.authentication(user)
	var ri *abs.RequestInformation
	var err error
	switch kind {
	case methods.KindPhone:
		ri, err = a.PhoneMethods().ByPhoneAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindEmail:
		ri, err = a.EmailMethods().ByEmailAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindTemporaryAccess:
		ri, err = a.TemporaryAccessPassMethods().ByTemporaryAccessPassAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindAuthenticator:
		ri, err = a.MicrosoftAuthenticatorMethods().ByMicrosoftAuthenticatorAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindSoftwareOath:
		ri, err = a.SoftwareOathMethods().BySoftwareOathAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindFido2:
		ri, err = a.Fido2Methods().ByFido2AuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindWindowsHello:
		ri, err = a.WindowsHelloForBusinessMethods().ByWindowsHelloForBusinessAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	case methods.KindPlatformCredential:
		ri, err = a.PlatformCredentialMethods().ByPlatformCredentialAuthenticationMethodId(id).ToDeleteRequestInformation(ctx, nil)
	default:
		return &UsageError{Msg: fmt.Sprintf("%s methods cannot be removed through Graph", kind.Label())}
	}
	if err != nil {
		return wrapWrite(op, err)
	}
	_, err = reconcileWrite(ctx, c, noResult(func() error {
		_, err := c.send(ctx, c.v1, ri, nil)
		return wrapWrite(op, err)
	}), c.methodGone(user, id, c.ListMethods))
	return err
}

// PasswordReset is the outcome of a password reset.
type PasswordReset struct {
	// NewPassword is the password the service generated; empty when the
	// admin chose it. It is a secret to hand to the user.
	NewPassword string `json:"newPassword,omitempty"`
	// Operation is the long-running operation that tracks the reset.
	Operation Operation `json:"operation"`
}

// Operation is a long-running operation (a password reset's progress).
type Operation struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Location is where its status is read.
	Location string `json:"location,omitempty"`
}

// Done reports whether the operation finished, one way or the other.
func (o Operation) Done() bool {
	return o.Status == "succeeded" || o.Status == "failed" || o.Status == "skipped"
}

// ResetPassword resets the user's password (POST .../methods/{passwordId}/resetPassword).
// An empty newPassword lets the service generate one (cloud-only accounts).
// Graph allows it only for delegated sign-ins and never on the caller's own
// account. It does not wait for the operation; see WaitOperation.
func (c *Client) ResetPassword(ctx context.Context, user, newPassword string) (PasswordReset, error) {
	op := "reset the password of " + user
	body := users.NewItemAuthenticationMethodsItemResetPasswordPostRequestBody()
	if newPassword != "" {
		body.SetNewPassword(&newPassword)
	}
	ri, err := c.authentication(user).Methods().ByAuthenticationMethodId(methods.PasswordMethodID).ResetPassword().ToPostRequestInformation(ctx, body, nil)
	if err != nil {
		return PasswordReset{}, wrapWrite(op, err)
	}
	// The operation's address only comes back in the Location header.
	inspect := khttp.NewHeadersInspectionOptions()
	inspect.InspectResponseHeaders = true
	ri.AddRequestOptions([]abs.RequestOption{inspect})
	// A lost answer cannot be re-read: Graph keeps no readable trace of a
	// reset (the operation's address is in the lost Location header). A
	// reset sent again leaves the same state whether or not the lost one
	// was applied (the admin's password, or a new generated one in this
	// answer, replacing one nobody saw), so the check only confirms the
	// user can still be read and the reset is sent again.
	check := func(ctx context.Context) (serialization.Parsable, bool, error) {
		_, err := c.ListMethods(ctx, user)
		return nil, false, err
	}
	res, err := reconcileWrite(ctx, c, func() (serialization.Parsable, error) {
		return c.send(ctx, c.v1, ri, models.CreatePasswordResetResponseFromDiscriminatorValue)
	}, check)
	if err != nil || c.plan != nil {
		return PasswordReset{}, wrapWrite(op, err)
	}
	out := PasswordReset{}
	if r, ok := res.(models.PasswordResetResponseable); ok && r != nil {
		out.NewPassword = deref(r.GetNewPassword())
	}
	if loc := first(inspect.GetResponseHeaders().Get("Location")); loc != "" {
		out.Operation = Operation{ID: operationID(loc), Status: "notStarted", Location: loc}
	}
	return out, nil
}

// operationID takes the last path segment of an operation's Location.
func operationID(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.Path, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

// GetOperation reads a long-running operation of the user.
func (c *Client) GetOperation(ctx context.Context, user, id string) (Operation, error) {
	res, err := c.authentication(user).Operations().ByLongRunningOperationId(id).Get(ctx, nil)
	if err != nil {
		return Operation{}, wrap("read operation "+id+" of "+user, RoleReadMethods, err)
	}
	out := Operation{ID: deref(res.GetId())}
	if s := res.GetStatus(); s != nil {
		out.Status = s.String()
	}
	return out, nil
}

// WaitOperation polls an operation until it is done, ctx ends, or poll
// returns false (it is called with the last status between polls, so the
// caller decides the pace and the patience).
func (c *Client) WaitOperation(ctx context.Context, user string, op Operation, pause func(attempt int) bool) (Operation, error) {
	for attempt := 0; ; attempt++ {
		cur, err := c.GetOperation(ctx, user, op.ID)
		if err != nil {
			return op, err
		}
		cur.Location = op.Location
		op = cur
		if op.Done() || !pause(attempt) {
			return op, nil
		}
	}
}

// RevokeSessions invalidates the user's refresh tokens and session cookies
// (POST /users/{id}/revokeSignInSessions).
func (c *Client) RevokeSessions(ctx context.Context, user string) error {
	op := "revoke the sign-in sessions of " + user
	ri, err := c.users().ByUserId(user).RevokeSignInSessions().ToPostRequestInformation(ctx, nil)
	if err != nil {
		return wrap(op, RoleSessions, err)
	}
	if c.plan != nil {
		_, err := c.send(ctx, c.v1, ri, nil)
		return err
	}
	// Applied: signInSessionsValidFromDateTime moved past its value
	// before the request (resources/user.md: revoking sets it to the
	// current time).
	before, err := c.sessionsValidFrom(ctx, user)
	if err != nil {
		return wrap(op, RoleSessions, err)
	}
	check := func(ctx context.Context) (serialization.Parsable, bool, error) {
		after, err := c.sessionsValidFrom(ctx, user)
		return nil, err == nil && after.After(before), err
	}
	res, err := reconcileWrite(ctx, c, func() (serialization.Parsable, error) {
		return c.send(ctx, c.v1, ri, users.CreateItemRevokeSignInSessionsPostResponseFromDiscriminatorValue)
	}, check)
	if err != nil {
		return wrap(op, RoleSessions, err)
	}
	if r, ok := res.(users.ItemRevokeSignInSessionsPostResponseable); ok && r != nil && r.GetValue() != nil && !*r.GetValue() {
		return &Error{Op: op, Message: "Graph answered that the sessions were not revoked", Hint: "run the command again"}
	}
	return nil
}

// sessionsValidFrom reads the user's signInSessionsValidFromDateTime.
func (c *Client) sessionsValidFrom(ctx context.Context, user string) (time.Time, error) {
	ri := rawRequest(c.v1, abs.GET, "/users/{user%2Did}{?%24select}", map[string]string{"user%2Did": user})
	ri.QueryParameters["%24select"] = "signInSessionsValidFromDateTime"
	var u struct {
		ValidFrom time.Time `json:"signInSessionsValidFromDateTime"`
	}
	err := getJSON(ctx, c.v1, ri, &u)
	return u.ValidFrom, err
}
