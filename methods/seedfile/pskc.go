package seedfile

import (
	"crypto/sha1"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// PSKC namespaces and key algorithm URIs.
const (
	pskcNamespace = "urn:ietf:params:xml:ns:keyprov:pskc"
	// pskcDraftNamespace is the pre-RFC draft format (Device, KeyAlgorithm,
	// KeyId), which some old token exports still use.
	pskcDraftNamespace = "urn:ietf:params:xml:ns:keyprov:pskc:1.0"
)

// PSKCOptions carries what a PSKC file may need from the user.
type PSKCOptions struct {
	// Key is the pre-shared AES key (--pskc-key, see ParseHexKey) for a
	// file whose EncryptionKey names a key.
	Key []byte
	// Password derives the key (PBKDF2) for a file whose EncryptionKey is
	// a DerivedKey.
	Password string
	// Manufacturer and Model fill in tokens whose DeviceInfo lacks them:
	// Entra requires both, and vendors often leave Model out.
	Manufacturer string
	Model        string
}

// The XML shapes read from a PSKC document. Elements are matched by local
// name, so the default namespace and "pskc:", "xenc:", "ds:", "xenc11:" or
// "pkcs5:" prefixes all read the same.
type (
	pskcEncryptionKey struct {
		KeyName    string `xml:"KeyName"`
		DerivedKey *struct {
			Method struct {
				Algorithm string     `xml:"Algorithm,attr"`
				Params    *pbkdf2XML `xml:"PBKDF2-params"`
			} `xml:"KeyDerivationMethod"`
			MasterKeyName string `xml:"MasterKeyName"`
		} `xml:"DerivedKey"`
	}
	pbkdf2XML struct {
		Salt           string `xml:"Salt>Specified"`
		IterationCount string `xml:"IterationCount"`
		KeyLength      string `xml:"KeyLength"`
		PRF            struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"PRF"`
	}
	pskcMACMethod struct {
		Algorithm string              `xml:"Algorithm,attr"`
		MACKey    *pskcEncryptedValue `xml:"MACKey"`
	}
	pskcEncryptedValue struct {
		Method struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"EncryptionMethod"`
		CipherValue string `xml:"CipherData>CipherValue"`
	}
	pskcValue struct {
		PlainValue     *string             `xml:"PlainValue"`
		EncryptedValue *pskcEncryptedValue `xml:"EncryptedValue"`
		ValueMAC       string              `xml:"ValueMAC"`
	}
	pskcKeyPackage struct {
		DeviceInfo struct {
			Manufacturer string `xml:"Manufacturer"`
			SerialNo     string `xml:"SerialNo"`
			Model        string `xml:"Model"`
		} `xml:"DeviceInfo"`
		Key *pskcKey `xml:"Key"`
	}
	pskcKey struct {
		Algorithm           string `xml:"Algorithm,attr"`
		FriendlyName        string `xml:"FriendlyName"`
		AlgorithmParameters struct {
			Suite          string `xml:"Suite"`
			ResponseFormat *struct {
				Length   string `xml:"Length,attr"`
				Encoding string `xml:"Encoding,attr"`
			} `xml:"ResponseFormat"`
		} `xml:"AlgorithmParameters"`
		Data struct {
			Secret       *pskcValue `xml:"Secret"`
			Time         *pskcValue `xml:"Time"`
			TimeInterval *pskcValue `xml:"TimeInterval"`
		} `xml:"Data"`
	}
)

// pskcDocument is a PSKC file read and decrypted, before Entra's rules.
type pskcDocument struct {
	packages []pskcPackage
}

// pskcPackage is one KeyPackage with its secret in the clear (or the
// reason it could not be read).
type pskcPackage struct {
	line         int
	serial       string
	manufacturer string
	model        string
	hasKey       bool
	algorithm    string
	friendlyName string
	suite        string
	digits       string // ResponseFormat@Length; "" when absent
	encoding     string
	secret       []byte
	timeInterval *pskcValue
	time         *pskcValue
	problems     []string
}

// ParsePSKC reads an RFC 6030 PSKC document of TOTP keys. Secrets may be
// in the clear (PlainValue) or encrypted with AES-CBC under a pre-shared
// key or a PBKDF2 password, with a ValueMAC that proves the key right.
// Problems with the whole file (malformed XML with its position, not
// PSKC, a missing or wrong key) are errors; problems with one KeyPackage
// (HOTP, 8 digits, no serial, ...) are row errors at its line.
func ParsePSKC(r io.Reader, opts PSKCOptions) (*Result, error) {
	doc, err := readPSKC(r, opts)
	if err != nil {
		return nil, err
	}
	cands := make([]*candidate, 0, len(doc.packages))
	for i := range doc.packages {
		cands = append(cands, pskcCandidate(&doc.packages[i], opts))
	}
	for i := range doc.packages {
		clear(doc.packages[i].secret)
	}
	return finish(cands), nil
}

// readPSKC parses and decrypts the document. It knows PSKC, not Entra:
// HOTP keys are read like any other, which is what lets the RFC's HOTP
// figures test the decryption.
func readPSKC(r io.Reader, opts PSKCOptions) (*pskcDocument, error) {
	d := xml.NewDecoder(r)
	root, err := rootElement(d)
	if err != nil {
		return nil, err
	}
	switch {
	case root.Name.Local == "KeyContainer" && root.Name.Space == pskcDraftNamespace:
		return nil, &FileError{Line: line(d), Problem: "the file uses the pre-RFC PSKC draft format (" + pskcDraftNamespace + "); export it as RFC 6030 PSKC"}
	case root.Name.Local != "KeyContainer" || root.Name.Space != pskcNamespace:
		return nil, &FileError{Line: line(d), Problem: fmt.Sprintf("not a PSKC file: the root element is <%s> in namespace %q, want <KeyContainer> in %s", printable(root.Name.Local), printable(root.Name.Space), pskcNamespace)}
	}
	for _, a := range root.Attr {
		if a.Name.Local == "Version" && strings.TrimSpace(a.Value) != "1.0" {
			return nil, &FileError{Line: line(d), Problem: fmt.Sprintf("PSKC version %q is not supported (1.0 is)", printable(a.Value))}
		}
	}

	var (
		encKey  *pskcEncryptionKey
		macMeth *pskcMACMethod
		raw     []pskcKeyPackage
		lines   []int
	)
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, xmlError(d, err)
		}
		if _, ok := tok.(xml.EndElement); ok {
			break // the end of KeyContainer: Token checks that tags match
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "EncryptionKey":
			encKey = &pskcEncryptionKey{}
			err = d.DecodeElement(encKey, &se)
		case "MACMethod":
			macMeth = &pskcMACMethod{}
			err = d.DecodeElement(macMeth, &se)
		case "KeyPackage":
			lines = append(lines, line(d))
			raw = append(raw, pskcKeyPackage{})
			err = d.DecodeElement(&raw[len(raw)-1], &se)
		default:
			err = d.Skip()
		}
		if err != nil {
			return nil, xmlError(d, err)
		}
	}
	if err := expectEOF(d); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, &FileError{Problem: "the PSKC file has no KeyPackage"}
	}

	keys := &pskcKeys{opts: opts, encKey: encKey, macMethod: macMeth}
	doc := &pskcDocument{}
	for i, kp := range raw {
		p := pskcPackage{
			line:         lines[i],
			serial:       strings.TrimSpace(kp.DeviceInfo.SerialNo),
			manufacturer: strings.TrimSpace(kp.DeviceInfo.Manufacturer),
			model:        strings.TrimSpace(kp.DeviceInfo.Model),
		}
		if k := kp.Key; k != nil {
			p.hasKey = true
			p.algorithm = strings.TrimSpace(k.Algorithm)
			p.friendlyName = strings.TrimSpace(k.FriendlyName)
			p.suite = strings.TrimSpace(k.AlgorithmParameters.Suite)
			if rf := k.AlgorithmParameters.ResponseFormat; rf != nil {
				p.digits, p.encoding = strings.TrimSpace(rf.Length), strings.TrimSpace(rf.Encoding)
			}
			p.time, p.timeInterval = k.Data.Time, k.Data.TimeInterval
			if k.Data.Secret == nil {
				p.problems = append(p.problems, "the key has no Secret")
			} else {
				secret, err := keys.value(k.Data.Secret)
				var fe *FileError
				if errors.As(err, &fe) {
					return nil, err
				}
				if err != nil {
					p.problems = append(p.problems, "secret: "+err.Error())
				}
				p.secret = secret
			}
		}
		doc.packages = append(doc.packages, p)
	}
	return doc, nil
}

