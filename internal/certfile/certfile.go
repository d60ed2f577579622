// Package certfile reads an app registration's certificate and private key
// from the files admins have: PEM (plain, PKCS#8 "ENCRYPTED PRIVATE KEY" as
// OpenSSL 3 writes it, or a legacy "Proc-Type: 4,ENCRYPTED" RSA key) and
// PKCS#12/PFX, including OpenSSL 3's default (AES-256-CBC, PBKDF2 and a
// SHA-256 MAC), which azidentity.ParseCertificates (golang.org/x/crypto's
// pkcs12: SHA-1 MAC and RC2/3DES only) refuses. PFX files are read with
// software.sslmate.com/src/go-pkcs12.
package certfile

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"crypto/pbkdf2"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Errors a caller can tell apart (cmd turns them into hints).
var (
	// ErrPasswordRequired: the key is encrypted and no password was given.
	ErrPasswordRequired = errors.New("the private key is encrypted and no password was given")
	// ErrWrongPassword: the password does not decrypt the file.
	ErrWrongPassword = errors.New("the password does not decrypt the file")
	// ErrNoCertificate and ErrNoKey: the file lacks one of the two.
	ErrNoCertificate = errors.New("the file holds no certificate")
	ErrNoKey         = errors.New("the file holds no private key")
)

// UnsupportedError is an encryption or format this package cannot read;
// the file must be re-exported (cmd says how).
type UnsupportedError struct{ What string }

func (e *UnsupportedError) Error() string { return "unsupported " + e.What }

// maxIterations bounds the PBKDF2 work a file may ask for (OpenSSL 3
// writes 2,048; Windows 2,000; a hostile file should not spin for minutes).
const maxIterations = 10_000_000

// Parse reads certificates and the private key from PEM or PFX data. The
// first certificate is the one whose key is given; the others are its chain.
func Parse(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		return parsePEM(data, password)
	}
	return parsePFX(data, password)
}

func parsePFX(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		if password == "" {
			return nil, nil, ErrPasswordRequired
		}
		return nil, nil, ErrWrongPassword
	case err != nil:
		var nie pkcs12.NotImplementedError
		if errors.As(err, &nie) {
			return nil, nil, &UnsupportedError{What: "PKCS#12 feature: " + string(nie)}
		}
		return nil, nil, fmt.Errorf("neither PEM nor a readable PKCS#12 (PFX) file: %w", err)
	}
	return append([]*x509.Certificate{cert}, chain...), key, nil
}

func parsePEM(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	var certs []*x509.Certificate
	var key crypto.PrivateKey
	setKey := func(k crypto.PrivateKey, err error) error {
		if err != nil {
			return err
		}
		if key != nil {
			return errors.New("the file holds more than one private key")
		}
		key = k
		return nil
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var err error
		switch block.Type {
		case "CERTIFICATE":
			c, cerr := x509.ParseCertificate(block.Bytes)
			if cerr != nil {
				return nil, nil, fmt.Errorf("certificate: %w", cerr)
			}
			certs = append(certs, c)
		case "PRIVATE KEY":
			err = setKey(x509.ParsePKCS8PrivateKey(block.Bytes))
		case "RSA PRIVATE KEY":
			der := block.Bytes
			//lint:ignore SA1019 legacy encrypted PEM keys still exist; reading one is the point
			if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
				if password == "" {
					return nil, nil, ErrPasswordRequired
				}
				//lint:ignore SA1019 as above
				der, err = x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
				if err != nil {
					return nil, nil, ErrWrongPassword
				}
			}
			err = setKey(x509.ParsePKCS1PrivateKey(der))
		case "EC PRIVATE KEY":
			err = setKey(x509.ParseECPrivateKey(block.Bytes))
		case "ENCRYPTED PRIVATE KEY":
			if password == "" {
				return nil, nil, ErrPasswordRequired
			}
			der, derr := DecryptPKCS8(block.Bytes, password)
			if derr != nil {
				return nil, nil, derr
			}
			k, perr := x509.ParsePKCS8PrivateKey(der)
			if perr != nil {
				return nil, nil, ErrWrongPassword
			}
			err = setKey(k, nil)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("private key: %w", err)
		}
	}
	if len(certs) == 0 {
		return nil, nil, ErrNoCertificate
	}
	if key == nil {
		return nil, nil, ErrNoKey
	}
	// Put the certificate of the key first, whatever the file's order.
	for i, c := range certs {
		if matches(c, key) {
			certs[0], certs[i] = certs[i], certs[0]
			return certs, key, nil
		}
	}
	return nil, nil, errors.New("no certificate in the file matches its private key")
}

