package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Microsoft Entra sign-in error codes mfactl recognises (AADSTS<code> in
// the token endpoint's error_description and error_codes; Microsoft's
// "Microsoft Entra authentication and authorization error codes" page).
const (
	AADSTSConsentRequired      = 65001   // the app lacks admin consent for a permission
	AADSTSInvalidClientSecret  = 7000215 // wrong secret (often the secret's id instead of its value)
	AADSTSPublicClientDisabled = 7000218 // device code/browser with "Allow public client flows" off
	AADSTSMFARequired          = 50076   // MFA required (policy or location)
	AADSTSBlockedByCA          = 53003   // blocked by a Conditional Access policy
)

// SignInFailure is a token request that Microsoft Entra ID (or a local
// credential such as the Azure CLI) refused, with all it said.
type SignInFailure struct {
	// Credential is azidentity's credential type, e.g. ClientSecretCredential.
	Credential string
	// Status is the token endpoint's HTTP status (0 without an answer).
	Status int
	// OAuthError is the OAuth 2.0 error, e.g. invalid_client.
	OAuthError string
	// Code is the first AADSTS code (0 when none was given).
	Code int
	// Description is Entra's error_description: "AADSTS7000215: Invalid
	// client secret provided. ... Trace ID: ... Correlation ID: ...".
	Description string
	// Message is the credential's own message when Entra gave no body.
	Message string
	Err     error
}

func (e *SignInFailure) Error() string {
	msg := e.Description
	if msg == "" {
		msg = e.Message
	}
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return "sign-in failed: " + oneLine(msg)
}

func (e *SignInFailure) Unwrap() error { return e.Err }

// SignInCode returns the AADSTS code of a failed sign-in in err's chain, or 0.
func SignInCode(err error) int {
	var sf *SignInFailure
	if errors.As(err, &sf) {
		return sf.Code
	}
	return 0
}

// entraError is the token endpoint's error body (RFC 6749 §5.2 plus
// Entra's fields).
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

var aadstsCode = regexp.MustCompile(`AADSTS(\d+)`)

// parseEntraError reads an error body of the token endpoint.
func parseEntraError(body []byte) (entraError, bool) {
	var ee entraError
	if json.Unmarshal(body, &ee) != nil || (ee.Error == "" && ee.Description == "") {
		return entraError{}, false
	}
	if len(ee.Codes) == 0 {
		if m := aadstsCode.FindStringSubmatch(ee.Description); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				ee.Codes = []int{n}
			}
		}
	}
	return ee, true
}

// failureRecorder keeps the bodies of the token endpoint's error answers:
// MSAL reads (and, polling a device code, drains) them before azidentity
// wraps the response in its error, so the error's own copy may be empty.
type failureRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	byResp map[*http.Response][]byte
	last   []byte
}

// maxRecorded bounds the answers kept (a failure is one or two).
const maxRecorded = 16

func (r *failureRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 || resp.Body == nil {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	if ee, ok := parseEntraError(body); ok && ee.Error != "authorization_pending" && ee.Error != "slow_down" {
		r.mu.Lock()
		if r.byResp == nil || len(r.byResp) >= maxRecorded {
			r.byResp = map[*http.Response][]byte{}
		}
		r.byResp[resp], r.last = body, body
		r.mu.Unlock()
	}
	return resp, nil
}

func (r *failureRecorder) body(resp *http.Response) []byte {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.byResp[resp]; ok {
		return b
	}
	return r.last
}

// newSignInFailure explains a credential's error. An
// AuthenticationRequiredError (nobody signed in, and prompting is off) is
// returned as it is: it is not a refusal.
func newSignInFailure(credential string, err error, rec *failureRecorder) error {
	var required *azidentity.AuthenticationRequiredError
	var already *SignInFailure
	if errors.As(err, &required) || errors.As(err, &already) {
		return err
	}
	sf := &SignInFailure{Credential: credential, Err: err}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		sf.Status = afe.RawResponse.StatusCode
		if body := rec.body(afe.RawResponse); body != nil {
			if ee, ok := parseEntraError(body); ok {
				sf.OAuthError, sf.Description = ee.Error, ee.Description
				if len(ee.Codes) > 0 {
					sf.Code = ee.Codes[0]
				}
				return sf
			}
		}
	}
	sf.Message = credentialMessage(err.Error())
	if m := aadstsCode.FindStringSubmatch(sf.Message); m != nil {
		sf.Code, _ = strconv.Atoi(m[1])
	}
	return sf
}

// credentialMessage keeps what an azidentity error says, without its
// separator lines and troubleshooting link.
func credentialMessage(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "To troubleshoot, visit") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, " ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
