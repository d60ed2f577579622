package graph

import (
	"context"
	"encoding/json"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/methods"
)

func (c *Client) authentication(user string) *users.ItemAuthenticationRequestBuilder {
	return c.users().ByUserId(user).Authentication()
}

// ListMethods returns every registered authentication method of a user,
// including the password, sorted for display. It reads the beta list
// (GET /beta/users/{id}/authentication/methods): the v1.0 list carries only
// the types v1.0 has, and hardware OATH methods are beta-only
// (api-reference/v1.0/api/authentication-list-methods.md: "lists only the
// methods supported on this API version";
// api-reference/beta/resources/hardwareoathauthenticationmethod.md), so
// reading v1.0 would hide a user's hardware tokens.
func (c *Client) ListMethods(ctx context.Context, user string) ([]methods.Method, error) {
	if err := ValidateUserRef(user); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := getJSON(ctx, c.beta, c.MethodListRequest(user), &raw); err != nil {
		return nil, userError("list methods of", user, RoleReadMethods, err)
	}
	out, err := DecodeMethodList(raw)
	if err != nil {
		return nil, err
	}
	methods.SortMethods(out)
	return out, nil
}

// ConvertMethod turns an SDK authentication method into mfactl's model.
func ConvertMethod(m models.AuthenticationMethodable) methods.Method {
	out := methods.Method{ID: deref(m.GetId()), Kind: methods.KindFromODataType(deref(m.GetOdataType()))}
	switch v := m.(type) {
	case *models.PhoneAuthenticationMethod:
		out.Kind = methods.KindPhone
		out.PhoneNumber = deref(v.GetPhoneNumber())
		if t := v.GetPhoneType(); t != nil {
			out.PhoneType = methods.PhoneType(t.String())
		}
		if s := v.GetSmsSignInState(); s != nil {
			out.SMSSignInState = s.String()
		}
	case *models.EmailAuthenticationMethod:
		out.Kind = methods.KindEmail
		out.EmailAddress = deref(v.GetEmailAddress())
	case *models.Fido2AuthenticationMethod:
		out.Kind = methods.KindFido2
		out.DisplayName = deref(v.GetDisplayName())
		out.Created = v.GetCreatedDateTime()
		out.AAGUID = deref(v.GetAaGuid())
		out.Model = deref(v.GetModel())
		if a := v.GetAttestationLevel(); a != nil {
			out.AttestationLevel = a.String()
		}
	case *models.MicrosoftAuthenticatorAuthenticationMethod:
		out.Kind = methods.KindAuthenticator
		out.DisplayName = deref(v.GetDisplayName())
		out.Created = v.GetCreatedDateTime()
		out.DeviceTag = deref(v.GetDeviceTag())
		out.PhoneAppVersion = deref(v.GetPhoneAppVersion())
	case *models.SoftwareOathAuthenticationMethod:
		out.Kind = methods.KindSoftwareOath
	case *models.TemporaryAccessPassAuthenticationMethod:
		out.Kind = methods.KindTemporaryAccess
		out.Created = v.GetCreatedDateTime()
		out.Pass = deref(v.GetTemporaryAccessPass())
		out.StartDateTime = v.GetStartDateTime()
		if l := v.GetLifetimeInMinutes(); l != nil {
			out.LifetimeInMinutes = int(*l)
		}
		out.IsUsableOnce = v.GetIsUsableOnce()
		out.IsUsable = v.GetIsUsable()
		out.MethodUsabilityReason = deref(v.GetMethodUsabilityReason())
	case *models.WindowsHelloForBusinessAuthenticationMethod:
		out.Kind = methods.KindWindowsHello
		out.DisplayName = deref(v.GetDisplayName())
		out.Created = v.GetCreatedDateTime()
		if k := v.GetKeyStrength(); k != nil {
			out.KeyStrength = k.String()
		}
	case *models.PlatformCredentialAuthenticationMethod:
		out.Kind = methods.KindPlatformCredential
		out.DisplayName = deref(v.GetDisplayName())
		out.Created = v.GetCreatedDateTime()
		if k := v.GetKeyStrength(); k != nil {
			out.KeyStrength = k.String()
		}
		if p := v.GetPlatform(); p != nil {
			out.Platform = p.String()
		}
	case *models.PasswordAuthenticationMethod:
		out.Kind = methods.KindPassword
		out.Created = v.GetCreatedDateTime()
	default:
		// A type this SDK version does not model (hardware OATH): its
		// properties arrive in AdditionalData as raw JSON values.
		fillFromAdditionalData(&out, m.GetAdditionalData())
	}
	return out
}

// untypedMethod is the JSON shape of properties the SDK leaves untyped.
type untypedMethod struct {
	DisplayName string                 `json:"displayName"`
	Created     *time.Time             `json:"createdDateTime"`
	Device      *methods.HardwareToken `json:"device"`
}

func fillFromAdditionalData(out *methods.Method, data map[string]any) {
	if len(data) == 0 {
		return
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return
	}
	var u untypedMethod
	if json.Unmarshal(raw, &u) != nil {
		return
	}
	out.DisplayName = u.DisplayName
	out.Created = u.Created
	if out.Kind == methods.KindHardwareOath {
		out.Token = u.Device
	}
}
