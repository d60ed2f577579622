package mock_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/mock"
)

// writeTargets gives each target its own server, so a write made through
// one does not change what the other sees.
func writeTargets(t *testing.T, token string) []sdkTarget {
	t.Helper()
	return []sdkTarget{sdkTargets(t, token)[0], sdkTargets(t, token)[1]}
}

const (
	mobileID    = "3179e48a-750b-4051-897c-87b9720928f7"
	alternateID = "b6332ec1-7057-4abe-9331-3d72feddfe41"
	officeID    = "e37fc753-ff3b-4958-9484-eaa9425c82bc"
	passwordID  = "28c10230-6103-485e-b985-444c60001490"
	emailID     = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f"
)

func newPhone(number string, t models.AuthenticationPhoneType) *models.PhoneAuthenticationMethod {
	p := models.NewPhoneAuthenticationMethod()
	p.SetPhoneNumber(&number)
	p.SetPhoneType(&t)
	return p
}

func TestSDKPhoneWrites(t *testing.T) {
	for _, target := range writeTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ctx := context.Background()
			phones := usersBuilder(target.adapter).ByUserId("alex.wilber@contoso.example").Authentication().PhoneMethods()
			created, err := phones.Post(ctx, newPhone("+1 4255550190", models.MOBILE_AUTHENTICATIONPHONETYPE), nil)
			if err != nil {
				t.Fatal(err)
			}
			if *created.GetId() != mobileID || *created.GetPhoneNumber() != "+1 4255550190" || created.GetPhoneType().String() != "mobile" || created.GetSmsSignInState().String() != "ready" {
				t.Fatalf("created %v %v %v", *created.GetId(), *created.GetPhoneNumber(), created.GetSmsSignInState())
			}
			if _, err := phones.Post(ctx, newPhone("+1 4255550191", models.ALTERNATEMOBILE_AUTHENTICATIONPHONETYPE), nil); err != nil {
				t.Fatal(err)
			}
			office, err := phones.Post(ctx, newPhone("+1 4255550192x77", models.OFFICE_AUTHENTICATIONPHONETYPE), nil)
			if err != nil || *office.GetId() != officeID || office.GetSmsSignInState().String() != "notSupported" {
				t.Fatalf("office %v", err)
			}
			item := phones.ByPhoneAuthenticationMethodId(mobileID)
			// PATCH answers 204, which the SDK returns as nil, nil.
			if res, err := item.Patch(ctx, newPhone("+1 4255550193", models.MOBILE_AUTHENTICATIONPHONETYPE), nil); err != nil || res != nil {
				t.Fatalf("patch: %v %v", res, err)
			}
			if err := item.EnableSmsSignIn().Post(ctx, nil); err != nil {
				t.Fatal(err)
			}
			got, err := item.Get(ctx, nil)
			if err != nil || *got.GetPhoneNumber() != "+1 4255550193" || got.GetSmsSignInState().String() != "ready" {
				t.Fatalf("after enable: %v", err)
			}
			if err := item.DisableSmsSignIn().Post(ctx, nil); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{officeID, alternateID, mobileID} {
				if err := phones.ByPhoneAuthenticationMethodId(id).Delete(ctx, nil); err != nil {
					t.Fatalf("delete %s: %v", id, err)
				}
			}
			list, err := phones.Get(ctx, nil)
			if err != nil || len(list.GetValue()) != 0 {
				t.Fatalf("phones left: %v", err)
			}
		})
	}
}

