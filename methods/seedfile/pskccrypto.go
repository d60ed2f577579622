package seedfile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"unicode"
)

// Algorithm identifiers PSKC documents use for encryption, MACs and key
// derivation (XML Encryption, XML Signature and PKCS #5 URIs).
const (
	xmlencAES128CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	xmlencAES192CBC = "http://www.w3.org/2001/04/xmlenc#aes192-cbc"
	xmlencAES256CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	macHMACSHA1     = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	macHMACSHA224   = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha224"
	macHMACSHA256   = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
	macHMACSHA384   = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha384"
	macHMACSHA512   = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512"
	kdfPBKDF2       = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"
)

// maxPBKDF2Iterations bounds the work a file can ask for: far above what
// vendors use (RFC 6030's example has 1000), far below a hang. A variable
// only so the fuzz test can keep each run fast.
var maxPBKDF2Iterations = 5_000_000

// errWrongKey is what every failure that a wrong key or password causes
// (bad padding, MAC mismatch) comes down to, so the message is the same
// whichever check noticed.
var errWrongKey = errors.New("wrong key or password")

// ParseHexKey reads a pre-shared PSKC key given on the command line as
// hex (spaces, colons and a 0x prefix allowed): 16, 24 or 32 bytes for
// AES-128, -192 or -256. Errors never quote the key.
func ParseHexKey(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	s = strings.Map(func(r rune) rune {
		if r == ':' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	key, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("the PSKC key must be hexadecimal (e.g. 32 hex digits for AES-128)")
	}
	switch len(key) {
	case 16, 24, 32:
		return key, nil
	}
	return nil, fmt.Errorf("the PSKC key has %d bytes; AES keys have 16, 24 or 32 (32, 48 or 64 hex digits)", len(key))
}

// decodeBase64 reads a base64 element value, which XML may wrap over lines.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	return b, nil
}

// cbcKeyLength is the AES key size an xmlenc CBC algorithm URI names.
func cbcKeyLength(algorithm string) (int, error) {
	switch strings.TrimSpace(algorithm) {
	case xmlencAES128CBC:
		return 16, nil
	case xmlencAES192CBC:
		return 24, nil
	case xmlencAES256CBC:
		return 32, nil
	case "":
		return 0, errors.New("the encrypted value names no encryption algorithm")
	}
	return 0, fmt.Errorf("encryption algorithm %q is not supported (AES-128/192/256-CBC are)", printable(algorithm))
}

// decryptCBC decrypts an xmlenc CBC value: the IV, then the ciphertext,
// with PKCS #7 padding. A padding error means the key is wrong (or the
// data damaged); the plaintext is never returned in that case.
func decryptCBC(algorithm string, key, ivAndCiphertext []byte) ([]byte, error) {
	size, err := cbcKeyLength(algorithm)
	if err != nil {
		return nil, err
	}
	if len(key) != size {
		return nil, fmt.Errorf("the file uses AES-%d, which needs a %d-byte key, but the key has %d bytes", size*8, size, len(key))
	}
	if len(ivAndCiphertext) < 2*aes.BlockSize || len(ivAndCiphertext)%aes.BlockSize != 0 {
		return nil, errors.New("the encrypted value is truncated (not an IV and whole AES blocks)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	iv, ct := ivAndCiphertext[:aes.BlockSize], ivAndCiphertext[aes.BlockSize:]
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize {
		clear(plain)
		return nil, fmt.Errorf("%w (bad padding after decryption)", errWrongKey)
	}
	if subtle.ConstantTimeCompare(plain[len(plain)-n:], bytesOf(byte(n), n)) != 1 {
		clear(plain)
		return nil, fmt.Errorf("%w (bad padding after decryption)", errWrongKey)
	}
	return plain[:len(plain)-n], nil
}

func bytesOf(b byte, n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = b
	}
	return s
}

// macHash maps an XML Signature HMAC URI to its hash.
func macHash(algorithm string) (func() hash.Hash, error) {
	switch strings.TrimSpace(algorithm) {
	case macHMACSHA1, "":
		// RFC 6030 §6.1.1 names HMAC-SHA1; files that omit the algorithm
		// (older drafts) mean it.
		return sha1.New, nil
	case macHMACSHA224:
		return sha256.New224, nil
	case macHMACSHA256:
		return sha256.New, nil
	case macHMACSHA384:
		return sha512.New384, nil
	case macHMACSHA512:
		return sha512.New, nil
	}
	return nil, fmt.Errorf("MAC algorithm %q is not supported (HMAC-SHA1 and HMAC-SHA2 are)", printable(algorithm))
}

// checkValueMAC verifies a ValueMAC: RFC 6030 §6.1.1 computes it over the
// encrypted value as transmitted, IV included.
func checkValueMAC(newHash func() hash.Hash, macKey, ivAndCiphertext []byte, valueMAC string) error {
	want, err := decodeBase64(valueMAC)
	if err != nil {
		return errors.New("ValueMAC is not valid base64")
	}
	m := hmac.New(newHash, macKey)
	m.Write(ivAndCiphertext)
	if !hmac.Equal(m.Sum(nil), want) {
		return fmt.Errorf("%w (the ValueMAC does not match)", errWrongKey)
	}
	return nil
}

// pbkdf2Params is RFC 6030 §6.2's PBKDF2-params as read from the file.
type pbkdf2Params struct {
	Salt           string // base64 (Salt/Specified)
	IterationCount string
	KeyLength      string // optional: bytes
	PRF            string // optional algorithm URI; HMAC-SHA1 when empty
}

// deriveKey runs PBKDF2 over the password with the file's parameters.
// keyLength is the AES key size the file's encryption algorithm needs,
// used when the file does not say.
func deriveKey(password string, p pbkdf2Params, keyLength int) ([]byte, error) {
	salt, err := decodeBase64(p.Salt)
	if err != nil || len(salt) == 0 {
		return nil, errors.New("PBKDF2-params has no valid Salt/Specified value")
	}
	iter, err := strconv.Atoi(strings.TrimSpace(p.IterationCount))
	if err != nil || iter < 1 {
		return nil, errors.New("PBKDF2-params has no valid IterationCount")
	}
	if iter > maxPBKDF2Iterations {
		return nil, fmt.Errorf("PBKDF2 IterationCount %d is above the %d this tool will run", iter, maxPBKDF2Iterations)
	}
	if s := strings.TrimSpace(p.KeyLength); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || (n != 16 && n != 24 && n != 32) {
			return nil, errors.New("PBKDF2 KeyLength must be 16, 24 or 32 bytes")
		}
		if keyLength != 0 && n != keyLength {
			return nil, fmt.Errorf("PBKDF2 KeyLength is %d bytes but the encryption algorithm needs %d", n, keyLength)
		}
		keyLength = n
	}
	if keyLength == 0 {
		keyLength = 16
	}
	prf, err := macHash(p.PRF)
	if err != nil {
		return nil, fmt.Errorf("PBKDF2 PRF: %w", err)
	}
	return pbkdf2.Key(prf, password, salt, iter, keyLength)
}
