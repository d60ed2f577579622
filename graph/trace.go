package graph

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// traceTransport writes each HTTP exchange to w for --debug, with the bearer
// token, one-time codes and every secret field redacted. It sits under the
// Graph middleware, so it shows what really goes on the wire (including
// retries), decompressing gzip bodies for reading.
type traceTransport struct {
	next http.RoundTripper
	w    io.Writer
	mu   sync.Mutex
}

// maxTraceBody bounds how much of a body the trace prints.
const maxTraceBody = 4096

var (
	// secretFields is the fallback for a body that is not whole JSON (a
	// clipped or malformed one).
	secretFields = regexp.MustCompile(`("(?i:secretKey|activationCode|temporaryAccessPass|newPassword|password|verificationCode|otp|pin|answers?|secret|keys|codes|deviceToken|token|access_token|refresh_token|id_token|device_code|client_secret|client_assertion|client_info)"\s*:\s*)("(?:[^"\\]|\\.)*"|\[[^\]]*\])`)
	// formSecrets hides the secrets of a token request (a form body or
	// query): client secret and assertion, refresh token, device and
	// authorisation codes, passwords.
	formSecrets = regexp.MustCompile(`(?i)((?:^|[?&])(?:client_secret|client_assertion|refresh_token|device_code|code|password|assertion|code_verifier)=)[^&\s]*`)
	// codeField hides one-time codes ("code":"123456") but not OData error
	// codes ("code":"Request_ResourceNotFound"), which are not secret.
	codeField = regexp.MustCompile(`("(?i:code)"\s*:\s*)"[0-9 ]*"`)
	// secretQuery hides secrets in URLs: an otpauth URI's seed, and any
	// code, pass or token a query would carry.
	secretQuery = regexp.MustCompile(`(?i)([?&](?:secret|code|pin|password|token|deviceToken|temporaryAccessPass)=)[^&\s"\\]+`)
)

// secretKeys are the JSON properties whose value is a secret wherever they
// appear: OATH seeds, passes, passwords, codes, PINs, answers, key presses,
// remembered-device tokens and activation codes.
var secretKeys = map[string]bool{
	"secretkey": true, "secret": true, "temporaryaccesspass": true, "newpassword": true, "password": true,
	"verificationcode": true, "otp": true, "pin": true, "answer": true, "answers": true, "keys": true,
	"codes": true, "devicetoken": true, "token": true,
	// A Microsoft Authenticator registration's activation code.
	"activationcode": true,
	// Entra's token answers and requests (sign-in traces).
	"access_token": true, "refresh_token": true, "id_token": true, "device_code": true,
	"client_secret": true, "client_assertion": true, "client_info": true,
}

// notSecretScopes are the objects whose "code" is a status, not a secret:
// Graph's error envelope (error, innerError, details) and the emulator's
// verdicts.
var notSecretScopes = map[string]bool{"error": true, "innererror": true, "details": true, "verdict": true}

// Redact removes secrets from a JSON body or URL for display. A JSON body
// is walked, so a secret is hidden whatever its value looks like (a
// Temporary Access Pass given as a "code" is letters and signs, not
// digits); "code" is a secret everywhere but in an error or a verdict.
// Everything else keeps its bytes.
func Redact(s string) string {
	if t := strings.TrimSpace(s); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		if out, ok := redactJSON(s); ok {
			return secretQuery.ReplaceAllString(out, `${1}[REDACTED]`)
		}
	}
	s = secretFields.ReplaceAllString(s, `$1"[REDACTED]"`)
	s = codeField.ReplaceAllString(s, `$1"[REDACTED]"`)
	s = formSecrets.ReplaceAllString(s, `${1}[REDACTED]`)
	return secretQuery.ReplaceAllString(s, `${1}[REDACTED]`)
}

// span is a byte range of a secret value.
type span struct{ from, to int }

// redactJSON replaces the value of every secret property of a valid JSON
// document with "[REDACTED]", keeping every other byte.
func redactJSON(s string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var spans []span
	var walk func(inScope bool) error
	walk = func(inScope bool) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		for dec.More() {
			key := ""
			if d == '{' {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ = kt.(string)
			}
			lower := strings.ToLower(key)
			if secretKeys[lower] || (lower == "code" && !inScope) {
				from := int(dec.InputOffset())
				for from < len(s) && (s[from] == ' ' || s[from] == '\t' || s[from] == '\n' || s[from] == '\r' || s[from] == ':') {
					from++
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return err
				}
				spans = append(spans, span{from, int(dec.InputOffset())})
				continue
			}
			if err := walk(inScope || notSecretScopes[lower]); err != nil {
				return err
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	if err := walk(false); err != nil {
		return "", false
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.from])
		b.WriteString(`"[REDACTED]"`)
		last = sp.to
	}
	b.WriteString(s[last:])
	return b.String(), true
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	elapsed := time.Since(start)

	var out strings.Builder
	fmt.Fprintf(&out, "> %s %s\n", req.Method, Redact(req.URL.String()))
	writeHeaders(&out, "> ", req.Header)
	if len(reqBody) > 0 {
		fmt.Fprintf(&out, "> %s\n", clip(Redact(string(maybeGunzip(reqBody, req.Header.Get("Content-Encoding"))))))
	}
	if err != nil {
		fmt.Fprintf(&out, "< error after %s: %v\n", elapsed.Round(time.Millisecond), err)
		t.emit(out.String())
		return resp, err
	}
	fmt.Fprintf(&out, "< %s (%s)\n", resp.Status, elapsed.Round(time.Millisecond))
	writeHeaders(&out, "< ", resp.Header)
	if resp.Body != nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if rerr == nil && len(b) > 0 {
			fmt.Fprintf(&out, "< %s\n", clip(Redact(string(maybeGunzip(b, resp.Header.Get("Content-Encoding"))))))
		}
	}
	t.emit(out.String())
	return resp, nil
}

func (t *traceTransport) emit(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, s)
}

func writeHeaders(out *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.Join(h[k], ", ")
		if strings.EqualFold(k, "Authorization") {
			scheme, _, _ := strings.Cut(v, " ")
			v = scheme + " [REDACTED]"
		}
		fmt.Fprintf(out, "%s%s: %s\n", prefix, k, v)
	}
}

func maybeGunzip(b []byte, encoding string) []byte {
	if !strings.EqualFold(encoding, "gzip") {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return b
	}
	plain, err := io.ReadAll(io.LimitReader(zr, maxTraceBody*4))
	if err != nil && len(plain) == 0 {
		return b
	}
	return plain
}

func clip(s string) string {
	if len(s) > maxTraceBody {
		return s[:maxTraceBody] + fmt.Sprintf("... (%d more bytes)", len(s)-maxTraceBody)
	}
	return s
}