// rootElement returns the first element, skipping the prolog.
func rootElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, &FileError{Problem: "the file is empty or has no XML element"}
		}
		if err != nil {
			return xml.StartElement{}, xmlError(d, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se, nil
		}
	}
}

// expectEOF makes sure nothing but comments and space follows the root.
func expectEOF(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return xmlError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return &FileError{Line: line(d), Problem: "malformed XML: more than one root element"}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return &FileError{Line: line(d), Problem: "malformed XML: text after the root element"}
			}
		}
	}
}

func line(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

// xmlError reports malformed XML by position. encoding/xml's messages
// name tags, which is useful, but also quote an unknown entity whole,
// which could be part of a seed, so that one is reworded.
func xmlError(d *xml.Decoder, err error) error {
	l, col := d.InputPos()
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		msg := se.Msg
		if strings.HasPrefix(msg, "invalid character entity") {
			msg = "invalid character entity (write & as &amp;)"
		}
		if se.Line != l {
			col = 0 // the decoder has moved on; only the line is known
		}
		return &FileError{Line: se.Line, Column: col, Problem: "malformed XML: " + msg}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &FileError{Line: l, Column: col, Problem: "malformed XML: the file ends inside an element (truncated?)"}
	}
	var ue xml.UnmarshalError
	if errors.As(err, &ue) {
		return &FileError{Line: l, Column: col, Problem: "malformed PSKC: " + string(ue)}
	}
	return fmt.Errorf("reading the PSKC file: %w", err)
}

