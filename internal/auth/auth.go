// Package auth holds the engine's cryptography, all of it from the
// standard library: keys derived from the job secret, HMAC-SHA256
// signatures of requests with freshness (a time window and a cache of
// nonces already seen, counted per source so that no key holder can fill
// it to lock the others out), per-worker session keys agreed by X25519 so
// that no session credential ever crosses the wire, and a limiter that
// keeps refusals from flooding the logs. It imports nothing of the engine.
//
// The secret itself is used only as an HMAC key to derive purpose keys;
// it is never sent, logged or compared.
package auth

import (
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Keys are the purpose keys derived from one job secret. A nil *Keys
// means the job has no secret: connections and peer fetches are then
// unauthenticated, and only sessions protect a worker's identity.
type Keys struct {
	rpc     []byte // RPC connection handshakes and frames
	session []byte // mixed into every session key
	fetch   []byte // run-file requests between workers
}

// New derives the keys of a secret; an empty secret gives nil (no auth).
func New(secret []byte) *Keys {
	if len(secret) == 0 {
		return nil
	}
	return &Keys{
		rpc:     derive(secret, "mapreduce rpc v1"),
		session: derive(secret, "mapreduce session v1"),
		fetch:   derive(secret, "mapreduce fetch v1"),
	}
}

func derive(key []byte, purpose string) []byte { return Sum(key, []byte(purpose)) }

// Sum is HMAC-SHA256 of the parts under key, each part length-prefixed
// so that no two different lists of parts sign the same bytes.
func Sum(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	var n [4]byte
	for _, p := range parts {
		n[0], n[1], n[2], n[3] = byte(len(p)>>24), byte(len(p)>>16), byte(len(p)>>8), byte(len(p))
		m.Write(n[:])
		m.Write(p)
	}
	return m.Sum(nil)
}

// RPCKey is the key of RPC handshakes, nil without a secret.
func (k *Keys) RPCKey() []byte {
	if k == nil {
		return nil
	}
	return k.rpc
}

// FetchKey is the key of run-file requests, nil without a secret.
func (k *Keys) FetchKey() []byte {
	if k == nil {
		return nil
	}
	return k.fetch
}

// Equal compares two MACs or tokens in constant time.
func Equal(a, b []byte) bool { return hmac.Equal(a, b) }

// nonceSize is the size of every nonce, in bytes.
const nonceSize = 16

// Nonce returns nonceSize (16) fresh random bytes.
func Nonce() []byte {
	b := make([]byte, nonceSize)
	rand.Read(b) // never fails on Linux (crypto/rand panics rather than return short)
	return b
}

// ParseNonce decodes a hex nonce of exactly nonceSize bytes.
func ParseNonce(s string) ([]byte, error) {
	if len(s) != 2*nonceSize {
		return nil, errors.New("auth: bad nonce")
	}
	return hex.DecodeString(s)
}

// Exchange is one side of an X25519 key agreement: each side sends its
// public key, and both derive the same session key, which never crosses
// the wire.
type Exchange struct{ priv *ecdh.PrivateKey }

// NewExchange makes a fresh ephemeral key pair.
func NewExchange() *Exchange {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return &Exchange{priv}
}

// Public is the public key to send to the peer (32 bytes).
func (e *Exchange) Public() []byte { return e.priv.PublicKey().Bytes() }

// SessionKey derives the session key of worker id from the peer's public
// key. Both sides pass the worker's public key first. With a secret, the
// key is bound to it too, so only holders of the secret can agree one.
func (e *Exchange) SessionKey(k *Keys, peer []byte, id string, workerPub, coordPub []byte) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("auth: bad public key: %w", err)
	}
	shared, err := e.priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("auth: key agreement: %w", err)
	}
	var base []byte
	if k != nil {
		base = k.session
	}
	return Sum(base, []byte("session"), shared, []byte(id), workerPub, coordPub), nil
}
