package mock_test

import (
	"context"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// The official SDK against the rules added from the docs: a configuration
// PATCH carries @odata.type (the SDK's model sets it), DELETE reverts a
// configuration, usersRegisteredByMethod has totalUserCount, and a mobile
// phone may have an extension.
func TestSDKFidelity(t *testing.T) {
	// The targets share one tenant: each adds the mobile of a user without one.
	phoneless := []string{"alex.wilber@contoso.example", "miriam.graham@contoso.example"}
	for i, target := range sdkTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := policies.NewPoliciesRequestBuilderInternal(map[string]string{"baseurl": target.adapter.GetBaseUrl()}, target.adapter).
				AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("TemporaryAccessPass")
			patch := models.NewTemporaryAccessPassAuthenticationMethodConfiguration()
			patch.SetDefaultLength(ptr(int32(12)))
			if _, err := cfg.Patch(ctx, patch, nil); err != nil {
				t.Fatalf("PATCH through the SDK: %v", err)
			}
			got, err := cfg.Get(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tap, ok := got.(*models.TemporaryAccessPassAuthenticationMethodConfiguration); !ok || *tap.GetDefaultLength() != 12 {
				t.Fatalf("after PATCH: %T %v", got, got)
			}
			if err := cfg.Delete(ctx, nil); err != nil {
				t.Fatalf("DELETE through the SDK: %v", err)
			}
			got, _ = cfg.Get(ctx, nil)
			if tap, ok := got.(*models.TemporaryAccessPassAuthenticationMethodConfiguration); !ok || *tap.GetDefaultLength() != 8 {
				t.Errorf("after DELETE: %v", got)
			}

			byMethod, err := reportsBuilder(target.adapter).UsersRegisteredByMethod().Get(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if byMethod.GetTotalUserCount() == nil || *byMethod.GetTotalUserCount() == 0 {
				t.Errorf("usersRegisteredByMethod: totalUserCount %v", byMethod.GetTotalUserCount())
			}

			body := models.NewPhoneAuthenticationMethod()
			body.SetPhoneNumber(ptr("+1 4255550199x42"))
			mobile := models.MOBILE_AUTHENTICATIONPHONETYPE
			body.SetPhoneType(&mobile)
			created, err := usersBuilder(target.adapter).ByUserId(phoneless[i]).Authentication().PhoneMethods().Post(ctx, body, nil)
			if err != nil || *created.GetId() != methods.MobilePhoneID {
				t.Fatalf("a mobile with an extension: %v %v", created, err)
			}
		})
	}
}
