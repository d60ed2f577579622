package graph

import (
	"bytes"
	"compress/gzip"
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
	secretFields = regexp.MustCompile(`("(?i:secretKey|temporaryAccessPass|newPassword|password|verificationCode|otp|pin|answers?|secret|keys|codes|deviceToken|token|access_token|refresh_token|id_token|device_code|client_secret|client_assertion|client_info)"\s*:\s*)("(?:[^"\\]|\\.)*"|\[[^\]]*\])`)
	// formSecrets hides the secrets of a token request (a form body or
	// query): client secret and assertion, refresh token, device and
	// authorisation codes, passwords.
	formSecrets = regexp.MustCompile(`(?i)((?:^|[?&])(?:client_secret|client_assertion|refresh_token|device_code|code|password|assertion|code_verifier)=)[^&\s]*`)
	// codeField hides one-time codes ("code":"123456") but not OData error
	// codes ("code":"Request_ResourceNotFound"), which are not secret.
	codeField   = regexp.MustCompile(`("(?i:code)"\s*:\s*)"[0-9 ]*"`)
	secretQuery = regexp.MustCompile(`(?i)(secret=)[A-Z2-7=]+`)
)

// Redact removes secrets from a JSON body or URL for display.
func Redact(s string) string {
	s = secretFields.ReplaceAllString(s, `$1"[REDACTED]"`)
	s = codeField.ReplaceAllString(s, `$1"[REDACTED]"`)
	s = formSecrets.ReplaceAllString(s, `${1}[REDACTED]`)
	return secretQuery.ReplaceAllString(s, `${1}[REDACTED]`)
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
