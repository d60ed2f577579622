package mock

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// DemoDomain is the demo tenant's verified domain.
const DemoDomain = "contoso.example"

// DemoTenantID is the demo tenant's id.
const DemoTenantID = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"

// stableID derives a GUID-shaped id from a name, so seeded tenants are
// deterministic and their ids look like Graph's.
func stableID(namespace, name string) string {
	sum := sha1.Sum([]byte(namespace + "\x00" + name))
	h := hex.EncodeToString(sum[:16])
	// Version 5 / RFC 4122 variant bits, as uuid.NewSHA1 would set them.
	return h[0:8] + "-" + h[8:12] + "-5" + h[13:16] + "-" + fmt.Sprintf("%x", 8|(sum[8]&0x3)) + h[17:20] + "-" + h[20:32]
}

// hashPass stores a Temporary Access Pass the way the mock keeps every
// secret it must check later: salted SHA-256, compared in constant time.
func hashPass(salt, pass string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + pass))
	return salt + ":" + hex.EncodeToString(sum[:])
}

// DemoUser describes one user of the demo tenant, for the README and tests.
type DemoUser struct {
	UPN         string
	DisplayName string
	Story       string
}

// demoUser is the seed description of one demo user.
type demoUser struct {
	local, name, job, userType string
	enabled                    bool
	roles                      []string
	preferred                  string
	story                      string
	methods                    []methods.Method
	oathSecret                 string
}

// Demo hardware tokens: serial, secret (base32, demo only), interval, hash.
type demoToken struct {
	serial, secret, manufacturer, model string
	interval                            int
	hash                                string
	status                              methods.HardwareTokenStatus
	assignee                            string // local part of the UPN
}

