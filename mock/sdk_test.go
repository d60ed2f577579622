package mock_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	msgraphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/mock"
)

// fakeCred is what any third-party Graph client would use against the mock:
// an azcore credential returning the mock's static token.
type fakeCred string

func (c fakeCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(c), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func init() {
	abs.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
	abs.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
}

// sdkTarget is one way of reaching the mock with the official SDK.
type sdkTarget struct {
	name    string
	adapter abs.RequestAdapter
}

// sdkTargets builds an SDK adapter against the in-process transport and one
// against the same server over TCP, so every conformance test runs on both.
func sdkTargets(t *testing.T, token string) []sdkTarget {
	t.Helper()
	return sdkTargetsWith(t, token, mock.Options{})
}

// sdkTargetsWith is sdkTargets for a server built with opts (a fixed clock).
func sdkTargetsWith(t *testing.T, token string, opts mock.Options) []sdkTarget {
	t.Helper()
	srv, err := mock.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	build := func(root string, transport http.RoundTripper) abs.RequestAdapter {
		u := root
		host := "localhost"
		if transport == nil {
			host = "127.0.0.1"
		}
		auth, err := msgraphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(fakeCred(token), []string{"https://graph.microsoft.com/.default"}, []string{host})
		if err != nil {
			t.Fatal(err)
		}
		opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
		hc := msgraphcore.GetDefaultClient(&opts)
		if transport != nil {
			hc.Transport = khttp.NewCustomTransportWithParentTransport(transport, msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)
		}
		a, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, nil, nil, hc)
		if err != nil {
			t.Fatal(err)
		}
		a.SetBaseUrl(u + "/v1.0")
		return a
	}
	return []sdkTarget{
		{"in-process", build(mock.InProcessRoot, srv.Transport())},
		{"tcp", build(srv.URL(), nil)},
	}
}

func usersBuilder(a abs.RequestAdapter) *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": a.GetBaseUrl()}, a)
}

func TestSDKListUsersWithPaging(t *testing.T) {
	for _, target := range sdkTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ctx := context.Background()
			top := int32(5)
			resp, err := usersBuilder(target.adapter).Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "userPrincipalName", "accountEnabled", "userType"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetValue()) != 5 || resp.GetOdataNextLink() == nil {
				t.Fatalf("first page: %d users, nextLink %v", len(resp.GetValue()), resp.GetOdataNextLink())
			}
			it, err := msgraphcore.NewPageIterator[models.Userable](resp, target.adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
			if err != nil {
				t.Fatal(err)
			}
			var upns []string
			disabled := 0
			err = it.Iterate(ctx, func(u models.Userable) bool {
				upns = append(upns, *u.GetUserPrincipalName())
				if u.GetAccountEnabled() != nil && !*u.GetAccountEnabled() {
					disabled++
				}
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(upns) != len(mock.DemoUsers()) {
				t.Errorf("iterated %d users over pages, want %d", len(upns), len(mock.DemoUsers()))
			}
			seen := map[string]bool{}
			for _, u := range upns {
				if seen[u] {
					t.Errorf("user %s returned twice across pages", u)
				}
				seen[u] = true
			}
			if disabled != 1 {
				t.Errorf("selected accountEnabled: %d disabled users, want 1", disabled)
			}
		})
	}
}

func TestSDKUserDefaultPropertiesHideAccountEnabled(t *testing.T) {
	for _, target := range sdkTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			u, err := usersBuilder(target.adapter).ByUserId("lynne.robbins@contoso.example").Get(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if u.GetAccountEnabled() != nil || u.GetUserType() != nil {
				t.Errorf("accountEnabled/userType must only come back through $select")
			}
			if got := *u.GetDisplayName(); got != "Lynne Robbins" {
				t.Errorf("displayName %q", got)
			}
		})
	}
}

func TestSDKListMethodsDecodesConcreteTypes(t *testing.T) {
	want := map[string]string{
		"adele.vance@contoso.example":       "*models.MicrosoftAuthenticatorAuthenticationMethod *models.PasswordAuthenticationMethod *models.PhoneAuthenticationMethod *models.SoftwareOathAuthenticationMethod",
		"henrietta.mueller@contoso.example": "*models.Fido2AuthenticationMethod *models.PasswordAuthenticationMethod *models.PlatformCredentialAuthenticationMethod *models.WindowsHelloForBusinessAuthenticationMethod",
		"miriam.graham@contoso.example":     "*models.EmailAuthenticationMethod *models.PasswordAuthenticationMethod *models.TemporaryAccessPassAuthenticationMethod",
		// Grady's hardware OATH token is beta-only: the v1.0 list leaves it
		// out (authentication-list-methods.md).
		"grady.archie@contoso.example": "*models.PasswordAuthenticationMethod *models.PhoneAuthenticationMethod",
	}
	for _, target := range sdkTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			for upn, types := range want {
				resp, err := usersBuilder(target.adapter).ByUserId(upn).Authentication().Methods().Get(context.Background(), nil)
				if err != nil {
					t.Fatalf("%s: %v", upn, err)
				}
				var got []string
				for _, m := range resp.GetValue() {
					got = append(got, typeName(m))
					switch v := m.(type) {
					case *models.PhoneAuthenticationMethod:
						if v.GetPhoneType() == nil || v.GetPhoneNumber() == nil || v.GetSmsSignInState() == nil {
							t.Errorf("%s: phone without type, number or smsSignInState", upn)
						}
					case *models.TemporaryAccessPassAuthenticationMethod:
						if v.GetTemporaryAccessPass() != nil {
							t.Errorf("%s: the pass must only appear in the create response", upn)
						}
					case *models.AuthenticationMethod:
						t.Errorf("%s: a v1.0 list has a type the v1.0 SDK does not model: %v", upn, *v.GetOdataType())
					}
				}
				sort.Strings(got)
				if joined := strings.Join(got, " "); joined != types {
					t.Errorf("%s: types\n got %s\nwant %s", upn, joined, types)
				}
			}
		})
	}
}

