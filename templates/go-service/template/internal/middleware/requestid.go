package middleware

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
)

// RequestIDHeader is the header a request ID arrives in and is echoed back in. Header names are
// case-insensitive; this is the canonical form, which Go writes and looks up without converting.
const RequestIDHeader = "X-Request-Id"

// RequestID gives each request an ID: the one in its X-Request-ID header if that is sane (1 to
// 128 letters, digits and . _ : -), so a proxy's ID follows the request, else a new random one
// of 32 hex digits. The ID goes back in the response's X-Request-ID, into the request's context
// (see RequestIDFrom) and into every log line logged with that context.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, r, _ := enter(r)
		x.id = r.Header.Get(RequestIDHeader)
		if !saneRequestID(x.id) {
			x.id = newRequestID()
		}
		x.idValue[0] = x.id
		w.Header()[RequestIDHeader] = x.idValue[:]
		x.addAttr(slog.String("request_id", x.id))
		next.ServeHTTP(w, r)
	})
}

// RequestIDFrom returns the ID RequestID gave the request of ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	if x := exchangeOf(ctx); x != nil {
		return x.id
	}
	return ""
}

// newRequestID returns 128 random bits in hex. They come from math/rand/v2, whose generator is
// seeded by the operating system and costs no system call: a request ID tells requests apart
// in the logs and is no secret, so it must never serve as one (a token, a nonce).
func newRequestID() string {
	var raw [16]byte
	var text [32]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	hex.Encode(text[:], raw[:])
	return string(text[:])
}

// saneRequestID keeps IDs that cannot forge log lines or bloat them.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}