// pskcKeys resolves, once and only when a value is encrypted, the
// decryption key and the MAC key. A failure there concerns every
// encrypted value, so it is a *FileError.
type pskcKeys struct {
	opts      PSKCOptions
	encKey    *pskcEncryptionKey
	macMethod *pskcMACMethod

	resolved bool
	key      []byte // for the encryption algorithm of the first value
	keyErr   error
	macKey   []byte
	macHash  func() hash.Hash
}

// value returns a Data value's bytes: the base64 PlainValue, or the
// decrypted EncryptedValue after its ValueMAC checked out.
func (k *pskcKeys) value(v *pskcValue) ([]byte, error) {
	switch {
	case v.PlainValue != nil:
		b, err := decodeBase64(*v.PlainValue)
		if err != nil {
			return nil, errors.New("PlainValue is not valid base64")
		}
		return b, nil
	case v.EncryptedValue == nil:
		return nil, errors.New("neither PlainValue nor EncryptedValue is given")
	}
	ev := v.EncryptedValue
	if err := k.resolve(ev.Method.Algorithm); err != nil {
		return nil, err
	}
	data, err := decodeBase64(ev.CipherValue)
	if err != nil {
		return nil, errors.New("CipherValue is not valid base64")
	}
	if strings.TrimSpace(v.ValueMAC) == "" {
		// Without a MAC a wrong key passes the padding check one time in
		// 256 and yields a garbage seed; RFC 6030 §6.1.1 requires it.
		return nil, errors.New("the encrypted value has no ValueMAC, so a wrong key could not be detected")
	}
	if err := checkValueMAC(k.macHash, k.macKey, data, v.ValueMAC); err != nil {
		return nil, err
	}
	return decryptCBC(ev.Method.Algorithm, k.key, data)
}

func (k *pskcKeys) resolve(algorithm string) error {
	if k.resolved {
		return k.keyErr
	}
	k.resolved = true
	k.keyErr = k.resolveKeys(algorithm)
	return k.keyErr
}