func TestSDKEmailTAPAndDeletes(t *testing.T) {
	for _, target := range writeTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ctx := context.Background()
			auth := usersBuilder(target.adapter).ByUserId("alex.wilber@contoso.example").Authentication()
			e := models.NewEmailAuthenticationMethod()
			addr := "alex@outlook.example"
			e.SetEmailAddress(&addr)
			email, err := auth.EmailMethods().Post(ctx, e, nil)
			if err != nil || *email.GetId() != emailID || *email.GetEmailAddress() != addr {
				t.Fatalf("email: %v", err)
			}
			addr2 := "alex2@outlook.example"
			e.SetEmailAddress(&addr2)
			if _, err := auth.EmailMethods().ByEmailAuthenticationMethodId(emailID).Patch(ctx, e, nil); err != nil {
				t.Fatal(err)
			}
			if err := auth.EmailMethods().ByEmailAuthenticationMethodId(emailID).Delete(ctx, nil); err != nil {
				t.Fatal(err)
			}

			body := models.NewTemporaryAccessPassAuthenticationMethod()
			lifetime, once := int32(120), true
			start := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
			body.SetLifetimeInMinutes(&lifetime)
			body.SetIsUsableOnce(&once)
			body.SetStartDateTime(&start)
			tap, err := auth.TemporaryAccessPassMethods().Post(ctx, body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tap.GetTemporaryAccessPass() == nil || len(*tap.GetTemporaryAccessPass()) != 8 || *tap.GetLifetimeInMinutes() != 120 || !*tap.GetIsUsableOnce() ||
				*tap.GetIsUsable() || *tap.GetMethodUsabilityReason() != "NotYetValid" || !tap.GetStartDateTime().Equal(start) {
				t.Fatalf("tap: %v %v %v", tap.GetTemporaryAccessPass(), tap.GetIsUsable(), tap.GetMethodUsabilityReason())
			}
			again, err := auth.TemporaryAccessPassMethods().ByTemporaryAccessPassAuthenticationMethodId(*tap.GetId()).Get(ctx, nil)
			if err != nil || again.GetTemporaryAccessPass() != nil {
				t.Fatalf("the pass must not come back: %v", err)
			}
			if err := auth.TemporaryAccessPassMethods().ByTemporaryAccessPassAuthenticationMethodId(*tap.GetId()).Delete(ctx, nil); err != nil {
				t.Fatal(err)
			}

			// Per-type deletes of the types Graph cannot create.
			h := usersBuilder(target.adapter).ByUserId("henrietta.mueller@contoso.example").Authentication()
			ms, err := h.Methods().Get(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms.GetValue() {
				id := *m.GetId()
				switch m.(type) {
				case *models.Fido2AuthenticationMethod:
					err = h.Fido2Methods().ByFido2AuthenticationMethodId(id).Delete(ctx, nil)
				case *models.WindowsHelloForBusinessAuthenticationMethod:
					err = h.WindowsHelloForBusinessMethods().ByWindowsHelloForBusinessAuthenticationMethodId(id).Delete(ctx, nil)
				case *models.PlatformCredentialAuthenticationMethod:
					err = h.PlatformCredentialMethods().ByPlatformCredentialAuthenticationMethodId(id).Delete(ctx, nil)
				default:
					continue
				}
				if err != nil {
					t.Fatalf("delete %T: %v", m, err)
				}
			}
			a := usersBuilder(target.adapter).ByUserId("auditor@contoso.example").Authentication()
			ms, err = a.Methods().Get(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms.GetValue() {
				switch m.(type) {
				case *models.MicrosoftAuthenticatorAuthenticationMethod:
					err = a.MicrosoftAuthenticatorMethods().ByMicrosoftAuthenticatorAuthenticationMethodId(*m.GetId()).Delete(ctx, nil)
				case *models.SoftwareOathAuthenticationMethod:
					err = a.SoftwareOathMethods().BySoftwareOathAuthenticationMethodId(*m.GetId()).Delete(ctx, nil)
				default:
					continue
				}
				if err != nil {
					t.Fatalf("delete %T: %v", m, err)
				}
			}
			left, err := a.Methods().Get(ctx, nil)
			if err != nil || len(left.GetValue()) != 1 {
				t.Fatalf("only the password stays: %v", err)
			}
		})
	}
}

func TestSDKResetPasswordAndRevokeSessions(t *testing.T) {
	for _, target := range writeTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ctx := context.Background()
			user := usersBuilder(target.adapter).ByUserId("adele.vance@contoso.example")
			inspect := khttp.NewHeadersInspectionOptions()
			inspect.InspectResponseHeaders = true
			res, err := user.Authentication().Methods().ByAuthenticationMethodId(passwordID).ResetPassword().Post(ctx,
				users.NewItemAuthenticationMethodsItemResetPasswordPostRequestBody(),
				&users.ItemAuthenticationMethodsItemResetPasswordRequestBuilderPostRequestConfiguration{Options: []abs.RequestOption{inspect}})
			if err != nil || res.GetNewPassword() == nil || len(*res.GetNewPassword()) < 8 {
				t.Fatalf("reset: %v", err)
			}
			loc := inspect.GetResponseHeaders().Get("Location")
			if len(loc) != 1 {
				t.Fatalf("Location: %v", loc)
			}
			op, err := user.Authentication().Operations().ByLongRunningOperationId(loc[0][len(loc[0])-36:]).Get(ctx, nil)
			if err != nil || op.GetStatus().String() != "succeeded" {
				t.Fatalf("operation: %v", err)
			}
			revoked, err := user.RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil)
			if err != nil || revoked.GetValue() == nil || !*revoked.GetValue() {
				t.Fatalf("revoke: %v", err)
			}
		})
	}
}

