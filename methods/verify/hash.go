package verify

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// Hash algorithms of SecretHash.
const (
	// HashSHA256 is SHA-256 over salt||secret. Used for secrets that are
	// long and random (device tokens, Temporary Access Passes) or live a
	// few minutes and are shown in the outbox anyway (SMS and voice codes),
	// where a slow hash buys nothing.
	HashSHA256 = "sha256"
	// HashPBKDF2 is PBKDF2-HMAC-SHA256, for secrets people choose and
	// keep: PINs and security-question answers, which are guessable
	// offline. It is in the standard library; Argon2id would need
	// golang.org/x/crypto and, through it, the pinned x/sys, which
	// requires a newer Go than go.mod declares.
	HashPBKDF2 = "pbkdf2-sha256"
)

// HashParams is the PBKDF2 cost for PINs and answers. The iteration count
// is stored in every hash, so changing it affects new hashes only.
type HashParams struct {
	Iterations int
}

// DefaultHashParams is OWASP's recommendation for PBKDF2-HMAC-SHA256
// (600,000 iterations): a fraction of a second per hash, fine for
// interactive enrolment and the mock. Tests and bulk seeding may use far
// cheaper costs.
var DefaultHashParams = HashParams{Iterations: 600_000}

// maxIterations keeps a corrupt stored hash from pinning a CPU.
const maxIterations = 10_000_000

func (p HashParams) validate() error {
	if p.Iterations < 1 || p.Iterations > maxIterations {
		return fmt.Errorf("PBKDF2 iterations %d out of range (1-%d)", p.Iterations, maxIterations)
	}
	return nil
}

// SecretHash is a salted hash of a code, PIN, answer, pass or token. It
// holds nothing reversible, so it may be printed.
type SecretHash struct {
	Alg        string `json:"alg"`
	Salt       []byte `json:"salt"`
	Sum        []byte `json:"sum"`
	Iterations int    `json:"iterations,omitempty"`
}

const saltBytes = 16

// hashSHA256 hashes secret with a fresh salt read from r.
func hashSHA256(r io.Reader, secret string) (SecretHash, error) {
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return SecretHash{}, fmt.Errorf("read salt: %w", err)
	}
	return SecretHash{Alg: HashSHA256, Salt: salt, Sum: sha256Sum(salt, secret)}, nil
}

// hashPBKDF2 hashes secret with a fresh salt and the given cost.
func hashPBKDF2(r io.Reader, secret string, p HashParams) (SecretHash, error) {
	if err := p.validate(); err != nil {
		return SecretHash{}, err
	}
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return SecretHash{}, fmt.Errorf("read salt: %w", err)
	}
	sum, err := pbkdf2.Key(sha256.New, secret, salt, p.Iterations, sha256.Size)
	if err != nil {
		return SecretHash{}, err
	}
	return SecretHash{Alg: HashPBKDF2, Salt: salt, Iterations: p.Iterations, Sum: sum}, nil
}

func sha256Sum(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// errBadHash marks a stored hash the engine cannot use (corrupt store).
var errBadHash = errors.New("stored secret hash is unusable")

// Matches reports whether secret hashes to h, comparing in constant time.
// A malformed hash never matches and returns an error.
func (h SecretHash) Matches(secret string) (bool, error) {
	var sum []byte
	switch h.Alg {
	case HashSHA256:
		sum = sha256Sum(h.Salt, secret)
	case HashPBKDF2:
		if err := (HashParams{Iterations: h.Iterations}).validate(); err != nil {
			return false, fmt.Errorf("%w: %v", errBadHash, err)
		}
		var err error
		if sum, err = pbkdf2.Key(sha256.New, secret, h.Salt, h.Iterations, sha256.Size); err != nil {
			return false, fmt.Errorf("%w: %v", errBadHash, err)
		}
	default:
		return false, fmt.Errorf("%w: algorithm %q", errBadHash, h.Alg)
	}
	if len(h.Sum) != len(sum) || len(h.Salt) == 0 {
		return false, fmt.Errorf("%w: wrong sizes", errBadHash)
	}
	return subtle.ConstantTimeCompare(sum, h.Sum) == 1, nil
}