var demoTokens = []demoToken{
	{"HWT-1001", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "Contoso", "OTP-C200", 30, "hmacsha1", methods.TokenActivated, "grady.archie"},
	{"HWT-1002", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "Contoso", "OTP-C200", 30, "hmacsha1", methods.TokenAvailable, ""},
	{"HWT-1003", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U", "Fabrikam", "KeyFob 60", 60, "hmacsha256", methods.TokenAvailable, ""},
	{"HWT-1004", "KRUGS4ZANFZSAYJAOBZGK5DUPEQGQYLS", "Contoso", "OTP-C200", 30, "hmacsha1", methods.TokenAssigned, "lee.gu"},
	{"HWT-1005", "ONSWG4TFOQQHK3TUNFWCA5DPNNSW4IDT", "Fabrikam", "KeyFob 60", 60, "hmacsha1", methods.TokenFailedActivation, "nestor.wilke"},
}

func phone(t methods.PhoneType, number string) methods.Method {
	// Only the mobile can do SMS sign-in; the demo tenant's policy allows
	// it, but no demo user has it enabled yet.
	state := "notSupported"
	if t == methods.PhoneMobile {
		state = "notEnabled"
	}
	return methods.Method{ID: methods.PhoneMethodID(t), Kind: methods.KindPhone, PhoneType: t, PhoneNumber: number, SMSSignInState: state}
}

func authenticator(device, tag string) methods.Method {
	return methods.Method{Kind: methods.KindAuthenticator, DisplayName: device, DeviceTag: tag, PhoneAppVersion: "6.2409.6094"}
}

func email(addr string) methods.Method {
	return methods.Method{ID: methods.EmailMethodID, Kind: methods.KindEmail, EmailAddress: addr}
}

var demoUsers = []demoUser{
	{local: "mfa.admin", name: "MFA Admin", job: "Identity Administrator", roles: []string{RolePrivilegedAuthAdmin, RoleAuthPolicyAdmin, RoleReportsReader, RoleUserAdmin}, preferred: "push",
		story:   "the admin the default mock token signs in as: FIDO2 key and Authenticator",
		methods: []methods.Method{{Kind: methods.KindFido2, DisplayName: "YubiKey 5 NFC", Model: "YubiKey 5 NFC", AAGUID: "2fc0579f-8113-47ea-b116-555a8db9202a", AttestationLevel: "attested"}, authenticator("Pixel 8", "SoftwareTokenActivated")}},
	{local: "helpdesk", name: "Helpdesk Agent", job: "Service Desk", roles: []string{RoleAuthAdmin, RoleHelpdeskAdmin}, preferred: "push",
		story:   "the helpdesk agent of the `mock-authadmin-token` (Authentication Administrator)",
		methods: []methods.Method{authenticator("iPhone 13", "SoftwareTokenActivated"), phone(methods.PhoneMobile, "+1 4255550101")}},
	{local: "auditor", name: "Audit Reader", job: "Internal Audit", roles: []string{RoleGlobalReader}, preferred: "oath",
		story:   "the auditor of the `mock-reader-token` (Global Reader)",
		methods: []methods.Method{authenticator("Galaxy S23", "SoftwareTokenActivated"), {Kind: methods.KindSoftwareOath}}, oathSecret: "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"},
	{local: "reports", name: "Reports Reader", job: "Security Analyst", roles: []string{RoleReportsReader}, preferred: "sms",
		story:   "the analyst of the `mock-reports-token` (Reports Reader)",
		methods: []methods.Method{authenticator("iPhone 14", "SoftwareTokenActivated"), phone(methods.PhoneMobile, "+1 4255550102")}},
	{local: "adele.vance", name: "Adele Vance", job: "Retail Manager", preferred: "push",
		story:   "well covered: Authenticator (default), mobile phone and a software OATH app",
		methods: []methods.Method{authenticator("iPhone 15", "SoftwareTokenActivated"), phone(methods.PhoneMobile, "+1 4255550100"), {Kind: methods.KindSoftwareOath}}, oathSecret: "JBSWY3DPEHPK3PXPMFRGGZDFMZTWQ2LK"},
	{local: "alex.wilber", name: "Alex Wilber", job: "Marketing Assistant",
		story: "no MFA method at all (password only)"},
	{local: "diego.siciliani", name: "Diego Siciliani", job: "HR Manager", preferred: "sms",
		story:   "SMS only: a single mobile phone, no backup",
		methods: []methods.Method{phone(methods.PhoneMobile, "+44 7700900123")}},
	{local: "megan.bowen", name: "Megan Bowen", job: "Global Administrator", roles: []string{RoleGlobalAdmin}, preferred: "push",
		story:   "admin with a phishing-resistant FIDO2 key and Authenticator",
		methods: []methods.Method{{Kind: methods.KindFido2, DisplayName: "Feitian ePass", Model: "ePass FIDO2", AAGUID: "833b721a-ff5f-4d00-bb2e-bdda3ec01e29", AttestationLevel: "attested"}, authenticator("Surface Duo", "SoftwareTokenActivated")}},
	{local: "lee.gu", name: "Lee Gu", job: "User Administrator", roles: []string{RoleUserAdmin}, preferred: "voiceMobile",
		story:   "admin without a phishing-resistant method: phones only, and a hardware token assigned but not activated",
		methods: []methods.Method{phone(methods.PhoneMobile, "+61 412345678"), phone(methods.PhoneAlternateMobile, "+61 412345679")}},
	{local: "isaiah.langer_fabrikam.example#EXT#", name: "Isaiah Langer (Fabrikam)", job: "Partner Consultant", userType: "Guest", preferred: "push",
		story:   "B2B guest with Authenticator",
		methods: []methods.Method{authenticator("Pixel 7", "SoftwareTokenActivated")}},
	{local: "lynne.robbins", name: "Lynne Robbins", job: "Planner (left the company)", enabled: false, preferred: "push",
		story:   "disabled account that still holds methods",
		methods: []methods.Method{authenticator("iPhone 12", "SoftwareTokenActivated"), phone(methods.PhoneMobile, "+1 4255550104")}},
	{local: "grady.archie", name: "Grady Archie", job: "Warehouse Lead", preferred: "oath",
		story:   "no smartphone: a hardware OATH token (HWT-1001, activated) and an office phone with extension",
		methods: []methods.Method{phone(methods.PhoneOffice, "+1 4255550199x2345")}},
	{local: "henrietta.mueller", name: "Henrietta Mueller", job: "Developer",
		story:   "passwordless: Windows Hello for Business, a macOS platform credential and a FIDO2 key",
		methods: []methods.Method{{Kind: methods.KindWindowsHello, DisplayName: "HM-SURFACE-7", KeyStrength: "normal"}, {Kind: methods.KindPlatformCredential, DisplayName: "HM-MacBook-Pro", KeyStrength: "normal", Platform: "macOS"}, {Kind: methods.KindFido2, DisplayName: "Backup key", Model: "YubiKey 5C", AAGUID: "ee882879-721c-4913-9775-3dfcce97072a", AttestationLevel: "attested"}}},
	{local: "johanna.lorenz", name: "Johanna Lorenz", job: "Field Engineer", preferred: "voiceMobile",
		story:   "phones only (mobile, alternate, office) plus email: SMS/voice only",
		methods: []methods.Method{phone(methods.PhoneMobile, "+49 15123456789"), phone(methods.PhoneAlternateMobile, "+49 15123456790"), phone(methods.PhoneOffice, "+49 8912345678x42"), email("johanna.lorenz@fabrikam.example")}},
	{local: "miriam.graham", name: "Miriam Graham", job: "Director (new hire)",
		story:   "new hire with an outstanding Temporary Access Pass and an email method",
		methods: []methods.Method{{Kind: methods.KindTemporaryAccess}, email("miriam.graham@outlook.example")}},
	{local: "nestor.wilke", name: "Nestor Wilke", job: "Operations Director", preferred: "oath",
		story:   "several methods with oath as the default, and a hardware token that failed activation",
		methods: []methods.Method{authenticator("iPhone 15 Pro", "SoftwareTokenActivated"), {Kind: methods.KindSoftwareOath}, email("nestor@outlook.example"), phone(methods.PhoneMobile, "+1 4255550103")}, oathSecret: "KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF"},
}

// DemoUsers lists the demo tenant's users and what each one shows.
func DemoUsers() []DemoUser {
	out := make([]DemoUser, len(demoUsers))
	for i, u := range demoUsers {
		out[i] = DemoUser{UPN: u.local + "@" + DemoDomain, DisplayName: u.name, Story: u.story}
	}
	return out
}

// seedDemo writes the demo tenant into an empty store.
func seedDemo(tx store.Tx, now time.Time) error {
	now = now.UTC().Truncate(time.Second)
	if err := store.PutJSON(tx, bucketMeta, metaTenant, tenantRecord{ID: DemoTenantID, Domain: DemoDomain, DisplayName: "Contoso (mfactl demo)", SeededAt: now, Seed: "demo"}); err != nil {
		return err
	}
	ids := map[string]*userRecord{}
	for i, du := range demoUsers {
		upn := du.local + "@" + DemoDomain
		u := &userRecord{
			ID: stableID("demo-user", upn), UPN: upn, DisplayName: du.name, JobTitle: du.job,
			UserType: "Member", AccountEnabled: du.local != "lynne.robbins",
			Created: now.AddDate(0, 0, -400+i*7), Roles: du.roles, PreferredMethod: du.preferred,
			PerUserMFAState: "disabled",
		}
		u.SessionsValidFrom = u.Created
		if du.userType != "" {
			u.UserType = du.userType
			u.Mail = "isaiah.langer@fabrikam.example"
		} else {
			u.Mail = upn
		}
		if given, sur, ok := cutName(du.name); ok {
			u.GivenName, u.Surname = given, sur
		}
		if err := putUser(tx, u); err != nil {
			return err
		}
		ids[du.local] = u
		created := u.Created
		pw := &methodRecord{Method: methods.Method{ID: methods.PasswordMethodID, Kind: methods.KindPassword, Created: &created}, UserID: u.ID}
		if err := putMethod(tx, pw); err != nil {
			return err
		}
		for j, m := range du.methods {
			rec := &methodRecord{Method: m, UserID: u.ID}
			if rec.ID == "" {
				rec.ID = stableID("demo-method", fmt.Sprintf("%s/%d", upn, j))
			}
			when := now.AddDate(0, 0, -300+i*5+j)
			switch m.Kind {
			case methods.KindFido2, methods.KindAuthenticator, methods.KindWindowsHello, methods.KindPlatformCredential, methods.KindTemporaryAccess:
				rec.Created = &when
			case methods.KindSoftwareOath:
				rec.OathSecret = du.oathSecret
			}
			if m.Kind == methods.KindTemporaryAccess {
				start := now
				once, usable := true, true
				// Eight hours: the default policy's maximum (480 minutes,
				// temporaryaccesspassauthenticationmethodconfiguration.md),
				// so the seeded pass lies within the policy.
				rec.StartDateTime, rec.LifetimeInMinutes = &start, 480
				rec.IsUsableOnce, rec.IsUsable, rec.MethodUsabilityReason = &once, &usable, "EnabledByPolicy"
				// The demo pass was "shown once" when it was issued; only its hash stays.
				rec.PassHash = hashPass(rec.ID[:8], "demo-pass-not-shown")
			}
			if err := putMethod(tx, rec); err != nil {
				return err
			}
		}
	}
	for i, dt := range demoTokens {
		t := &tokenRecord{HardwareToken: methods.HardwareToken{
			ID: stableID("demo-token", dt.serial), SerialNumber: dt.serial, Manufacturer: dt.manufacturer, Model: dt.model,
			TimeIntervalInSeconds: dt.interval, HashFunction: dt.hash, Status: dt.status,
		}, Secret: dt.secret}
		if dt.assignee != "" {
			u := ids[dt.assignee]
			t.AssignedTo = &methods.Identity{ID: u.ID, DisplayName: u.DisplayName}
			when := now.AddDate(0, 0, -30+i)
			// A hardware method has its token's id, as in Graph.
			rec := &methodRecord{Method: methods.Method{ID: t.ID, Kind: methods.KindHardwareOath, DisplayName: dt.manufacturer + " " + dt.serial, Created: &when}, UserID: u.ID, TokenID: t.ID}
			if err := putMethod(tx, rec); err != nil {
				return err
			}
		}
		if err := putToken(tx, t); err != nil {
			return err
		}
	}
	return nil
}

func cutName(name string) (string, string, bool) {
	for i := 0; i < len(name); i++ {
		if name[i] == ' ' {
			return name[:i], name[i+1:], true
		}
	}
	return "", "", false
}