func matches(c *x509.Certificate, key crypto.PrivateKey) bool {
	type publicKeyer interface{ Public() crypto.PublicKey }
	pk, ok := key.(publicKeyer)
	if !ok {
		return false
	}
	switch pub := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return pub.Equal(pk.Public())
	case *ecdsa.PublicKey:
		return pub.Equal(pk.Public())
	}
	return false
}

var (
	oidPBES2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC    = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	oidPKCS12PBEBase = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}
)

// RFC 5958 EncryptedPrivateKeyInfo and RFC 8018 PBES2 parameters.
type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// DecryptPKCS8 decrypts an RFC 5958 EncryptedPrivateKeyInfo protected with
// PBES2 (PBKDF2 with HMAC-SHA-1/256/384/512, AES-128/192/256-CBC or
// 3DES-CBC): what `openssl pkcs8 -topk8`, `openssl genpkey -aes256` and
// OpenSSL 3's `openssl pkcs12 -nodes` counterpart write. It returns the
// DER of the plain PKCS#8 key.
func DecryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, errors.New("the encrypted private key is not valid PKCS#8")
	}
	alg := info.Algorithm.Algorithm
	if len(alg) == len(oidPKCS12PBEBase)+1 && alg[:len(oidPKCS12PBEBase)].Equal(oidPKCS12PBEBase) {
		return nil, &UnsupportedError{What: "private key encryption (PKCS#12 PBE, OpenSSL 1.0's default)"}
	}
	if !alg.Equal(oidPBES2) {
		return nil, &UnsupportedError{What: "private key encryption " + alg.String()}
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("the encrypted private key's PBES2 parameters are not valid")
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, &UnsupportedError{What: "key derivation " + params.KDF.Algorithm.String() + " (only PBKDF2 is read)"}
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("the encrypted private key's PBKDF2 parameters are not valid")
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxIterations {
		return nil, fmt.Errorf("the encrypted private key asks for %d PBKDF2 iterations (at most %d are done)", kdf.Iterations, maxIterations)
	}
	var prf func() hash.Hash
	switch a := kdf.PRF.Algorithm; {
	case len(a) == 0 || a.Equal(oidHMACSHA1):
		prf = sha1.New
	case a.Equal(oidHMACSHA256):
		prf = sha256.New
	case a.Equal(oidHMACSHA384):
		prf = sha512.New384
	case a.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, &UnsupportedError{What: "PBKDF2 pseudo-random function " + a.String()}
	}
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch s := params.Scheme.Algorithm; {
	case s.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case s.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case s.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case s.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, &UnsupportedError{What: "private key cipher " + s.String()}
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, errors.New("the encrypted private key's PBKDF2 key length does not fit its cipher")
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("the encrypted private key's cipher parameters are not valid")
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	if len(iv) != block.BlockSize() || len(info.Data) == 0 || len(info.Data)%block.BlockSize() != 0 {
		return nil, errors.New("the encrypted private key's data does not fit its cipher")
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	// PKCS#7 padding; a wrong password leaves garbage here.
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > block.BlockSize() {
		return nil, ErrWrongPassword
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, ErrWrongPassword
		}
	}
	return plain[:len(plain)-pad], nil
}