func (k *pskcKeys) resolveKeys(algorithm string) error {
	size, err := cbcKeyLength(algorithm)
	if err != nil {
		return &FileError{Problem: err.Error()}
	}
	switch {
	case k.encKey != nil && k.encKey.DerivedKey != nil:
		dk := k.encKey.DerivedKey
		if dk.Method.Algorithm != kdfPBKDF2 || dk.Method.Params == nil {
			return &FileError{Problem: fmt.Sprintf("key derivation %q is not supported (PBKDF2 is)", printable(dk.Method.Algorithm))}
		}
		if k.opts.Password == "" {
			return &FileError{Problem: fmt.Sprintf("the secrets are encrypted with a key derived from a password%s; give the password", keyNameNote(dk.MasterKeyName))}
		}
		p := dk.Method.Params
		k.key, err = deriveKey(k.opts.Password, pbkdf2Params{Salt: p.Salt, IterationCount: p.IterationCount, KeyLength: p.KeyLength, PRF: p.PRF.Algorithm}, size)
		if err != nil {
			return &FileError{Problem: err.Error()}
		}
	case len(k.opts.Key) > 0:
		k.key = k.opts.Key
	default:
		name := ""
		if k.encKey != nil {
			name = keyNameNote(k.encKey.KeyName)
		}
		return &FileError{Problem: fmt.Sprintf("the secrets are encrypted with a pre-shared key%s; give it as hex with --pskc-key", name)}
	}
	if len(k.key) != size {
		return &FileError{Problem: fmt.Sprintf("the file uses AES-%d, which needs a %d-byte key, but the key given has %d bytes", size*8, size, len(k.key))}
	}

	// The MAC key is normally its own random key, encrypted with the
	// encryption key (RFC 6030 §6.1.1). Older files without a MACMethod
	// used the encryption key itself.
	k.macHash = sha1.New
	k.macKey = k.key
	if m := k.macMethod; m != nil {
		if k.macHash, err = macHash(m.Algorithm); err != nil {
			return &FileError{Problem: err.Error()}
		}
		if m.MACKey != nil {
			data, err := decodeBase64(m.MACKey.CipherValue)
			if err != nil {
				return &FileError{Problem: "the MACKey's CipherValue is not valid base64"}
			}
			alg := m.MACKey.Method.Algorithm
			if strings.TrimSpace(alg) == "" {
				alg = algorithm
			}
			if k.macKey, err = decryptCBC(alg, k.key, data); err != nil {
				if errors.Is(err, errWrongKey) {
					return &FileError{Problem: "cannot decrypt the MAC key: " + err.Error()}
				}
				return &FileError{Problem: "the MACKey: " + err.Error()}
			}
			if len(k.macKey) == 0 {
				return &FileError{Problem: "the MAC key is empty"}
			}
		}
	}
	return nil
}

func keyNameNote(name string) string {
	if name = strings.TrimSpace(name); name == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", printable(name))
}

