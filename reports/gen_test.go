package reports

import (
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/mfactl/mfactl/methods"
)

// This file generates deterministic synthetic tenants for the tests and the
// benchmark: a realistic mix of users without MFA, SMS-only users, app users,
// phishing-resistant users, admins, guests, disabled users, TAP holders and
// hardware tokens in every status.

// genUser returns user i of the population drawn from r. The method list is
// what the methods path would produce: full method objects, the password,
// sometimes two devices of one type.
func genUser(r *rand.Rand, i int) UserInput {
	enabled := r.IntN(100) >= 6
	userType := "Member"
	if r.IntN(100) < 9 {
		userType = "Guest"
	}
	u := UserInput{
		User: methods.User{
			ID:                fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			UserPrincipalName: fmt.Sprintf("user%06d@contoso.example", i),
			DisplayName:       fmt.Sprintf("User %06d", i),
			UserType:          userType,
			AccountEnabled:    &enabled,
		},
		IsAdmin: r.IntN(100) < 3,
		Source:  SourceMethods,
	}
	if r.IntN(100) < 90 {
		u.Methods = append(u.Methods, methods.Method{ID: methods.PasswordMethodID, Kind: methods.KindPassword})
	}
	add := func(k methods.Kind) {
		u.Methods = append(u.Methods, methods.Method{ID: fmt.Sprintf("%s-%d-%d", k, i, len(u.Methods)), Kind: k, DisplayName: "device"})
	}
	addPhone := func(t methods.PhoneType) {
		u.Methods = append(u.Methods, methods.Method{ID: methods.PhoneMethodID(t), Kind: methods.KindPhone, PhoneType: t, PhoneNumber: "+1 5555550100"})
	}
	switch p := r.IntN(100); {
	case p < 12: // nothing
	case p < 16:
		add(methods.KindEmail)
	case p < 36:
		addPhone(methods.PhoneMobile)
		if r.IntN(4) == 0 {
			addPhone(methods.PhoneOffice)
		}
		if r.IntN(8) == 0 {
			addPhone(methods.PhoneAlternateMobile)
		}
	case p < 70:
		add(methods.KindAuthenticator)
		if r.IntN(5) == 0 {
			add(methods.KindAuthenticator) // a second phone with the app
		}
		if r.IntN(2) == 0 {
			addPhone(methods.PhoneMobile)
		}
	case p < 78:
		add(methods.KindSoftwareOath)
		if r.IntN(3) == 0 {
			add(methods.KindHardwareOath)
		}
	case p < 92:
		add(methods.KindFido2)
		if r.IntN(2) == 0 {
			add(methods.KindAuthenticator)
		}
		if r.IntN(3) == 0 {
			add(methods.KindFido2)
		}
	default:
		if r.IntN(2) == 0 {
			add(methods.KindWindowsHello)
		} else {
			add(methods.KindPlatformCredential)
		}
	}
	if r.IntN(100) < 25 {
		add(methods.KindEmail)
	}
	if r.IntN(100) < 2 {
		add(methods.KindTemporaryAccess)
	}
	if len(u.Methods) > 0 && u.Methods[0].Kind != methods.KindPassword && r.IntN(2) == 0 {
		for _, d := range methods.DefaultMethods {
			if d.SupportedBy(u.Methods) {
				u.Default = d
				break
			}
		}
	}
	r.Shuffle(len(u.Methods), func(a, b int) { u.Methods[a], u.Methods[b] = u.Methods[b], u.Methods[a] })
	return u
}

// population yields n generated users from seed, without holding them.
func population(seed uint64, n int) iter.Seq2[UserInput, error] {
	return func(yield func(UserInput, error) bool) {
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		for i := range n {
			if !yield(genUser(r, i), nil) {
				return
			}
		}
	}
}

// viaRegistration converts a methods-path input into what the registration
// path would give for the same user.
func viaRegistration(in UserInput) UserInput {
	d := RegistrationDetails{
		ID: in.User.ID, UserPrincipalName: in.User.UserPrincipalName, UserDisplayName: in.User.DisplayName,
		UserType: in.User.UserType, IsAdmin: in.IsAdmin, MethodsRegistered: RegistrationNames(in.Methods),
		UserPreferred: string(in.Default),
	}
	out, _ := d.Input(in.User.AccountEnabled)
	return out
}

// genTokens yields n generated hardware tokens.
func genTokens(seed uint64, n int) iter.Seq2[methods.HardwareToken, error] {
	return func(yield func(methods.HardwareToken, error) bool) {
		r := rand.New(rand.NewPCG(seed, 7))
		models := []struct{ manufacturer, model string }{
			{"Contoso", "Hardware Token 1000"}, {"Contoso", "Hardware Token 2000"}, {"Fabrikam", "OTP-6"}, {"", ""},
		}
		for i := range n {
			m := models[r.IntN(len(models))]
			t := methods.HardwareToken{
				ID: fmt.Sprintf("tok-%05d", i), SerialNumber: fmt.Sprintf("SN%06d", i),
				Manufacturer: m.manufacturer, Model: m.model, TimeIntervalInSeconds: 30,
				Status: methods.TokenStatuses[r.IntN(len(methods.TokenStatuses))],
			}
			if r.IntN(20) == 0 {
				t.Status = ""
			}
			if t.Status != methods.TokenAvailable && t.Status != "" {
				t.AssignedTo = &methods.Identity{ID: fmt.Sprintf("user-%d", i)}
			}
			if !yield(t, nil) {
				return
			}
		}
	}
}
