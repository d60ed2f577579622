package cmd

import (
	"errors"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/certfile"
	"github.com/mfactl/mfactl/internal/cmdutil"
)

// signInHints say what to do about the Microsoft Entra sign-in errors
// admins meet most (the AADSTS code of graph.SignInFailure).
var signInHints = map[int]string{
	graph.AADSTSConsentRequired:      "the app lacks admin consent for a permission it asks for: in the Entra admin center open App registrations > the app > API permissions, add the Microsoft Graph permissions mfactl needs and choose \"Grant admin consent\"",
	graph.AADSTSInvalidClientSecret:  "the client secret is wrong or expired; give the secret's Value (shown once when it is created), not its Secret ID: `mfactl config set client-secret` reads it from standard input",
	graph.AADSTSPublicClientDisabled: "device code and browser sign-in need \"Allow public client flows\" = Yes on the app registration (Authentication blade), or sign in as the app with --auth client-secret or client-certificate",
	graph.AADSTSMFARequired:          "the tenant requires multi-factor authentication for this sign-in: use --auth device-code or browser and complete MFA, or sign in as an app (client-secret, client-certificate), which MFA policies do not cover",
	graph.AADSTSBlockedByCA:          "a Conditional Access policy blocks this sign-in (device, location or app): ask the tenant's Conditional Access administrator which policy applies, with the trace and correlation ids above",
}

// certificateHint says how to make a certificate file mfactl can read.
func certificateHint(err error) string {
	var ue *certfile.UnsupportedError
	switch {
	case errors.Is(err, certfile.ErrPasswordRequired):
		return "the key is encrypted: give its password with MFACTL_CLIENT_CERTIFICATE_PASSWORD (or AZURE_CLIENT_CERTIFICATE_PASSWORD), or `mfactl config set client-certificate-password` (read from standard input)"
	case errors.Is(err, certfile.ErrWrongPassword):
		return "the certificate password is wrong: check client-certificate-password"
	case errors.As(err, &ue):
		return "re-export it as PEM with an unencrypted or PBES2 key: `openssl pkcs12 -in OLD.pfx -nodes -out app.pem` (add -legacy for old PFX files), or as OpenSSL 3's default PFX: `openssl pkcs12 -export -in app.pem -out app.pfx`"
	case errors.Is(err, certfile.ErrNoKey), errors.Is(err, certfile.ErrNoCertificate):
		return "the file must hold the certificate and its private key: `cat app.crt app.key > app.pem`, or a PFX exported with the private key"
	}
	return ""
}

// withSignInHint puts the hint of a known sign-in failure ahead of any
// generic one, keeping the error's exit code.
func withSignInHint(err error) error {
	if err == nil {
		return nil
	}
	hint := signInHints[graph.SignInCode(err)]
	var ce *graph.CertificateError
	if hint == "" && errors.As(err, &ce) {
		hint = certificateHint(ce.Err)
	}
	if hint == "" {
		return err
	}
	return cmdutil.WithExit(cmdutil.ExitCodeOf(err), err, hint)
}
