package certfile

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const password = "test-password"

// The fixtures were written by OpenSSL 3.0 from one RSA key and its
// self-signed certificate (testdata/cert.pem):
//
//	openssl pkcs8 -topk8 ...                       pkcs8-aes256.pem (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)
//	openssl pkcs8 -topk8 -v2 des3 ...              pkcs8-des3.pem
//	openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES ...     pkcs8-pbe-sha1-3des.pem (refused: PKCS#12 PBE)
//	openssl rsa -traditional -aes128 ...           legacy-rsa-aes128.pem (Proc-Type: 4,ENCRYPTED)
//	openssl pkcs12 -export ...                     openssl3.pfx (AES-256-CBC, SHA-256 MAC: OpenSSL 3's default)
//	openssl pkcs12 -export -legacy ...             legacy.pfx (3DES/RC2, SHA-1 MAC)
func TestParse(t *testing.T) {
	want := readCert(t)
	for _, tt := range []struct {
		file, password string
		err            error
		unsupported    bool
	}{
		{file: "plain.pem"},
		{file: "pkcs8-aes256.pem", password: password},
		{file: "pkcs8-aes256.pem", err: ErrPasswordRequired},
		{file: "pkcs8-aes256.pem", password: "wrong", err: ErrWrongPassword},
		{file: "pkcs8-des3.pem", password: password},
		{file: "pkcs8-pbe-sha1-3des.pem", password: password, unsupported: true},
		{file: "legacy-rsa-aes128.pem", password: password},
		{file: "legacy-rsa-aes128.pem", password: "wrong", err: ErrWrongPassword},
		{file: "legacy-rsa-aes128.pem", err: ErrPasswordRequired},
		{file: "openssl3.pfx", password: password},
		{file: "openssl3.pfx", password: "wrong", err: ErrWrongPassword},
		{file: "openssl3.pfx", err: ErrPasswordRequired},
		{file: "legacy.pfx", password: password},
		{file: "cert.pem", err: ErrNoKey},
	} {
		t.Run(tt.file+"/"+tt.password, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			certs, key, err := Parse(data, tt.password)
			var ue *UnsupportedError
			switch {
			case tt.unsupported:
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want UnsupportedError", err)
				}
				return
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !certs[0].Equal(want) {
				t.Errorf("first certificate is %s, want the test app's", certs[0].Subject)
			}
			rk, ok := key.(*rsa.PrivateKey)
			if !ok || !rk.PublicKey.Equal(want.PublicKey) {
				t.Errorf("key %T does not match the certificate", key)
			}
		})
	}
}

// azidentity.ParseCertificates refuses the files this package reads: the
// reason it exists. Should azidentity learn them, this test says so.
func TestAzidentityRefusesOpenSSL3Files(t *testing.T) {
	for _, f := range []string{"openssl3.pfx", "pkcs8-aes256.pem"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := azidentity.ParseCertificates(data, []byte(password)); err == nil {
			t.Errorf("azidentity.ParseCertificates now reads %s", f)
		}
	}
}

func readCert(t *testing.T) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzParse: no input makes Parse panic or spin, and what it accepts has a
// certificate and a key.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"plain.pem", "pkcs8-aes256.pem", "legacy-rsa-aes128.pem", "openssl3.pfx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, password)
	}
	f.Fuzz(func(t *testing.T, data []byte, pw string) {
		certs, key, err := Parse(data, pw)
		if err == nil && (len(certs) == 0 || key == nil) {
			t.Fatalf("accepted without a certificate and key")
		}
	})
}