// Every rule the SDK can break through its v1.0 builders answers with the
// rule's status and code in an *odataerrors.ODataError.
func TestSDKRuleErrorCodes(t *testing.T) {
	ctx := context.Background()
	type call func(a abs.RequestAdapter) error
	phonePost := func(user, number string, pt models.AuthenticationPhoneType) call {
		return func(a abs.RequestAdapter) error {
			_, err := usersBuilder(a).ByUserId(user).Authentication().PhoneMethods().Post(ctx, newPhone(number, pt), nil)
			return err
		}
	}
	tapPost := func(minutes int32, start *time.Time) call {
		return func(a abs.RequestAdapter) error {
			b := models.NewTemporaryAccessPassAuthenticationMethod()
			b.SetLifetimeInMinutes(&minutes)
			b.SetStartDateTime(start)
			_, err := usersBuilder(a).ByUserId("alex.wilber@contoso.example").Authentication().TemporaryAccessPassMethods().Post(ctx, b, nil)
			return err
		}
	}
	email := func(user, addr string) call {
		return func(a abs.RequestAdapter) error {
			e := models.NewEmailAuthenticationMethod()
			e.SetEmailAddress(&addr)
			_, err := usersBuilder(a).ByUserId(user).Authentication().EmailMethods().Post(ctx, e, nil)
			return err
		}
	}
	past := time.Now().Add(-24 * time.Hour)
	tests := []struct {
		name   string
		token  string
		call   call
		status int
		code   string
	}{
		{"format", mock.DefaultAdminToken, phonePost("alex.wilber@contoso.example", "+1-425-555-0100", models.MOBILE_AUTHENTICATIONPHONETYPE), 400, string(entra.CodeInvalidPhoneNumber)},
		{"duplicate type", mock.DefaultAdminToken, phonePost("adele.vance@contoso.example", "+1 4255550100", models.MOBILE_AUTHENTICATIONPHONETYPE), 400, string(entra.CodePhoneTypeExists)},
		{"alternate without mobile", mock.DefaultAdminToken, phonePost("alex.wilber@contoso.example", "+1 4255550100", models.ALTERNATEMOBILE_AUTHENTICATIONPHONETYPE), 400, string(entra.CodeMobileRequired)},
		{"type change", mock.DefaultAdminToken, func(a abs.RequestAdapter) error {
			_, err := usersBuilder(a).ByUserId("adele.vance@contoso.example").Authentication().PhoneMethods().ByPhoneAuthenticationMethodId(mobileID).
				Patch(ctx, newPhone("+1 4255550100", models.OFFICE_AUTHENTICATIONPHONETYPE), nil)
			return err
		}, 400, string(entra.CodePhoneTypeImmutable)},
		{"sms sign-in on alternate", mock.DefaultAdminToken, func(a abs.RequestAdapter) error {
			return usersBuilder(a).ByUserId("lee.gu@contoso.example").Authentication().PhoneMethods().ByPhoneAuthenticationMethodId(alternateID).EnableSmsSignIn().Post(ctx, nil)
		}, 400, string(entra.CodeSMSSignInNotSupported)},
		{"second email", mock.DefaultAdminToken, email("miriam.graham@contoso.example", "m@outlook.example"), 400, string(entra.CodeEmailExists)},
		{"bad email", mock.DefaultAdminToken, email("alex.wilber@contoso.example", "not an address"), 400, string(entra.CodeInvalidEmail)},
		{"tap lifetime", mock.DefaultAdminToken, tapPost(600, nil), 400, string(entra.CodeTAPLifetime)},
		{"tap start", mock.DefaultAdminToken, tapPost(60, &past), 400, string(entra.CodeInvalidStart)},
		{"default in use", mock.DefaultAdminToken, func(a abs.RequestAdapter) error {
			auth := usersBuilder(a).ByUserId("diego.siciliani@contoso.example").Authentication()
			if _, err := auth.PhoneMethods().Post(ctx, newPhone("+44 7700900124", models.OFFICE_AUTHENTICATIONPHONETYPE), nil); err != nil {
				return err
			}
			return auth.PhoneMethods().ByPhoneAuthenticationMethodId(mobileID).Delete(ctx, nil)
		}, 400, string(entra.CodeDefaultMethodInUse)},
		{"own password", mock.DefaultAdminToken, func(a abs.RequestAdapter) error {
			_, err := usersBuilder(a).ByUserId("mfa.admin@contoso.example").Authentication().Methods().ByAuthenticationMethodId(passwordID).ResetPassword().
				Post(ctx, users.NewItemAuthenticationMethodsItemResetPasswordPostRequestBody(), nil)
			return err
		}, 403, string(entra.CodeOwnPasswordReset)},
		{"weak password", mock.DefaultAdminToken, func(a abs.RequestAdapter) error {
			b := users.NewItemAuthenticationMethodsItemResetPasswordPostRequestBody()
			pw := "short"
			b.SetNewPassword(&pw)
			_, err := usersBuilder(a).ByUserId("alex.wilber@contoso.example").Authentication().Methods().ByAuthenticationMethodId(passwordID).ResetPassword().Post(ctx, b, nil)
			return err
		}, 400, string(entra.CodePasswordPolicy)},
		{"auth admin on admin", mock.AuthAdminToken, phonePost("megan.bowen@contoso.example", "+1 4255550100", models.MOBILE_AUTHENTICATIONPHONETYPE), 403, string(entra.CodeAuthorizationDenied)},
		{"reader writes", mock.GlobalReaderToken, email("alex.wilber@contoso.example", "a@outlook.example"), 403, string(entra.CodeAuthorizationDenied)},
		{"preferred not registered (beta)", mock.DefaultAdminToken, func(a abs.RequestAdapter) error {
			ri := abs.NewRequestInformation()
			ri.Method = abs.PATCH
			u, _ := url.Parse(strings.TrimSuffix(a.GetBaseUrl(), "/v1.0") + "/beta/users/alex.wilber@contoso.example/authentication/signInPreferences")
			ri.SetUri(*u)
			ri.SetStreamContentAndContentType([]byte(`{"userPreferredMethodForSecondaryAuthentication":"push"}`), "application/json")
			return a.SendNoContent(ctx, ri, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
		}, 400, string(entra.CodePreferredNotRegistered)},
	}
	for _, tt := range tests {
		for _, target := range writeTargets(t, tt.token) {
			t.Run(tt.name+"/"+target.name, func(t *testing.T) {
				err := tt.call(target.adapter)
				var oe *odataerrors.ODataError
				if !errors.As(err, &oe) {
					t.Fatalf("want an ODataError, got %T %v", err, err)
				}
				me := oe.GetErrorEscaped()
				if oe.ResponseStatusCode != tt.status || me == nil || *me.GetCode() != tt.code || me.GetMessage() == nil {
					t.Fatalf("status %d code %v, want %d %s", oe.ResponseStatusCode, me.GetCode(), tt.status, tt.code)
				}
				if ie := me.GetInnerError(); ie == nil || ie.GetRequestId() == nil {
					t.Errorf("innerError.request-id missing")
				}
				_ = oe.Error()
			})
		}
	}
}

// The password cannot be deleted: Graph has no such operation, so the
// collection answers 405 to a DELETE.
func TestSDKPasswordCannotBeDeleted(t *testing.T) {
	for _, target := range writeTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ri := abs.NewRequestInformation()
			ri.Method = abs.DELETE
			u, _ := url.Parse(target.adapter.GetBaseUrl() + "/users/adele.vance@contoso.example/authentication/passwordMethods/" + passwordID)
			ri.SetUri(*u)
			err := target.adapter.SendNoContent(context.Background(), ri, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
			var oe *odataerrors.ODataError
			if !errors.As(err, &oe) || oe.ResponseStatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("got %v", err)
			}
		})
	}
}