// pskcCandidate applies Entra's rules to one KeyPackage. The algorithm
// comes first in the reasons: for most refused packages it is the point.
func pskcCandidate(p *pskcPackage, opts PSKCOptions) *candidate {
	c := &candidate{token: Token{Line: p.line, Digits: Digits, Algorithm: AlgorithmTOTP, HashFunction: HashSHA1, TimeInterval: 30}, trusted: true}
	t := &c.token
	t.SerialNumber = p.serial
	t.Manufacturer = firstNonEmpty(p.manufacturer, strings.TrimSpace(opts.Manufacturer))
	t.Model = firstNonEmpty(p.model, strings.TrimSpace(opts.Model))
	t.DisplayName = p.friendlyName
	// The errors file shows what the package held, as written.
	c.row = Row{SerialNumber: t.SerialNumber, Manufacturer: t.Manufacturer, Model: t.Model, TimeInterval: "30", HashFunction: string(HashSHA1)}
	if len(p.secret) > 0 {
		c.row.SecretKey = NewSecret(secretFromBytes(p.secret))
	}

	if !p.hasKey {
		c.reject("the KeyPackage has no Key")
	} else {
		switch algorithmKind(p.algorithm) {
		case AlgorithmTOTP:
		case "hotp":
			c.reject("the key is HOTP: Entra supports only TOTP hardware tokens")
		case "":
			c.reject("the key names no Algorithm: Entra supports only TOTP hardware tokens")
		default:
			c.reject("the key's algorithm %q is not TOTP: Entra supports only TOTP hardware tokens", printable(p.algorithm))
		}
		if p.digits != "" && p.digits != strconv.Itoa(Digits) {
			c.reject("ResponseFormat Length is %s digits; Entra's tokens show %d", printable(p.digits), Digits)
		}
		if p.encoding != "" && !strings.EqualFold(p.encoding, "DECIMAL") {
			c.reject("ResponseFormat Encoding is %s; Entra's codes are DECIMAL", printable(p.encoding))
		}
		if p.suite != "" {
			c.row.HashFunction = p.suite
			h, err := ParseHashFunction(strings.TrimPrefix(strings.ToUpper(p.suite), "HMAC-"))
			if err != nil {
				c.reject("Suite %q is not supported (HMAC-SHA1 or HMAC-SHA256)", printable(p.suite))
			} else {
				t.HashFunction = h
			}
		}
		if p.timeInterval != nil {
			if p.timeInterval.PlainValue != nil {
				c.row.TimeInterval = strings.TrimSpace(*p.timeInterval.PlainValue)
			}
			n, err := plainInt(p.timeInterval)
			switch {
			case err != nil:
				c.reject("TimeInterval: %v", err)
			case n != 30 && n != 60:
				c.reject("TimeInterval is %d seconds; Entra supports 30 or 60", n)
			default:
				t.TimeInterval = n
			}
		}
		if p.time != nil {
			// Entra counts TOTP steps from the Unix epoch and has nowhere to
			// put another start; codes from such a token would never match.
			if n, err := plainInt(p.time); err != nil {
				c.reject("Time: %v", err)
			} else if n != 0 {
				c.reject("Time is %d; Entra supports only tokens counting from 0 (the Unix epoch)", n)
			}
		}
		for _, prob := range p.problems {
			c.reject("%s", prob)
		}
		if len(p.problems) == 0 {
			if len(p.secret) == 0 {
				c.reject("the secret is empty")
			} else if seed, err := NormaliseSecret(secretFromBytes(p.secret)); err != nil {
				c.reject("%v", err)
			} else {
				t.Secret = NewSecret(seed)
			}
		}
	}

	if t.SerialNumber == "" {
		c.reject("DeviceInfo has no SerialNo")
	} else if err := checkSerial(t.SerialNumber); err != nil {
		c.reject("%v", err)
	}
	if t.Manufacturer == "" {
		c.reject("DeviceInfo has no Manufacturer (Entra requires one; give a default manufacturer)")
	} else if err := checkText("manufacturer", t.Manufacturer, true); err != nil {
		c.reject("%v", err)
	}
	if t.Model == "" {
		c.reject("DeviceInfo has no Model (Entra requires one; give a default model)")
	} else if err := checkText("model", t.Model, true); err != nil {
		c.reject("%v", err)
	}
	if err := checkText("display name", t.DisplayName, false); err != nil {
		c.reject("FriendlyName: %v", err)
	}
	return c
}

// algorithmKind recognises the TOTP and HOTP URIs in their RFC 6030
// (":totp") and algorithm-profile draft ("#totp") spellings.
func algorithmKind(uri string) string {
	switch strings.ToLower(uri) {
	case "urn:ietf:params:xml:ns:keyprov:pskc:totp", "urn:ietf:params:xml:ns:keyprov:pskc#totp":
		return AlgorithmTOTP
	case "urn:ietf:params:xml:ns:keyprov:pskc:hotp", "urn:ietf:params:xml:ns:keyprov:pskc#hotp":
		return "hotp"
	case "":
		return ""
	}
	return "other"
}

// plainInt reads an integer Data value. Encrypted integers are possible in
// PSKC but no token vendor encrypts the interval, so they are refused.
func plainInt(v *pskcValue) (int, error) {
	if v.PlainValue == nil {
		return 0, errors.New("only a PlainValue is supported here")
	}
	n, err := strconv.Atoi(strings.TrimSpace(*v.PlainValue))
	if err != nil {
		return 0, errors.New("PlainValue is not a whole number")
	}
	return n, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