func TestSDKPerTypeEndpoints(t *testing.T) {
	for _, target := range sdkTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ctx := context.Background()
			auth := usersBuilder(target.adapter).ByUserId("johanna.lorenz@contoso.example").Authentication()
			phones, err := auth.PhoneMethods().Get(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(phones.GetValue()) != 3 {
				t.Errorf("phones: %d, want 3", len(phones.GetValue()))
			}
			office, err := auth.PhoneMethods().ByPhoneAuthenticationMethodId("e37fc753-ff3b-4958-9484-eaa9425c82bc").Get(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if *office.GetPhoneNumber() != "+49 8912345678x42" || office.GetPhoneType().String() != "office" {
				t.Errorf("office phone: %s %s", *office.GetPhoneNumber(), office.GetPhoneType().String())
			}
			emails, err := auth.EmailMethods().Get(ctx, nil)
			if err != nil || len(emails.GetValue()) != 1 {
				t.Fatalf("email methods: %v %v", emails, err)
			}
			pw, err := auth.PasswordMethods().Get(ctx, nil)
			if err != nil || len(pw.GetValue()) != 1 || *pw.GetValue()[0].GetId() != "28c10230-6103-485e-b985-444c60001490" {
				t.Fatalf("password methods: %v", err)
			}
			fido, err := usersBuilder(target.adapter).ByUserId("megan.bowen@contoso.example").Authentication().Fido2Methods().Get(ctx, nil)
			if err != nil || len(fido.GetValue()) != 1 || *fido.GetValue()[0].GetModel() != "ePass FIDO2" {
				t.Fatalf("fido2 methods: %v", err)
			}
		})
	}
}

func TestSDKUnknownUserIsODataError404(t *testing.T) {
	for _, target := range sdkTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			_, err := usersBuilder(target.adapter).ByUserId("nobody@contoso.example").Authentication().Methods().Get(context.Background(), nil)
			var oe *odataerrors.ODataError
			if !errors.As(err, &oe) {
				t.Fatalf("want *odataerrors.ODataError, got %T %v", err, err)
			}
			me := oe.GetErrorEscaped()
			if oe.ResponseStatusCode != 404 || me == nil || *me.GetCode() != "Request_ResourceNotFound" || me.GetMessage() == nil {
				t.Fatalf("status %d, error %+v", oe.ResponseStatusCode, me)
			}
			if ie := me.GetInnerError(); ie == nil || ie.GetRequestId() == nil || *ie.GetRequestId() == "" {
				t.Errorf("innerError.request-id missing")
			}
			// Error() must not panic: the message is always present.
			_ = oe.Error()
		})
	}
}

func TestSDKWrongTokenIs401AndReaderIsRefused(t *testing.T) {
	for _, target := range sdkTargets(t, "not-a-token") {
		t.Run(target.name+"/401", func(t *testing.T) {
			_, err := usersBuilder(target.adapter).Get(context.Background(), nil)
			var oe *odataerrors.ODataError
			if !errors.As(err, &oe) || oe.ResponseStatusCode != 401 || *oe.GetErrorEscaped().GetCode() != "InvalidAuthenticationToken" {
				t.Fatalf("got %v", err)
			}
		})
	}
	for _, target := range sdkTargets(t, mock.ReportsReaderToken) {
		t.Run(target.name+"/403", func(t *testing.T) {
			_, err := usersBuilder(target.adapter).ByUserId("adele.vance@contoso.example").Authentication().Methods().Get(context.Background(), nil)
			var oe *odataerrors.ODataError
			if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 || *oe.GetErrorEscaped().GetCode() != "Authorization_RequestDenied" {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestSDKReaderSeesMaskedPhones(t *testing.T) {
	for _, target := range sdkTargets(t, mock.GlobalReaderToken) {
		t.Run(target.name, func(t *testing.T) {
			resp, err := usersBuilder(target.adapter).ByUserId("diego.siciliani@contoso.example").Authentication().PhoneMethods().Get(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := *resp.GetValue()[0].GetPhoneNumber(); got != "+44 XXXXXXXX23" {
				t.Errorf("reader sees %q, want a masked number", got)
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *models.PhoneAuthenticationMethod:
		return "*models.PhoneAuthenticationMethod"
	case *models.EmailAuthenticationMethod:
		return "*models.EmailAuthenticationMethod"
	case *models.Fido2AuthenticationMethod:
		return "*models.Fido2AuthenticationMethod"
	case *models.MicrosoftAuthenticatorAuthenticationMethod:
		return "*models.MicrosoftAuthenticatorAuthenticationMethod"
	case *models.SoftwareOathAuthenticationMethod:
		return "*models.SoftwareOathAuthenticationMethod"
	case *models.TemporaryAccessPassAuthenticationMethod:
		return "*models.TemporaryAccessPassAuthenticationMethod"
	case *models.WindowsHelloForBusinessAuthenticationMethod:
		return "*models.WindowsHelloForBusinessAuthenticationMethod"
	case *models.PlatformCredentialAuthenticationMethod:
		return "*models.PlatformCredentialAuthenticationMethod"
	case *models.PasswordAuthenticationMethod:
		return "*models.PasswordAuthenticationMethod"
	case *models.AuthenticationMethod:
		return "*models.AuthenticationMethod"
	}
	return "unknown"
}
